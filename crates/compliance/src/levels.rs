//! Comparing structured levels: a local level against the level of the standard above it.
//!
//! Two levels are compared only when they measure the same thing under the same
//! condition, for the same beneficiary, and their units and periods convert
//! exactly (12 months = 4 quarters = 1 year, 7 days = 1 week, 10 000 元 = 1 万元).
//! Everything else is *not comparable*, with the reason: a comparison never
//! rests on a guess. Prose-only and not-on-record texts are not comparable.

use domain::model::{Comparator, Known, Level, Period, ServiceStandard};
use serde::Serialize;

use crate::limits::QUANTITY_RELATIVE_TOLERANCE;

/// How a local level stands against the reference level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stricter than the reference: more of a floor, less of a ceiling.
    Exceeds,
    Meets,
    Below,
    /// Cannot be told from the record; the reason says why.
    NotComparable,
}

/// Why two levels or two service standards cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Incomparable {
    /// The reference service standard's text is not on record.
    ReferenceNotOnRecord,
    /// The local service standard's text is not on record.
    LocalNotOnRecord,
    /// The reference text states no structured level.
    ReferenceProseOnly,
    /// The local text states no structured level.
    LocalProseOnly,
    /// The local text states no level for this measure and condition.
    NoLocalLevel,
    /// One bounds from below, the other from above.
    ComparatorsDiffer,
    /// The reference states an exact amount, so which way is better is not stated.
    ExactReference,
    /// Units that do not convert into each other.
    UnitsDiffer { reference: String, local: String },
    /// Periods that do not convert exactly (a month is not a whole number of weeks),
    /// or one side states a period and the other none.
    PeriodsDiffer {
        reference: Option<Period>,
        local: Option<Period>,
    },
    /// Counted per different beneficiaries (per person, per household…).
    PerDiffers {
        reference: Option<String>,
        local: Option<String>,
    },
}

impl Incomparable {
    /// One lowercase sentence for people.
    pub fn describe(&self) -> String {
        match self {
            Incomparable::ReferenceNotOnRecord => {
                "the reference service standard is not on record".to_owned()
            }
            Incomparable::LocalNotOnRecord => {
                "the local service standard is not on record".to_owned()
            }
            Incomparable::ReferenceProseOnly => {
                "the reference text states no structured level (prose only)".to_owned()
            }
            Incomparable::LocalProseOnly => {
                "the local text states no structured level (prose only)".to_owned()
            }
            Incomparable::NoLocalLevel => {
                "the local text on record states no level for this measure".to_owned()
            }
            Incomparable::ComparatorsDiffer => {
                "one level is a floor and the other a ceiling".to_owned()
            }
            Incomparable::ExactReference => {
                "the reference states an exact amount, not which way is better".to_owned()
            }
            Incomparable::UnitsDiffer { reference, local } => {
                format!("units {local} and {reference} do not convert")
            }
            Incomparable::PeriodsDiffer { reference, local } => format!(
                "periods {} and {} do not convert exactly",
                period_name(*local),
                period_name(*reference)
            ),
            Incomparable::PerDiffers { reference, local } => format!(
                "counted per {} locally and per {} in the reference",
                local.as_deref().unwrap_or("(none stated)"),
                reference.as_deref().unwrap_or("(none stated)")
            ),
        }
    }
}

/// One reference level and the local level compared with it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelComparison {
    pub measure: String,
    pub condition: Option<String>,
    pub reference: Level,
    /// `None` when the local text states no level for this measure.
    pub local: Option<Level>,
    pub outcome: Outcome,
    pub reason: Option<Incomparable>,
    /// The local quantity in the reference's unit and period, when it had to be converted.
    pub local_converted: Option<f64>,
}

/// A local service standard against a reference one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardComparison {
    /// Below if any level is below; else not comparable if any is; else exceeds if any does.
    pub outcome: Outcome,
    /// Set when the texts as a whole cannot be compared (not on record, prose only).
    pub reason: Option<Incomparable>,
    pub levels: Vec<LevelComparison>,
    /// Local levels whose measure the reference does not state (extra provisions).
    pub additional_local_levels: Vec<Level>,
}

impl StandardComparison {
    fn whole(reason: Incomparable) -> Self {
        Self {
            outcome: Outcome::NotComparable,
            reason: Some(reason),
            levels: Vec::new(),
            additional_local_levels: Vec::new(),
        }
    }
}

/// Compares a local service standard with a reference one, level by level.
pub fn compare_standards(
    local: &Known<ServiceStandard>,
    reference: &Known<ServiceStandard>,
) -> StandardComparison {
    let Known::Known(reference) = reference else {
        return StandardComparison::whole(Incomparable::ReferenceNotOnRecord);
    };
    let Known::Known(local) = local else {
        return StandardComparison::whole(Incomparable::LocalNotOnRecord);
    };
    if reference.levels.is_empty() {
        let mut out = StandardComparison::whole(Incomparable::ReferenceProseOnly);
        out.additional_local_levels = local.levels.to_vec();
        return out;
    }
    if local.levels.is_empty() {
        return StandardComparison::whole(Incomparable::LocalProseOnly);
    }
    let same_key = |a: &Level, b: &Level| a.measure == b.measure && a.condition == b.condition;
    let mut levels = Vec::new();
    for wanted in reference.levels.iter() {
        let mut matched = false;
        for candidate in local.levels.iter().filter(|l| same_key(l, wanted)) {
            matched = true;
            levels.push(compare_levels(candidate, wanted));
        }
        if !matched {
            levels.push(LevelComparison {
                measure: wanted.measure.to_string(),
                condition: wanted.condition.as_deref().map(str::to_owned),
                reference: wanted.clone(),
                local: None,
                outcome: Outcome::NotComparable,
                reason: Some(Incomparable::NoLocalLevel),
                local_converted: None,
            });
        }
    }
    let additional_local_levels = local
        .levels
        .iter()
        .filter(|l| !reference.levels.iter().any(|r| same_key(l, r)))
        .cloned()
        .collect();
    StandardComparison {
        outcome: combine(levels.iter().map(|l| l.outcome)),
        reason: None,
        levels,
        additional_local_levels,
    }
}

/// The outcome of several levels: one below makes the whole below.
fn combine(outcomes: impl Iterator<Item = Outcome>) -> Outcome {
    let mut any = [false; 4];
    for outcome in outcomes {
        any[outcome as usize] = true;
    }
    let [exceeds, _meets, below, not_comparable] = any;
    if below {
        Outcome::Below
    } else if not_comparable {
        Outcome::NotComparable
    } else if exceeds {
        Outcome::Exceeds
    } else {
        Outcome::Meets
    }
}

/// Compares one local level with one reference level of the same measure.
pub fn compare_levels(local: &Level, reference: &Level) -> LevelComparison {
    let mut out = LevelComparison {
        measure: reference.measure.to_string(),
        condition: reference.condition.as_deref().map(str::to_owned),
        reference: reference.clone(),
        local: Some(local.clone()),
        outcome: Outcome::NotComparable,
        reason: None,
        local_converted: None,
    };
    match convert(local, reference) {
        Err(reason) => out.reason = Some(reason),
        Ok(quantity) => {
            if quantity != local.quantity {
                out.local_converted = Some(quantity);
            }
            match judge(local.comparator, quantity, reference) {
                Ok(outcome) => out.outcome = outcome,
                Err(reason) => out.reason = Some(reason),
            }
        }
    }
    out
}

/// The local quantity expressed in the reference's unit and period.
fn convert(local: &Level, reference: &Level) -> Result<f64, Incomparable> {
    if local.per != reference.per {
        return Err(Incomparable::PerDiffers {
            reference: reference.per.as_deref().map(str::to_owned),
            local: local.per.as_deref().map(str::to_owned),
        });
    }
    let unit_factor =
        unit_factor(&local.unit, &reference.unit).ok_or_else(|| Incomparable::UnitsDiffer {
            reference: reference.unit.to_string(),
            local: local.unit.to_string(),
        })?;
    let period_factor =
        period_factor(local.period, reference.period).ok_or(Incomparable::PeriodsDiffer {
            reference: reference.period,
            local: local.period,
        })?;
    Ok(local.quantity * unit_factor * period_factor)
}

fn judge(local: Comparator, quantity: f64, reference: &Level) -> Result<Outcome, Incomparable> {
    let order = order(quantity, reference.quantity);
    use std::cmp::Ordering::{Equal, Greater, Less};
    match (reference.comparator, local) {
        (Comparator::AtLeast, Comparator::AtLeast | Comparator::Exactly) => Ok(match order {
            Greater => Outcome::Exceeds,
            Equal => Outcome::Meets,
            Less => Outcome::Below,
        }),
        (Comparator::AtMost, Comparator::AtMost | Comparator::Exactly) => Ok(match order {
            Less => Outcome::Exceeds,
            Equal => Outcome::Meets,
            Greater => Outcome::Below,
        }),
        (Comparator::Exactly, Comparator::Exactly) if order == Equal => Ok(Outcome::Meets),
        (Comparator::Exactly, _) => Err(Incomparable::ExactReference),
        (Comparator::AtLeast, Comparator::AtMost) | (Comparator::AtMost, Comparator::AtLeast) => {
            Err(Incomparable::ComparatorsDiffer)
        }
    }
}

fn order(a: f64, b: f64) -> std::cmp::Ordering {
    let scale = a.abs().max(b.abs()).max(1.0);
    if (a - b).abs() <= scale * QUANTITY_RELATIVE_TOLERANCE {
        std::cmp::Ordering::Equal
    } else if a < b {
        std::cmp::Ordering::Less
    } else {
        std::cmp::Ordering::Greater
    }
}

/// Units that convert by a fixed factor: amounts of money.
const MONEY_UNITS: [(&str, f64); 4] = [
    ("元", 1.0),
    ("千元", 1_000.0),
    ("万元", 10_000.0),
    ("亿元", 100_000_000.0),
];

/// Factor that turns a quantity in `local` units into `reference` units.
fn unit_factor(local: &str, reference: &str) -> Option<f64> {
    if local == reference {
        return Some(1.0);
    }
    let scale = |unit: &str| {
        MONEY_UNITS
            .iter()
            .find(|(u, _)| *u == unit)
            .map(|(_, f)| *f)
    };
    Some(scale(local)? / scale(reference)?)
}

/// Length of a period in its family's base unit: months, or days. `Once` has no family.
fn period_length(period: Period) -> Option<(u8, f64)> {
    const MONTHS: u8 = 0;
    const DAYS: u8 = 1;
    match period {
        Period::Month => Some((MONTHS, 1.0)),
        Period::Quarter => Some((MONTHS, 3.0)),
        Period::Year => Some((MONTHS, 12.0)),
        Period::Day => Some((DAYS, 1.0)),
        Period::Week => Some((DAYS, 7.0)),
        Period::Once => None,
    }
}

/// Factor that turns a quantity per `local` period into a quantity per `reference` period.
/// Months and days do not mix: years have 365 or 366 days and school years fewer.
fn period_factor(local: Option<Period>, reference: Option<Period>) -> Option<f64> {
    match (local, reference) {
        (None, None) => Some(1.0),
        (Some(l), Some(r)) if l == r => Some(1.0),
        (Some(l), Some(r)) => {
            let (family_l, length_l) = period_length(l)?;
            let (family_r, length_r) = period_length(r)?;
            (family_l == family_r).then_some(length_r / length_l)
        }
        _ => None,
    }
}

fn period_name(period: Option<Period>) -> &'static str {
    match period {
        None => "(none stated)",
        Some(Period::Day) => "per day",
        Some(Period::Week) => "per week",
        Some(Period::Month) => "per month",
        Some(Period::Quarter) => "per quarter",
        Some(Period::Year) => "per year",
        Some(Period::Once) => "once",
    }
}

/// A level in a few words: `≥ 15 套 广播节目 (直播卫星公共服务覆盖地区)`.
pub fn describe_level(level: &Level) -> String {
    let comparator = match level.comparator {
        Comparator::AtLeast => "≥",
        Comparator::AtMost => "≤",
        Comparator::Exactly => "=",
    };
    let mut out = format!(
        "{comparator} {} {} {}",
        level.quantity, level.unit, level.measure
    );
    if let Some(per) = &level.per {
        out.push_str(&format!(" per {per}"));
    }
    if level.period.is_some() {
        out.push(' ');
        out.push_str(period_name(level.period));
    }
    if let Some(condition) = &level.condition {
        out.push_str(&format!(" ({condition})"));
    }
    out
}
