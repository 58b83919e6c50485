//! Every limit and fixed rule of the compliance checks, in one place.

/// Months after a national edition takes effect within which every locality
/// must publish its implementation standard (发改社会〔2021〕443号: 印发后6个月内).
pub const DEADLINE_MONTHS: u32 = 6;

/// Most evaluation points one compliance-over-time answer visits. A standard
/// changes a few times a year; this bounds the loop, not real histories.
pub const EVALUATION_POINTS_MAX: usize = 10_000;

/// Most localities one summary lists (China has about 3,200 divisions at
/// county level and above).
pub const SUMMARY_ROWS_MAX: usize = 5_000;

/// Relative tolerance when two converted quantities are taken as equal:
/// `200 × 12` and `2400` must compare as the same level.
pub const QUANTITY_RELATIVE_TOLERANCE: f64 = 1e-9;
