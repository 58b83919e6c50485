//! The administrative divisions compliance is asked about.
//!
//! The 31 provincial-level divisions are shipped as data (codes and names of
//! GB/T 2260, public facts). Cities and counties are not listed: a city or
//! county becomes known to the registry when a standard for it is published,
//! and its parent follows from its code (`Jurisdiction::ancestors`).

use domain::ids::Jurisdiction;
use serde::Serialize;

/// A provincial-level division: province, autonomous region or municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Province {
    pub code: &'static str,
    pub name: &'static str,
}

const fn p(code: &'static str, name: &'static str) -> Province {
    Province { code, name }
}

/// The 31 provincial-level divisions of the mainland, by code.
pub const PROVINCES: [Province; 31] = [
    p("110000", "北京市"),
    p("120000", "天津市"),
    p("130000", "河北省"),
    p("140000", "山西省"),
    p("150000", "内蒙古自治区"),
    p("210000", "辽宁省"),
    p("220000", "吉林省"),
    p("230000", "黑龙江省"),
    p("310000", "上海市"),
    p("320000", "江苏省"),
    p("330000", "浙江省"),
    p("340000", "安徽省"),
    p("350000", "福建省"),
    p("360000", "江西省"),
    p("370000", "山东省"),
    p("410000", "河南省"),
    p("420000", "湖北省"),
    p("430000", "湖南省"),
    p("440000", "广东省"),
    p("450000", "广西壮族自治区"),
    p("460000", "海南省"),
    p("500000", "重庆市"),
    p("510000", "四川省"),
    p("520000", "贵州省"),
    p("530000", "云南省"),
    p("540000", "西藏自治区"),
    p("610000", "陕西省"),
    p("620000", "甘肃省"),
    p("630000", "青海省"),
    p("640000", "宁夏回族自治区"),
    p("650000", "新疆维吾尔自治区"),
];

/// The level of a division, read from its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    National,
    Province,
    /// Prefecture level (地级).
    City,
    /// County level (县级), including city districts.
    County,
}

pub fn level(jurisdiction: &Jurisdiction) -> DivisionLevel {
    let code = jurisdiction.as_str();
    if jurisdiction.is_national() {
        DivisionLevel::National
    } else if code.ends_with("0000") {
        DivisionLevel::Province
    } else if code.ends_with("00") {
        DivisionLevel::City
    } else {
        DivisionLevel::County
    }
}

/// The provincial-level division a jurisdiction lies in (itself for a province).
pub fn province_of(jurisdiction: &Jurisdiction) -> Option<&'static Province> {
    let code = jurisdiction.as_str();
    let prefix = code.get(..2)?;
    PROVINCES
        .iter()
        .find(|p| p.code.starts_with(prefix) && !jurisdiction.is_national())
}

/// The name on record: the provinces' names; cities and counties have none in this table.
pub fn name(jurisdiction: &Jurisdiction) -> Option<&'static str> {
    if jurisdiction.is_national() {
        return Some("全国");
    }
    PROVINCES
        .iter()
        .find(|p| p.code == jurisdiction.as_str())
        .map(|p| p.name)
}

/// The division directly above: a county's city (or province), a city's province, a province's `CN`.
pub fn parent(jurisdiction: &Jurisdiction) -> Option<Jurisdiction> {
    jurisdiction.ancestors().pop()
}

/// Whether `jurisdiction` lies (strictly) within `parent`.
pub fn is_below(jurisdiction: &Jurisdiction, parent: &Jurisdiction) -> bool {
    jurisdiction.ancestors().contains(parent)
}

/// Why a code names no division this registry knows of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DivisionError {
    /// The first two digits name none of the 31 provincial-level divisions.
    #[error(
        "{0} lies in no provincial-level division: its first two digits must be those of one of the 31 (11 Beijing … 65 Xinjiang)"
    )]
    NoSuchProvince(Jurisdiction),
    /// A county-level code (last two digits not 00) whose city digits are 00.
    #[error(
        "{0} is not a division code: a county's code has its city digits (the third and fourth) other than 00"
    )]
    Malformed(Jurisdiction),
}

/// Checks that a code can name a division: `CN`, or six digits (checked by
/// `Jurisdiction::parse`) whose first two are those of one of the 31
/// provincial-level divisions, and whose city digits (third and fourth) are
/// not `00` when the county digits (fifth and sixth) are not. Cities and
/// counties are not listed, so a well-formed code below an existing province
/// is accepted.
pub fn check(jurisdiction: &Jurisdiction) -> Result<(), DivisionError> {
    if jurisdiction.is_national() {
        return Ok(());
    }
    if province_of(jurisdiction).is_none() {
        return Err(DivisionError::NoSuchProvince(jurisdiction.clone()));
    }
    let code = jurisdiction.as_str();
    if code.get(2..4) == Some("00") && code.get(4..6) != Some("00") {
        return Err(DivisionError::Malformed(jurisdiction.clone()));
    }
    Ok(())
}

/// The 31 provincial-level divisions as jurisdictions.
pub fn provinces() -> impl Iterator<Item = Jurisdiction> {
    PROVINCES
        .iter()
        .filter_map(|p| Jurisdiction::parse(p.code).ok())
}
