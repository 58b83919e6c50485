//! `stdreg compliance`, `compliance-summary` and `import --local-examples`, run
//! as a user runs them on the bundled real data.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

mod support;

use support::Scratch as Data;

impl Data {
    /// The bundled national data and the local examples, imported.
    fn with_local_examples() -> Self {
        let data = Self::new();
        let out = data.ok(&["import", "--local-examples"]);
        assert!(out.contains("shanghai-2024-06-19: published"), "{out}");
        assert!(out.contains("not imported: 海南省"), "{out}");
        data
    }
}

fn kinds(report: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.dedup();
    kinds
}

#[test]
fn the_bundled_examples_show_what_the_record_can_and_cannot_tell() {
    let data = Data::with_local_examples();
    // (jurisdiction, valid_at, status, finding kinds)
    let cases = [
        (
            "310000",
            "2025-01-01",
            "not_determinable",
            vec![
                "publication_date_not_on_record",
                "national_item_not_on_record",
                "level_not_comparable",
                "counterpart_not_on_record",
            ],
        ),
        (
            "500000",
            "2025-01-01",
            "not_determinable",
            vec![
                "publication_date_not_on_record",
                "national_item_not_on_record",
                "level_not_comparable",
            ],
        ),
        (
            "350000",
            "2025-01-01",
            "non_compliant",
            vec![
                "implementation_missing",
                "national_item_not_on_record",
                "level_not_comparable",
            ],
        ),
        // An implementation on record without an issue date may have been issued
        // in time, though it took effect after the deadline: never "missing".
        (
            "310000",
            "2024-06-01",
            "not_determinable",
            vec![
                "publication_date_not_on_record",
                "national_item_not_on_record",
                "level_not_comparable",
                "counterpart_not_on_record",
            ],
        ),
        (
            "310000",
            "2021-12-01",
            "not_determinable",
            vec!["publication_date_not_on_record"],
        ),
        (
            "350000",
            "2021-12-01",
            "not_determinable",
            vec!["publication_date_not_on_record"],
        ),
        ("460000", "2021-09-30", "not_due", vec![]),
        (
            "460000",
            "2021-10-01",
            "non_compliant",
            vec!["implementation_missing"],
        ),
    ];
    for (jurisdiction, valid_at, status, expected) in cases {
        let report = data.json(&["compliance", jurisdiction, "--valid-at", valid_at]);
        assert_eq!(report["status"], status, "{jurisdiction} at {valid_at}");
        assert_eq!(kinds(&report), expected, "{jurisdiction} at {valid_at}");
    }
    // Chongqing keeps the national broadcasting levels exactly.
    let chongqing = data.json(&["compliance", "500000", "--valid-at", "2025-01-01"]);
    let meets: Vec<&str> = chongqing["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == "meets")
        .map(|i| i["national_item"].as_str().unwrap())
        .collect();
    assert_eq!(meets, vec!["radio-listening", "tv-watching"]);

    let history = data.json(&["compliance", "350000", "--changes"]);
    let dates: Vec<(&str, &str)> = history["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["valid_from"].as_str().unwrap(),
                c["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        dates,
        vec![
            ("2021-03-30", "not_due"),
            ("2021-10-01", "not_determinable"),
            ("2022-01-06", "not_determinable"),
            ("2023-08-09", "not_determinable"),
            ("2024-02-10", "non_compliant"),
        ]
    );
    // `--changes` agrees with the answer at each point.
    for (jurisdiction, history) in [
        ("350000", &history),
        ("310000", &data.json(&["compliance", "310000", "--changes"])),
    ] {
        for change in history["changes"].as_array().unwrap() {
            let day = change["valid_from"].as_str().unwrap();
            let report = data.json(&["compliance", jurisdiction, "--valid-at", day]);
            assert_eq!(
                report["status"], change["status"],
                "{jurisdiction} at {day}"
            );
        }
    }

    let summary = data.json(&["compliance-summary", "CN", "--valid-at", "2025-01-01"]);
    assert_eq!(summary["rows"].as_array().unwrap().len(), 31);
    let text = data.ok(&["compliance", "310000", "--valid-at", "2025-01-01"]);
    assert!(
        text.contains("310000 上海市: NOT DETERMINABLE at 2025-01-01"),
        "{text}"
    );
}

#[test]
fn compliance_questions_that_make_no_sense_are_refused_with_the_reason() {
    let data = Data::with_local_examples();
    for (args, needle) in [
        (vec!["compliance", "CN"], "national standard, the reference"),
        (
            vec!["compliance", "710000"],
            "31 provincial-level divisions",
        ),
        (vec!["compliance", "31000"], "six-digit division code"),
    ] {
        let out = data.run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}
