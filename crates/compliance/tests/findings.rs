//! Every finding kind, on synthetic standards recorded through `decide`:
//! given these revisions, at (valid_at, known_at), then this status and these findings.
#![allow(clippy::unwrap_used)]

mod common;

use compliance::{
    ComplianceError, ComplianceStatus, DeadlineState, FindingKind, Severity, evaluate, over_time,
    summarize,
};
use domain::command::PublishRevision;
use domain::levels::extract_levels;
use timeline::Timeline;

use FindingKind::*;
use common::*;

const RADIO_15: &str = "提供不少于15套广播节目。";
const FAIRS_2_A_YEAR: &str = "每年至少组织2次招聘活动。";
const MEAL_100_A_MONTH: &str = "每人每月不少于100元伙食补助。";

/// The national edition of 2021-04-01: three items with structured levels.
fn national_2021() -> PublishRevision {
    national(
        "n-2021",
        "2021-04-01",
        vec![
            item("radio", Some(RADIO_15)),
            item("fairs", Some(FAIRS_2_A_YEAR)),
            item("meal", Some(MEAL_100_A_MONTH)),
        ],
    )
}

/// The 2023 adjustment: radio raised from 15 to 17 programmes from 2023-08-01.
fn national_raise_2023() -> PublishRevision {
    adjustment(
        "CN",
        "n-2023",
        Some("2023-07-20"),
        "2023-08-01",
        vec![set_standard("radio", "提供不少于17套广播节目。")],
    )
}

/// A local standard that keeps every national level: radio equal, job fairs once a
/// quarter (4 a year, above 2), meals 1200 a year (= 100 a month).
fn keeping<'a>(jurisdiction: &'a str, id: &'a str) -> Local<'a> {
    Local {
        jurisdiction,
        id,
        implements: "n-2021",
        issued: Some("2021-06-01"),
        effective: "2021-07-01",
        declared: Some(3),
        items: vec![
            mapped("radio-l", "radio", Some(RADIO_15)),
            mapped("fairs-l", "fairs", Some("每季度至少组织1次招聘活动。")),
            mapped("meal-l", "meal", Some("每人每年不少于1200元伙食补助。")),
        ],
        local_items: Vec::new(),
    }
}

fn beijing() -> PublishRevision {
    keeping("110000", "l-2021").command()
}

struct Case {
    name: &'static str,
    given: Vec<PublishRevision>,
    jurisdiction: &'static str,
    valid_at: &'static str,
    /// Record time as of the n-th append (0-based); `None`: as the registry stands.
    known_after_append: Option<usize>,
    status: ComplianceStatus,
    /// (kind, standard compared against)
    findings: Vec<(FindingKind, &'static str)>,
}

fn cases() -> Vec<Case> {
    let with = |edit: fn(&mut Local)| {
        let mut local = keeping("110000", "l-2021");
        edit(&mut local);
        local.command()
    };
    let merged_national = || {
        national(
            "n-2021",
            "2021-04-01",
            vec![
                item("radio", Some(RADIO_15)),
                item("old-a", Some("提供不少于1次服务A。")),
                item("old-b", Some("提供不少于1次服务B。")),
            ],
        )
    };
    let merging_local = || {
        Local {
            jurisdiction: "110000",
            id: "l-2021",
            implements: "n-2021",
            issued: Some("2021-06-01"),
            effective: "2021-07-01",
            declared: Some(3),
            items: vec![
                mapped("radio-l", "radio", Some(RADIO_15)),
                mapped("a-l", "old-a", Some("提供不少于1次服务A。")),
                mapped("b-l", "old-b", Some("提供不少于1次服务B。")),
            ],
            local_items: Vec::new(),
        }
        .command()
    };
    let merge_2023 = || {
        adjustment(
            "CN",
            "n-2023",
            Some("2023-07-20"),
            "2023-08-01",
            vec![merge(
                &["old-a", "old-b"],
                item("new-ab", Some("提供不少于1次服务AB。")),
            )],
        )
    };
    let one_item_local = |jurisdiction: &'static str, id: &'static str, radio: &str| {
        Local {
            jurisdiction,
            id,
            implements: "n-2021",
            issued: Some("2021-05-01"),
            effective: "2021-05-01",
            declared: Some(1),
            items: vec![mapped("radio-l", "radio", Some(radio))],
            local_items: Vec::new(),
        }
        .command()
    };
    vec![
        Case {
            name: "every national level kept; one above it",
            given: vec![national_2021(), beijing()],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::Compliant,
            findings: vec![(LevelAbove, "CN")],
        },
        Case {
            name: "the day before the national level rises",
            given: vec![national_2021(), beijing(), national_raise_2023()],
            jurisdiction: "110000",
            valid_at: "2023-07-31",
            known_after_append: None,
            status: ComplianceStatus::Compliant,
            findings: vec![(LevelAbove, "CN")],
        },
        Case {
            name: "the national level rises above the local one on its effective date",
            given: vec![national_2021(), beijing(), national_raise_2023()],
            jurisdiction: "110000",
            valid_at: "2023-08-01",
            known_after_append: None,
            status: ComplianceStatus::NonCompliant,
            findings: vec![(LevelBelow, "CN"), (LevelAbove, "CN")],
        },
        Case {
            name: "six months after the adjustment, no implementation of it is on record",
            given: vec![national_2021(), beijing(), national_raise_2023()],
            jurisdiction: "110000",
            valid_at: "2024-02-02",
            known_after_append: None,
            status: ComplianceStatus::NonCompliant,
            findings: vec![
                (ImplementationMissing, "CN"),
                (LevelBelow, "CN"),
                (LevelAbove, "CN"),
            ],
        },
        Case {
            name: "before a retroactive correction of the national level was recorded",
            given: vec![
                national_2021(),
                beijing(),
                correction(
                    "CN",
                    "c-2021",
                    "n-2021",
                    "2021-04-01",
                    vec![set_standard("meal", "每人每月不少于120元伙食补助。")],
                ),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: Some(1),
            status: ComplianceStatus::Compliant,
            findings: vec![(LevelAbove, "CN")],
        },
        Case {
            name: "after the retroactive correction, the same past date answers otherwise",
            given: vec![
                national_2021(),
                beijing(),
                correction(
                    "CN",
                    "c-2021",
                    "n-2021",
                    "2021-04-01",
                    vec![set_standard("meal", "每人每月不少于120元伙食补助。")],
                ),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::NonCompliant,
            findings: vec![(LevelBelow, "CN"), (LevelAbove, "CN")],
        },
        Case {
            name: "a national item missing from a complete local record",
            given: vec![
                national_2021(),
                with(|l| {
                    l.declared = Some(2);
                    l.items.pop();
                }),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::NonCompliant,
            findings: vec![(NationalItemMissing, "CN"), (LevelAbove, "CN")],
        },
        Case {
            name: "a national item absent from an incomplete local record",
            given: vec![
                national_2021(),
                with(|l| {
                    l.declared = None;
                    l.items.pop();
                }),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::NotDeterminable,
            findings: vec![(NationalItemNotOnRecord, "CN"), (LevelAbove, "CN")],
        },
        Case {
            name: "a local item beyond national scope without an assessment",
            given: vec![
                national_2021(),
                with(|l| {
                    l.declared = Some(4);
                    l.local_items.push(beyond("extra", None));
                }),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::NonCompliant,
            findings: vec![(BeyondScopeWithoutAssessment, "CN"), (LevelAbove, "CN")],
        },
        Case {
            name: "a local item beyond national scope with its assessment on record",
            given: vec![
                national_2021(),
                with(|l| {
                    l.declared = Some(4);
                    l.local_items
                        .push(beyond("extra", Some("京发改〔2021〕1号 论证和风险评估")));
                }),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::Compliant,
            findings: vec![(LevelAbove, "CN"), (BeyondScopeWithAssessment, "CN")],
        },
        Case {
            name: "no local standard on the deadline day",
            given: vec![national_2021()],
            jurisdiction: "120000",
            valid_at: "2021-10-01",
            known_after_append: None,
            status: ComplianceStatus::NotDue,
            findings: vec![],
        },
        Case {
            name: "no local standard the day after the deadline",
            given: vec![national_2021()],
            jurisdiction: "120000",
            valid_at: "2021-10-02",
            known_after_append: None,
            status: ComplianceStatus::NonCompliant,
            findings: vec![(ImplementationMissing, "CN")],
        },
        Case {
            name: "issued after the deadline",
            given: vec![
                national_2021(),
                with(|l| {
                    l.issued = Some("2021-11-15");
                    l.effective = "2021-12-01";
                }),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::NonCompliant,
            findings: vec![(PublishedLate, "CN"), (LevelAbove, "CN")],
        },
        Case {
            name: "issue date not on record, in force only after the deadline",
            given: vec![
                national_2021(),
                with(|l| {
                    l.issued = None;
                    l.effective = "2021-12-01";
                }),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::NotDeterminable,
            findings: vec![(PublicationDateNotOnRecord, "CN"), (LevelAbove, "CN")],
        },
        Case {
            name: "issue date not on record, in force before the deadline",
            given: vec![
                national_2021(),
                with(|l| {
                    l.issued = None;
                    l.effective = "2021-09-01";
                }),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::Compliant,
            findings: vec![(LevelAbove, "CN")],
        },
        Case {
            name: "national items merged since the local standard was published",
            given: vec![merged_national(), merging_local(), merge_2023()],
            jurisdiction: "110000",
            valid_at: "2023-09-01",
            known_after_append: None,
            status: ComplianceStatus::NonCompliant,
            findings: vec![
                (NationalItemMissing, "CN"),
                (CounterpartRetired, "CN"),
                (CounterpartRetired, "CN"),
            ],
        },
        Case {
            name: "before the merge the same standard complies",
            given: vec![merged_national(), merging_local(), merge_2023()],
            jurisdiction: "110000",
            valid_at: "2023-07-31",
            known_after_append: None,
            status: ComplianceStatus::Compliant,
            findings: vec![],
        },
        Case {
            name: "local items whose national counterpart is not on record",
            given: vec![
                national_2021(),
                with(|l| {
                    l.declared = Some(5);
                    l.items.push(mapped("odd", "no-such-item", None));
                    l.items.push(item("unmapped", None));
                }),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::NotDeterminable,
            findings: vec![
                (LevelAbove, "CN"),
                (CounterpartNotOnRecord, "CN"),
                (CounterpartNotOnRecord, "CN"),
            ],
        },
        Case {
            name: "a prose-only national standard cannot be compared",
            given: vec![
                national(
                    "n-2021",
                    "2021-04-01",
                    vec![item("pension", Some("按照国家有关规定执行。"))],
                ),
                Local {
                    jurisdiction: "110000",
                    id: "l-2021",
                    implements: "n-2021",
                    issued: Some("2021-06-01"),
                    effective: "2021-07-01",
                    declared: Some(1),
                    items: vec![mapped(
                        "pension-l",
                        "pension",
                        Some("每人每月不少于100元抚恤金。"),
                    )],
                    local_items: Vec::new(),
                }
                .command(),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::NotDeterminable,
            findings: vec![(LevelNotComparable, "CN")],
        },
        Case {
            name: "a prose-only local standard cannot be compared",
            given: vec![
                national_2021(),
                with(|l| {
                    l.items[0] = mapped("radio-l", "radio", Some("按照本市有关规定执行。"));
                }),
            ],
            jurisdiction: "110000",
            valid_at: "2022-06-01",
            known_after_append: None,
            status: ComplianceStatus::NotDeterminable,
            findings: vec![(LevelNotComparable, "CN"), (LevelAbove, "CN")],
        },
        Case {
            name: "a county above the national level but below its province and city",
            given: vec![
                national("n-2021", "2021-04-01", vec![item("radio", Some(RADIO_15))]),
                one_item_local("510000", "sc-2021", "提供不少于20套广播节目。"),
                one_item_local("510100", "cd-2021", "提供不少于20套广播节目。"),
                one_item_local("510104", "jj-2021", "提供不少于16套广播节目。"),
            ],
            jurisdiction: "510104",
            valid_at: "2022-01-01",
            known_after_append: None,
            status: ComplianceStatus::NonCompliant,
            findings: vec![
                (LevelBelow, "510000"),
                (LevelBelow, "510100"),
                (LevelAbove, "CN"),
            ],
        },
    ]
}

#[test]
fn findings_at_a_point() {
    for case in cases() {
        let given = Given::new().all(case.given);
        let report = evaluate(
            &given.timeline,
            &j(case.jurisdiction),
            d(case.valid_at),
            case.known_after_append.map(recorded),
        )
        .unwrap();
        let mut got: Vec<(FindingKind, String)> = report
            .findings
            .iter()
            .map(|f| (f.kind, f.against.to_string()))
            .collect();
        let mut expected: Vec<(FindingKind, String)> = case
            .findings
            .iter()
            .map(|(k, a)| (*k, (*a).to_owned()))
            .collect();
        got.sort();
        expected.sort();
        let messages: Vec<&str> = report.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(got, expected, "{}: {messages:#?}", case.name);
        assert_eq!(report.status, case.status, "{}: {messages:#?}", case.name);
        for f in &report.findings {
            assert_eq!(f.severity, f.kind.severity(), "{}", case.name);
        }
    }
}

#[test]
fn every_finding_kind_is_covered_by_a_case() {
    let covered: Vec<FindingKind> = cases()
        .iter()
        .flat_map(|c| c.findings.iter().map(|(k, _)| *k))
        .collect();
    for kind in FindingKind::ALL {
        assert!(covered.contains(&kind), "no case for {}", kind.as_str());
    }
}

#[test]
fn a_level_finding_names_both_items_values_and_revisions() {
    let given = Given::new().all(vec![national_2021(), beijing(), national_raise_2023()]);
    let report = evaluate(&given.timeline, &j("110000"), d("2023-08-01"), None).unwrap();
    let below = report
        .findings
        .iter()
        .find(|f| f.kind == LevelBelow)
        .unwrap();
    assert_eq!(below.national_item, Some(iid("radio")));
    let reference = below.reference.as_ref().unwrap();
    let local = below.local.as_ref().unwrap();
    assert_eq!(
        (reference.item.as_str(), reference.revision.as_str()),
        ("radio", "n-2023")
    );
    assert_eq!(
        (local.item.as_str(), local.revision.as_str()),
        ("radio-l", "l-2021")
    );
    assert_eq!(
        reference
            .service_standard
            .as_known()
            .unwrap()
            .levels
            .to_vec(),
        extract_levels("提供不少于17套广播节目。")
    );
    assert_eq!(local.service_standard.as_known().unwrap().text, RADIO_15);
    let comparison = below.comparison.as_ref().unwrap();
    assert_eq!(comparison.levels[0].local.as_ref().unwrap().quantity, 15.0);
    assert_eq!(comparison.levels[0].reference.quantity, 17.0);
    for needle in ["radio-l", "l-2021", "radio", "n-2023", "≥ 15", "≥ 17"] {
        assert!(
            below.message.contains(needle),
            "{needle} in {}",
            below.message
        );
    }
    assert_eq!(report.national_edition.as_ref().unwrap().id, rid("n-2023"));
    assert_eq!(report.deadline.as_ref().unwrap().due_by, d("2024-02-01"));
    assert_eq!(
        report.deadline.as_ref().unwrap().state,
        DeadlineState::NotYetDue
    );
}

#[test]
fn a_deadline_finding_names_the_revisions_and_dates() {
    let late = Local {
        issued: Some("2021-11-15"),
        effective: "2021-12-01",
        ..keeping("110000", "l-2021")
    };
    let given = Given::new().all(vec![national_2021(), late.command()]);
    let report = evaluate(&given.timeline, &j("110000"), d("2022-06-01"), None).unwrap();
    let finding = report
        .findings
        .iter()
        .find(|f| f.kind == PublishedLate)
        .unwrap();
    let deadline = finding.deadline.as_ref().unwrap();
    assert_eq!(deadline.national_revision, rid("n-2021"));
    assert_eq!(deadline.due_by, d("2021-10-01"));
    assert_eq!(deadline.local_revision, Some(rid("l-2021")));
    assert_eq!(deadline.published_on, Some(d("2021-11-15")));
    // Before it was issued, it was simply missing.
    let before = evaluate(&given.timeline, &j("110000"), d("2021-11-01"), None).unwrap();
    assert_eq!(before.deadline.unwrap().state, DeadlineState::Missing);
}

fn statuses(
    timeline: &Timeline,
    known_after_append: Option<usize>,
) -> Vec<(String, ComplianceStatus)> {
    over_time(timeline, &j("110000"), known_after_append.map(recorded))
        .unwrap()
        .changes
        .iter()
        .map(|c| (c.valid_from.to_string(), c.status))
        .collect()
}

#[test]
fn compliance_over_time_follows_the_national_and_local_versions() {
    use ComplianceStatus::*;
    let given = Given::new().all(vec![national_2021(), beijing(), national_raise_2023()]);
    let expected = vec![
        ("2021-04-01", NotDue),
        ("2021-07-01", Compliant),
        ("2023-08-01", NonCompliant),
        // The adjustment's deadline passes: a second violation, same status.
        ("2024-02-02", NonCompliant),
    ];
    let expected: Vec<(String, ComplianceStatus)> = expected
        .into_iter()
        .map(|(d, s)| (d.to_owned(), s))
        .collect();
    assert_eq!(statuses(&given.timeline, None), expected);
    // As recorded before the adjustment, nothing happened in 2023.
    assert_eq!(statuses(&given.timeline, Some(1)), expected[..2].to_vec());

    let history = over_time(&given.timeline, &j("110000"), None).unwrap();
    let rise = &history.changes[2];
    assert_eq!(rise.revisions, vec![rid("n-2023")]);
    assert_eq!(rise.previous_status, Some(Compliant));
    assert_eq!(
        rise.added.iter().map(|f| f.kind).collect::<Vec<_>>(),
        vec![LevelBelow]
    );
    let deadline = &history.changes[3];
    assert_eq!(deadline.deadline_passed_for, Some(rid("n-2023")));
    assert_eq!(
        deadline.added.iter().map(|f| f.kind).collect::<Vec<_>>(),
        vec![ImplementationMissing]
    );
}

#[test]
fn a_local_adjustment_restores_compliance() {
    use ComplianceStatus::*;
    let mut fix = adjustment(
        "110000",
        "l-2023",
        Some("2023-09-15"),
        "2023-10-01",
        vec![set_standard("radio-l", "提供不少于17套广播节目。")],
    );
    fix.revision.implements = Some(rid("n-2023"));
    let given = Given::new().all(vec![national_2021(), beijing(), national_raise_2023(), fix]);
    let expected: Vec<(String, ComplianceStatus)> = [
        ("2021-04-01", NotDue),
        ("2021-07-01", Compliant),
        ("2023-08-01", NonCompliant),
        ("2023-10-01", Compliant),
    ]
    .into_iter()
    .map(|(d, s)| (d.to_owned(), s))
    .collect();
    assert_eq!(statuses(&given.timeline, None), expected);
    let history = over_time(&given.timeline, &j("110000"), None).unwrap();
    assert_eq!(
        history.changes[3]
            .resolved
            .iter()
            .map(|f| f.kind)
            .collect::<Vec<_>>(),
        vec![LevelBelow]
    );
    let report = evaluate(&given.timeline, &j("110000"), d("2024-06-01"), None).unwrap();
    assert_eq!(report.deadline.unwrap().state, DeadlineState::Met);
}

#[test]
fn summary_lists_every_province_and_the_registered_localities() {
    let county = |jurisdiction: &'static str, id: &'static str| Local {
        declared: Some(3),
        ..keeping(jurisdiction, id)
    };
    let given = Given::new().all(vec![
        national_2021(),
        beijing(),
        county("510000", "sc-2021").command(),
        county("510100", "cd-2021").command(),
        Local {
            issued: Some("2021-12-01"),
            effective: "2021-12-01",
            ..county("510104", "jj-2021")
        }
        .command(),
    ]);
    let summary = summarize(&given.timeline, &j("CN"), d("2022-06-01"), None).unwrap();
    assert_eq!(summary.rows.len(), 33);
    let row = |code: &str| {
        summary
            .rows
            .iter()
            .find(|r| r.jurisdiction.as_str() == code)
            .unwrap()
    };
    assert_eq!(row("110000").status, ComplianceStatus::Compliant);
    assert_eq!(row("110000").name.as_deref(), Some("北京市"));
    assert_eq!(row("120000").status, ComplianceStatus::NonCompliant);
    assert_eq!(row("120000").violation_kinds, vec![ImplementationMissing]);
    assert_eq!(row("510104").violation_kinds, vec![PublishedLate]);
    assert_eq!(row("510104").name, None);
    let count = |status| {
        summary
            .totals
            .iter()
            .find(|t| t.status == status)
            .unwrap()
            .count
    };
    assert_eq!(count(ComplianceStatus::Compliant), 3);
    assert_eq!(count(ComplianceStatus::NonCompliant), 30);

    let sichuan = summarize(&given.timeline, &j("510000"), d("2022-06-01"), None).unwrap();
    let codes: Vec<&str> = sichuan
        .rows
        .iter()
        .map(|r| r.jurisdiction.as_str())
        .collect();
    assert_eq!(codes, vec!["510100", "510104"]);
    assert_eq!(sichuan.rows[1].violations, 1);
}

#[test]
fn questions_that_cannot_be_answered_say_why() {
    let empty = Timeline::new();
    let given = Given::new().publish(national_2021());
    let cases: Vec<(&Timeline, &str, ComplianceError)> = vec![
        (&given.timeline, "CN", ComplianceError::NationalIsReference),
        (
            &given.timeline,
            "710000",
            ComplianceError::UnknownProvince(j("710000")),
        ),
        (&empty, "110000", ComplianceError::NoNationalStandard),
    ];
    for (timeline, code, error) in cases {
        assert_eq!(
            evaluate(timeline, &j(code), d("2022-01-01"), None).unwrap_err(),
            error
        );
        assert_eq!(over_time(timeline, &j(code), None).unwrap_err(), error);
    }
    assert_eq!(
        summarize(&given.timeline, &j("810000"), d("2022-01-01"), None).unwrap_err(),
        ComplianceError::UnknownProvince(j("810000"))
    );
    // Before any national edition, nothing is due.
    let report = evaluate(&given.timeline, &j("110000"), d("2020-01-01"), None).unwrap();
    assert_eq!(report.status, ComplianceStatus::NotDue);
    assert!(report.findings.is_empty());
    assert_eq!(report.coverage.national_items_on_record, 0);
    let _ = Severity::Notice;
}
