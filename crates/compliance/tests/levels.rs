//! Comparing structured levels: units and periods that convert, and everything that does not.
#![allow(clippy::unwrap_used)]

use compliance::levels::{Incomparable, Outcome, compare_levels, compare_standards};
use domain::levels::extract_levels;
use domain::model::{Comparator, Known, Level, Period, ServiceStandard};
use domain::text::Text;

fn level(
    comparator: Comparator,
    quantity: f64,
    unit: &str,
    per: Option<&str>,
    period: Option<Period>,
) -> Level {
    Level {
        measure: "补贴".into(),
        comparator,
        quantity,
        unit: unit.into(),
        per: per.map(Text::from),
        period,
        condition: None,
    }
}

use Comparator::{AtLeast, AtMost, Exactly};
use Period::{Day, Month, Once, Quarter, Week, Year};

#[test]
fn levels_compare_after_converting_units_and_periods() {
    // (local, reference, outcome, local quantity in the reference's terms)
    let cases: Vec<(Level, Level, Outcome, Option<f64>)> = vec![
        // 200 a month is 2400 a year.
        (
            level(AtLeast, 200.0, "元", None, Some(Month)),
            level(AtLeast, 2400.0, "元", None, Some(Year)),
            Outcome::Meets,
            Some(2400.0),
        ),
        (
            level(AtLeast, 150.0, "元", None, Some(Month)),
            level(AtLeast, 2000.0, "元", None, Some(Year)),
            Outcome::Below,
            Some(1800.0),
        ),
        (
            level(AtLeast, 300.0, "元", None, Some(Month)),
            level(AtLeast, 2400.0, "元", None, Some(Year)),
            Outcome::Exceeds,
            Some(3600.0),
        ),
        // 1200 a year is 100 a month.
        (
            level(AtLeast, 1200.0, "元", None, Some(Year)),
            level(AtLeast, 100.0, "元", None, Some(Month)),
            Outcome::Meets,
            Some(100.0),
        ),
        (
            level(AtLeast, 1.0, "次", None, Some(Quarter)),
            level(AtLeast, 2.0, "次", None, Some(Year)),
            Outcome::Exceeds,
            Some(4.0),
        ),
        (
            level(AtLeast, 7.0, "次", None, Some(Week)),
            level(AtLeast, 1.0, "次", None, Some(Day)),
            Outcome::Meets,
            Some(1.0),
        ),
        // 1 万元 is 10 000 元.
        (
            level(AtLeast, 1.0, "万元", Some("人"), Some(Year)),
            level(AtLeast, 10000.0, "元", Some("人"), Some(Year)),
            Outcome::Meets,
            Some(10000.0),
        ),
        (
            level(AtLeast, 15.0, "套", None, None),
            level(AtLeast, 15.0, "套", None, None),
            Outcome::Meets,
            None,
        ),
        (
            level(Exactly, 16.0, "套", None, None),
            level(AtLeast, 15.0, "套", None, None),
            Outcome::Exceeds,
            None,
        ),
        // A ceiling is kept by a lower ceiling.
        (
            level(AtMost, 20.0, "天", None, None),
            level(AtMost, 30.0, "天", None, None),
            Outcome::Exceeds,
            None,
        ),
        (
            level(AtMost, 40.0, "天", None, None),
            level(AtMost, 30.0, "天", None, None),
            Outcome::Below,
            None,
        ),
        (
            level(Exactly, 100.0, "元", None, Some(Month)),
            level(Exactly, 100.0, "元", None, Some(Month)),
            Outcome::Meets,
            None,
        ),
    ];
    for (local, reference, outcome, converted) in cases {
        let got = compare_levels(&local, &reference);
        assert_eq!(
            got.outcome, outcome,
            "{local:?} vs {reference:?}: {:?}",
            got.reason
        );
        assert_eq!(got.reason, None);
        assert_eq!(
            got.local_converted,
            converted.filter(|q| *q != local.quantity)
        );
    }
}

#[test]
fn levels_that_do_not_convert_are_not_comparable() {
    let cases: Vec<(Level, Level, Incomparable)> = vec![
        // A month is not a whole number of weeks or days.
        (
            level(AtLeast, 4.0, "次", None, Some(Week)),
            level(AtLeast, 12.0, "次", None, Some(Month)),
            Incomparable::PeriodsDiffer {
                reference: Some(Month),
                local: Some(Week),
            },
        ),
        (
            level(AtLeast, 10.0, "元", None, Some(Day)),
            level(AtLeast, 3000.0, "元", None, Some(Year)),
            Incomparable::PeriodsDiffer {
                reference: Some(Year),
                local: Some(Day),
            },
        ),
        (
            level(AtLeast, 1.0, "次", None, Some(Once)),
            level(AtLeast, 1.0, "次", None, Some(Year)),
            Incomparable::PeriodsDiffer {
                reference: Some(Year),
                local: Some(Once),
            },
        ),
        (
            level(AtLeast, 100.0, "元", None, None),
            level(AtLeast, 100.0, "元", None, Some(Month)),
            Incomparable::PeriodsDiffer {
                reference: Some(Month),
                local: None,
            },
        ),
        (
            level(AtLeast, 15.0, "次", None, None),
            level(AtLeast, 15.0, "套", None, None),
            Incomparable::UnitsDiffer {
                reference: "套".into(),
                local: "次".into(),
            },
        ),
        (
            level(AtLeast, 100.0, "元", Some("户"), Some(Month)),
            level(AtLeast, 100.0, "元", Some("人"), Some(Month)),
            Incomparable::PerDiffers {
                reference: Some("人".into()),
                local: Some("户".into()),
            },
        ),
        (
            level(AtLeast, 10.0, "天", None, None),
            level(AtMost, 30.0, "天", None, None),
            Incomparable::ComparatorsDiffer,
        ),
        (
            level(AtMost, 10.0, "元", None, None),
            level(AtLeast, 30.0, "元", None, None),
            Incomparable::ComparatorsDiffer,
        ),
        (
            level(Exactly, 120.0, "元", None, Some(Month)),
            level(Exactly, 100.0, "元", None, Some(Month)),
            Incomparable::ExactReference,
        ),
        (
            level(AtLeast, 120.0, "元", None, Some(Month)),
            level(Exactly, 100.0, "元", None, Some(Month)),
            Incomparable::ExactReference,
        ),
    ];
    for (local, reference, reason) in cases {
        let got = compare_levels(&local, &reference);
        assert_eq!(
            got.outcome,
            Outcome::NotComparable,
            "{local:?} vs {reference:?}"
        );
        assert_eq!(got.reason, Some(reason));
    }
}

fn text(text: &str) -> Known<ServiceStandard> {
    Known::Known(ServiceStandard {
        text: text.into(),
        levels: extract_levels(text).into(),
    })
}

/// (local, reference, outcome, whole-text reason, per-level outcomes, additional local levels)
type StandardCase = (
    Known<ServiceStandard>,
    Known<ServiceStandard>,
    Outcome,
    Option<Incomparable>,
    Vec<Outcome>,
    usize,
);

#[test]
fn service_standards_compare_level_by_level_and_prose_is_never_guessed() {
    const RADIO: &str =
        "提供不少于15套广播节目;在直播卫星公共服务覆盖地区,提供不少于17套广播节目。";
    // (local, reference, outcome, whole-text reason, per-level outcomes, additional local levels)
    let cases: Vec<StandardCase> = vec![
        (
            text(RADIO),
            text(RADIO),
            Outcome::Meets,
            None,
            vec![Outcome::Meets, Outcome::Meets],
            0,
        ),
        (
            text(
                "提供不少于16套广播节目;在直播卫星公共服务覆盖地区,通过直播卫星提供不少于17套广播节目。",
            ),
            text(RADIO),
            Outcome::Exceeds,
            None,
            vec![Outcome::Exceeds, Outcome::Meets],
            0,
        ),
        (
            text("提供不少于15套广播节目;在直播卫星公共服务覆盖地区,提供不少于16套广播节目。"),
            text(RADIO),
            Outcome::Below,
            None,
            vec![Outcome::Meets, Outcome::Below],
            0,
        ),
        // The condition is part of what is measured: no local level for the satellite areas.
        (
            text("提供不少于20套广播节目。"),
            text(RADIO),
            Outcome::NotComparable,
            None,
            vec![Outcome::Exceeds, Outcome::NotComparable],
            0,
        ),
        // One level below outweighs one that cannot be compared.
        (
            text("提供不少于10套广播节目。"),
            text(RADIO),
            Outcome::Below,
            None,
            vec![Outcome::Below, Outcome::NotComparable],
            0,
        ),
        // Another measure is an addition, not a comparison.
        (
            text("通过有线广播电视网提供不少于50套有线电视节目。"),
            text("提供不少于15套电视节目。"),
            Outcome::NotComparable,
            None,
            vec![Outcome::NotComparable],
            1,
        ),
        (
            text("每月不少于200元补贴。"),
            text("每年不少于2400元补贴。"),
            Outcome::Meets,
            None,
            vec![Outcome::Meets],
            0,
        ),
        (
            text("每月不少于150元补贴。"),
            text("每年不少于2400元补贴。"),
            Outcome::Below,
            None,
            vec![Outcome::Below],
            0,
        ),
        (
            text("每周不少于50元补贴。"),
            text("每月不少于200元补贴。"),
            Outcome::NotComparable,
            None,
            vec![Outcome::NotComparable],
            0,
        ),
        // Prose on either side, or a text not on record: not comparable, whatever the other side says.
        (
            text("按照本市有关规定执行。"),
            text(RADIO),
            Outcome::NotComparable,
            Some(Incomparable::LocalProseOnly),
            vec![],
            0,
        ),
        (
            text(RADIO),
            text("按照《军人抚恤优待条例》及国家有关规定执行。"),
            Outcome::NotComparable,
            Some(Incomparable::ReferenceProseOnly),
            vec![],
            2,
        ),
        (
            text("按照本市有关规定执行。"),
            text("按照国家有关规定执行。"),
            Outcome::NotComparable,
            Some(Incomparable::ReferenceProseOnly),
            vec![],
            0,
        ),
        (
            Known::Unknown,
            text(RADIO),
            Outcome::NotComparable,
            Some(Incomparable::LocalNotOnRecord),
            vec![],
            0,
        ),
        (
            text(RADIO),
            Known::Unknown,
            Outcome::NotComparable,
            Some(Incomparable::ReferenceNotOnRecord),
            vec![],
            0,
        ),
    ];
    for (local, reference, outcome, reason, levels, additional) in cases {
        let got = compare_standards(&local, &reference);
        let label = format!(
            "{:?} vs {:?}",
            local.as_known().map(|s| &s.text),
            reference.as_known().map(|s| &s.text)
        );
        assert_eq!(got.outcome, outcome, "{label}");
        assert_eq!(got.reason, reason, "{label}");
        assert_eq!(
            got.levels.iter().map(|l| l.outcome).collect::<Vec<_>>(),
            levels,
            "{label}"
        );
        assert_eq!(got.additional_local_levels.len(), additional, "{label}");
    }
}
