//! The provincial-level divisions shipped as data, and the hierarchy read from codes.

use std::collections::BTreeSet;

use compliance::divisions::{self, DivisionLevel, PROVINCES};
use domain::ids::Jurisdiction;

fn j(code: &str) -> Jurisdiction {
    Jurisdiction::parse(code).expect("valid code")
}

#[test]
fn the_31_provincial_level_divisions_are_distinct_valid_codes() {
    let codes: BTreeSet<&str> = PROVINCES.iter().map(|p| p.code).collect();
    assert_eq!(codes.len(), 31);
    assert_eq!(divisions::provinces().count(), 31);
    for province in PROVINCES {
        let code = j(province.code);
        assert_eq!(
            divisions::level(&code),
            DivisionLevel::Province,
            "{}",
            province.code
        );
        assert_eq!(divisions::name(&code), Some(province.name));
        assert_eq!(divisions::parent(&code), Some(Jurisdiction::national()));
    }
    assert_eq!(divisions::name(&j("110000")), Some("北京市"));
    assert_eq!(divisions::name(&j("650000")), Some("新疆维吾尔自治区"));
}

#[test]
fn levels_and_parents_follow_from_the_code() {
    // (code, level, parent, province)
    let cases = [
        ("CN", DivisionLevel::National, None, None),
        (
            "510000",
            DivisionLevel::Province,
            Some("CN"),
            Some("510000"),
        ),
        (
            "510100",
            DivisionLevel::City,
            Some("510000"),
            Some("510000"),
        ),
        (
            "510104",
            DivisionLevel::County,
            Some("510100"),
            Some("510000"),
        ),
        (
            "110101",
            DivisionLevel::County,
            Some("110100"),
            Some("110000"),
        ),
        ("710000", DivisionLevel::Province, Some("CN"), None),
    ];
    for (code, level, parent, province) in cases {
        let code = j(code);
        assert_eq!(divisions::level(&code), level, "{code}");
        assert_eq!(divisions::parent(&code), parent.map(j), "{code}");
        assert_eq!(
            divisions::province_of(&code).map(|p| p.code),
            province,
            "{code}"
        );
    }
    assert!(divisions::is_below(&j("510104"), &j("510000")));
    assert!(divisions::is_below(&j("510104"), &j("CN")));
    assert!(!divisions::is_below(&j("510000"), &j("510000")));
    assert!(!divisions::is_below(&j("520100"), &j("510000")));
}
