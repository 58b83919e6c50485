//! Compliance of local standards over GraphQL, on the bundled national data
//! and the bundled local examples, checked against the `compliance` crate
//! (what `stdreg compliance --json` prints).

use chrono::NaiveDate;
use domain::ids::Jurisdiction;
use registry::import::ImportFile;
use registry::query::Point;
use serde_json::{Value, json};

use crate::{Harness, code};

/// The harness with the bundled local implementation examples imported too.
async fn with_local_examples() -> Harness {
    let h = Harness::new().await;
    let revisions = registry::bundled_local::local_revisions().expect("bundled local examples");
    h.state
        .registry
        .import(&ImportFile::new(revisions), "import")
        .await
        .expect("import local examples");
    h
}

fn upper(text: &str) -> String {
    text.to_uppercase()
}

/// What GraphQL must answer for a report, built from the crate's own report.
fn expected(report: &compliance::ComplianceReport) -> Value {
    json!({
        "jurisdiction": report.jurisdiction.as_str(),
        "name": report.name,
        "status": upper(report.status.as_str()),
        "deadline": report.deadline.as_ref().map(|d| json!({
            "nationalRevision": { "id": d.national_revision.to_string() },
            "dueBy": d.due_by.to_string(),
        })),
        "coverage": {
            "nationalItemsOnRecord": report.coverage.national_items_on_record,
            "localItemsOnRecord": report.coverage.local_items_on_record,
            "nationalItemsMatched": report.coverage.national_items_matched,
        },
        "items": report.items.len(),
        "findings": report.findings.iter().map(|f| json!({
            "kind": upper(f.kind.as_str()),
            "against": f.against.as_str(),
            "nationalItem": f.national_item.as_ref().map(ToString::to_string),
            "local": f.local.as_ref().map(|l| json!({ "item": l.item.to_string() })),
            "message": f.message,
        })).collect::<Vec<_>>(),
    })
}

const REPORT: &str = r#"
    jurisdiction name status
    deadline { nationalRevision { id } dueBy }
    coverage { nationalItemsOnRecord localItemsOnRecord nationalItemsMatched }
    items { localItem }
    findings { kind against nationalItem local { item } message }"#;

fn actual(mut report: Value) -> Value {
    let count = report["items"].as_array().map_or(0, Vec::len);
    report["items"] = json!(count);
    report
}

#[tokio::test]
async fn standard_compliance_agrees_with_the_compliance_crate() {
    let h = with_local_examples().await;
    let today = registry::today(chrono::Utc::now());
    let cases = [
        ("500000", Some("2025-01-01"), "NOT_DETERMINABLE"),
        ("310000", Some("2025-01-01"), ""),
        ("350000", Some("2025-01-01"), "NON_COMPLIANT"),
        ("350000", Some("2022-06-01"), ""),
        ("500000", None, ""),
    ];
    for (jurisdiction, valid_at, status) in cases {
        let query = format!(
            "query($j: String!, $at: Date) {{ standard(jurisdiction: $j) {{ compliance(validAt: $at) {{ {REPORT} }} }} }}"
        );
        let data = h
            .data(&query, json!({ "j": jurisdiction, "at": valid_at }))
            .await;
        let day = valid_at.map_or(today, |d| d.parse::<NaiveDate>().expect("date"));
        let report = h
            .state
            .registry
            .compliance(
                &Jurisdiction::parse(jurisdiction).expect("code"),
                Point::new(day, None),
            )
            .expect("report");
        let served = actual(data["standard"]["compliance"].clone());
        assert_eq!(served, expected(&report), "{jurisdiction} at {day}");
        if !status.is_empty() {
            assert_eq!(served["status"], status, "{jurisdiction} at {day}");
        }
    }
}

#[tokio::test]
async fn findings_filter_by_severity_and_kind() {
    let h = with_local_examples().await;
    let data = h
        .data(
            r#"{ standard(jurisdiction: "500000") { compliance(validAt: "2025-01-01") {
                violations undetermined notices
                all: findings { kind severity }
                undetermined_: findings(severity: UNDETERMINED) { kind severity }
                levels: findings(kind: LEVEL_NOT_COMPARABLE) { kind comparison { outcome reason { code description } levels { measure outcome reference { quantity } local { quantity } } } }
            } } }"#,
            json!({}),
        )
        .await;
    let report = &data["standard"]["compliance"];
    let all = report["all"].as_array().expect("findings");
    let undetermined = report["undetermined_"].as_array().expect("findings");
    assert_eq!(
        undetermined.len() as u64,
        report["undetermined"].as_u64().expect("count")
    );
    assert_eq!(
        all.len() as u64,
        ["violations", "undetermined", "notices"]
            .iter()
            .map(|k| report[k].as_u64().expect("count"))
            .sum::<u64>()
    );
    assert!(undetermined.iter().all(|f| f["severity"] == "UNDETERMINED"));
    let levels = report["levels"].as_array().expect("findings");
    assert!(!levels.is_empty(), "{report}");
    for finding in levels {
        assert_eq!(finding["kind"], "LEVEL_NOT_COMPARABLE");
        assert_eq!(finding["comparison"]["outcome"], "NOT_COMPARABLE");
    }
}

#[tokio::test]
async fn a_locality_without_a_standard_is_missing_its_implementation() {
    let h = with_local_examples().await;
    let data = h
        .data(
            r#"{ compliance(jurisdiction: "110000", validAt: "2025-01-01") {
                jurisdiction name level status local { jurisdiction }
                deadline { state dueBy localRevision { id } }
                findings(severity: VIOLATION) { kind deadline { state } }
            } }"#,
            json!({}),
        )
        .await;
    let report = &data["compliance"];
    assert_eq!(report["name"], "北京市");
    assert_eq!(report["level"], "PROVINCE");
    assert_eq!(report["status"], "NON_COMPLIANT");
    assert_eq!(report["local"], Value::Null);
    assert_eq!(report["deadline"]["state"], "MISSING");
    assert_eq!(report["deadline"]["localRevision"], Value::Null);
    assert_eq!(
        report["findings"],
        json!([{ "kind": "IMPLEMENTATION_MISSING", "deadline": { "state": "MISSING" } }])
    );
}

#[tokio::test]
async fn compliance_changes_agree_with_over_time() {
    let h = with_local_examples().await;
    let data = h
        .data(
            r#"{ standard(jurisdiction: "350000") { complianceChanges {
                jurisdiction knownAt truncated
                changes { validFrom status previousStatus revisions { id } added { kind } resolved { kind } }
            } } }"#,
            json!({}),
        )
        .await;
    let history = h
        .state
        .registry
        .compliance_changes(&Jurisdiction::parse("350000").expect("code"), None)
        .expect("history");
    let kinds = |findings: &[compliance::Finding]| -> Vec<Value> {
        findings
            .iter()
            .map(|f| json!({ "kind": upper(f.kind.as_str()) }))
            .collect()
    };
    let expected = json!({
        "jurisdiction": "350000",
        "knownAt": null,
        "truncated": history.truncated,
        "changes": history.changes.iter().map(|c| json!({
            "validFrom": c.valid_from.to_string(),
            "status": upper(c.status.as_str()),
            "previousStatus": c.previous_status.map(|s| upper(s.as_str())),
            "revisions": c.revisions.iter().map(|r| json!({ "id": r.to_string() })).collect::<Vec<_>>(),
            "added": kinds(&c.added),
            "resolved": kinds(&c.resolved),
        })).collect::<Vec<_>>(),
    });
    assert_eq!(data["standard"]["complianceChanges"], expected);
    assert!(!history.changes.is_empty());
}

#[tokio::test]
async fn the_summary_lists_every_province() {
    let h = with_local_examples().await;
    let data = h
        .data(
            r#"{ complianceSummary(parent: "CN", validAt: "2025-01-01") {
                parent parentName validAt knownAt truncated nationalEdition { id }
                rows { jurisdiction name level status deadline localRevisions { id } violations violationKinds }
                totals { status count }
            } }"#,
            json!({}),
        )
        .await;
    let summary = &data["complianceSummary"];
    let expected = h
        .state
        .registry
        .compliance_summary(
            &Jurisdiction::national(),
            Point::new(NaiveDate::from_ymd_opt(2025, 1, 1).expect("date"), None),
        )
        .expect("summary");
    assert_eq!(summary["parent"], "CN");
    assert_eq!(summary["parentName"], "全国");
    assert_eq!(summary["truncated"], false);
    let rows = summary["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), expected.rows.len());
    assert!(rows.len() >= 31, "{}", rows.len());
    for province in compliance::divisions::PROVINCES {
        let row = rows
            .iter()
            .find(|r| r["jurisdiction"] == province.code)
            .unwrap_or_else(|| panic!("no row for {}", province.code));
        assert_eq!(row["name"], province.name);
        assert_eq!(row["level"], "PROVINCE");
    }
    for (row, want) in rows.iter().zip(&expected.rows) {
        assert_eq!(row["jurisdiction"], want.jurisdiction.as_str());
        assert_eq!(row["status"], upper(want.status.as_str()));
        assert_eq!(row["violations"], want.violations);
    }
    let chongqing = rows
        .iter()
        .find(|r| r["jurisdiction"] == "500000")
        .expect("chongqing");
    assert_eq!(
        chongqing["localRevisions"],
        json!([{ "id": "chongqing-2024-07-03" }])
    );
    let total: u64 = summary["totals"]
        .as_array()
        .expect("totals")
        .iter()
        .map(|t| t["count"].as_u64().expect("count"))
        .sum();
    assert_eq!(total, rows.len() as u64);
}

#[tokio::test]
async fn the_national_standard_has_no_compliance() {
    let h = with_local_examples().await;
    let data = h
        .data(
            r#"{ standard(jurisdiction: "CN") { compliance { status } complianceChanges { truncated } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["standard"],
        json!({ "compliance": null, "complianceChanges": null })
    );
}

#[tokio::test]
async fn bad_jurisdictions_are_refused_with_their_code() {
    let h = with_local_examples().await;
    let cases = [
        (
            r#"{ compliance(jurisdiction: "abc") { status } }"#,
            "BAD_USER_INPUT",
            "abc",
        ),
        (
            r#"{ compliance(jurisdiction: "CN") { status } }"#,
            "BAD_USER_INPUT",
            "national standard",
        ),
        (
            r#"{ compliance(jurisdiction: "990000") { status } }"#,
            "NOT_FOUND",
            "990000",
        ),
        (
            r#"{ complianceSummary(parent: "51") { truncated } }"#,
            "BAD_USER_INPUT",
            "51",
        ),
        (
            r#"{ complianceSummary(parent: "990000") { truncated } }"#,
            "NOT_FOUND",
            "990000",
        ),
        (
            r#"{ compliance(jurisdiction: "500000", validAt: "2025-13-01") { status } }"#,
            "BAD_USER_INPUT",
            "2025-13-01",
        ),
    ];
    for (query, expected, mentioned) in cases {
        let (_, body) = h.post(query, json!({}), None).await;
        assert_eq!(code(&body), expected, "{query}: {body}");
        let message = body["errors"][0]["message"].as_str().expect("message");
        assert!(message.contains(mentioned), "{query}: {message}");
    }
}

#[tokio::test]
async fn without_a_national_standard_compliance_is_not_found() {
    let h = Harness::empty().await;
    let (_, body) = h
        .post(
            r#"{ compliance(jurisdiction: "510000") { status } }"#,
            json!({}),
            None,
        )
        .await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
}
