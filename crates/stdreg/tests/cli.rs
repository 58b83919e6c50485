//! The command line, run as a user runs it: the real binary in a temporary data directory.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

mod support;

use support::Scratch as Registry;

impl Registry {
    /// A user error whose message is one line.
    fn one_line_error(&self, args: &[&str]) -> String {
        let stderr = self.user_error(args);
        assert_eq!(stderr.lines().count(), 1, "one-line message: {stderr}");
        stderr
    }

    fn write(&self, name: &str, value: &Value) -> String {
        let path = self.path(name);
        std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
        path.display().to_string()
    }

    fn head(&self) -> u64 {
        let log = self.json(&["log", "--from", "1", "--limit", "1000"]);
        log.as_array()
            .unwrap()
            .last()
            .map_or(0, |e| e["global_position"].as_u64().unwrap())
    }
}

fn all_items(edition: &Value) -> Vec<&Value> {
    let mut items: Vec<&Value> = edition["aspects"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["categories"].as_array().unwrap())
        .flat_map(|c| c["items"].as_array().unwrap())
        .collect();
    items.extend(edition["unplaced_items"].as_array().unwrap());
    items
}

fn item<'e>(edition: &'e Value, id: &str) -> &'e Value {
    all_items(edition)
        .into_iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("item {id} not in edition"))
}

const FOLIC_ACID: &str = "增补叶酸预防神经管缺陷服务";

#[test]
fn bundled_editions_2021_and_2023() {
    let registry = Registry::imported();
    let cases = [
        // valid_at, items on record, declared, folic acid present
        ("2022-01-01", 34, 80, false),
        ("2023-08-08", 34, 80, false),
        ("2023-08-09", 35, 81, true),
        ("2025-01-01", 35, 81, true),
    ];
    for (valid_at, items, declared, folic) in cases {
        let edition = registry.json(&["edition", "CN", "--valid-at", valid_at]);
        assert_eq!(
            edition["aspects"].as_array().unwrap().len(),
            9,
            "{valid_at}"
        );
        let categories: usize = edition["aspects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["categories"].as_array().unwrap().len())
            .sum();
        assert_eq!(categories, 22, "{valid_at}");
        assert_eq!(all_items(&edition).len(), items, "{valid_at}");
        assert_eq!(edition["declared_item_count"], declared, "{valid_at}");
        let found = all_items(&edition)
            .iter()
            .find(|i| i["name"] == FOLIC_ACID)
            .copied();
        assert_eq!(found.is_some(), folic, "{valid_at}");
        if let Some(found) = found {
            assert_eq!(found["last_changed_by"]["id"], "cn-2023");
            assert_eq!(found["last_changed_by"]["kind"], "adjustment");
        }
    }
    // Unknown is null, never empty text; known text is verbatim.
    let edition = registry.json(&["edition", "CN", "--valid-at", "2022-01-01"]);
    let veterans = item(&edition, "veteran-employment-entrepreneurship");
    assert_eq!(veterans["service_target"], "退役军人。");
    assert_eq!(
        veterans["lead_units"],
        json!(["退役军人部", "人力资源社会保障部"])
    );
    assert_eq!(
        veterans["last_changed_by"]["document_no"],
        "发改社会〔2021〕443号"
    );
    let checkup = item(&edition, "rural-free-preconception-checkup");
    assert_eq!(checkup["number"], 1);
    assert_eq!(checkup["service_content"], Value::Null);
}

#[test]
fn versions_diff_history_and_revisions_of_the_bundled_data() {
    let registry = Registry::imported();
    let versions = registry.json(&["versions", "CN"]);
    let dates: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["valid_from"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2021-03-30", "2023-08-09"]);
    assert_eq!(versions[1]["revisions"][0]["id"], "cn-2023");

    let diff = registry.json(&["diff", "CN", "--from", "2022-01-01", "--to", "2024-01-01"]);
    let added: Vec<&Value> = diff["added"].as_array().unwrap().iter().collect();
    assert_eq!(added.len(), 1);
    assert_eq!(added[0]["name"], FOLIC_ACID);
    let changed: Vec<&str> = diff["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["item"].as_str().unwrap())
        .collect();
    for amended in [
        "compulsory-edu-fee-exemption",
        "rural-compulsory-edu-meal-subsidy",
        "family-planning-special-assistance",
        "rural-dilapidated-housing-renovation",
        "special-groups-centralized-support",
        "vaccination",
    ] {
        assert!(changed.contains(&amended), "{amended} in {changed:?}");
    }
    // Text not on record in 2021 and on record in 2023 is a gap in the sources
    // filled, not a change: listed apart, each field marked as such.
    let first_on_record: Vec<&Value> = diff["first_on_record"].as_array().unwrap().iter().collect();
    for gap in ["radio-listening", "tv-watching"] {
        assert!(!changed.contains(&gap), "{gap} is not a change");
        let item = first_on_record.iter().find(|i| i["item"] == gap).unwrap();
        assert_eq!(item["change"], "first_on_record");
        assert!(
            item["fields"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["change"] == "first_on_record")
        );
    }
    assert_eq!(
        diff["declared_item_count"],
        json!({"before": 80, "after": 81})
    );
    let text = registry.ok(&["diff", "CN", "--from", "2022-01-01", "--to", "2024-01-01"]);
    assert!(text.contains("declared item count: 80 -> 81"), "{text}");
    assert!(
        !text.contains("Some(") && !text.contains("Known("),
        "no debug text: {text}"
    );
    assert!(text.contains("First on record"), "{text}");

    let history = registry.json(&["history", "radio-listening"]);
    let entries = history["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["revision"], "cn-2023");
    let standard = entries[1]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "service_standard")
        .unwrap();
    assert_eq!(standard["before"], Value::Null);
    assert_eq!(standard["after"]["levels"][0]["quantity"], 15.0);

    let revisions = registry.json(&["revisions", "CN"]);
    let ids: Vec<&str> = revisions
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["cn-2021", "cn-2023"]);
}

#[test]
fn an_item_cites_the_revision_behind_each_field() {
    let registry = Registry::imported();
    let cited =
        |valid_at: &str| registry.json(&["item", "radio-listening", "--valid-at", valid_at]);
    let before = cited("2022-06-01");
    assert_eq!(before["in_force"], true);
    assert_eq!(before["item"]["name"], "收听广播");
    let after = cited("2024-01-01");
    let citation = |view: &Value, field: &str| -> Value {
        view["citations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == field)
            .unwrap()["revision"]
            .clone()
    };
    // The 2021 edition stands behind the name; the 2023 adjustment behind the standard it stated.
    assert_eq!(citation(&after, "name")["id"], "cn-2021");
    let standard = citation(&after, "service_standard");
    assert_eq!(standard["id"], "cn-2023");
    for key in ["title", "effective_from", "recorded_at", "status"] {
        assert!(standard[key].is_string(), "{key} in {standard}");
    }
    // Metadata not on record is null, never invented (the 2023 document number).
    assert_eq!(standard["document_no"], Value::Null);
    let text = registry.ok(&["item", "radio-listening", "--valid-at", "2024-01-01"]);
    assert!(
        text.contains("Cited from:") && text.contains("cn-2023"),
        "{text}"
    );
    assert!(text.contains("document (not on record)"), "{text}");
    let early = cited("2020-01-01");
    assert_eq!(early["item"], Value::Null);
    assert_eq!(early["in_force"], false);
}

#[test]
fn importing_twice_appends_nothing_the_second_time() {
    let registry = Registry::imported();
    let head = registry.head();
    let second = registry.ok(&["import"]);
    assert!(
        second.contains("already recorded, nothing appended"),
        "{second}"
    );
    assert_eq!(registry.head(), head);
}

#[test]
fn known_at_before_the_import_shows_nothing_recorded() {
    let registry = Registry::imported();
    let edition = registry.json(&[
        "edition",
        "CN",
        "--valid-at",
        "2022-01-01",
        "--known-at",
        "2020-01-01T00:00:00Z",
    ]);
    assert_eq!(edition["in_force"], false);
    assert_eq!(all_items(&edition).len(), 0);
    let versions = registry.json(&["versions", "CN", "--known-at", "2020-01-01T00:00:00Z"]);
    assert_eq!(versions, json!([]));
}

fn correction(effective_from: &str, text: &str) -> Value {
    json!({
        "format": "stdreg.revisions/1",
        "revisions": [{
            "revision": {
                "id": "cn-2021-corr-1",
                "jurisdiction": "CN",
                "kind": "correction",
                "title": "关于更正《国家基本公共服务标准(2021年版)》的说明",
                "document_no": null,
                "issuers": null,
                "issued_on": null,
                "effective_from": effective_from,
                "target": "cn-2021"
            },
            "content": {"changes": [{
                "op": "amend_item",
                "item": "veteran-resettlement",
                "fields": {"service_standard": {"text": text}},
                "reason": "corrects the printed text"
            }]}
        }]
    })
}

#[test]
fn a_retroactive_correction_changes_the_past_only_as_known_after_it() {
    let registry = Registry::imported();
    let before_correction = registry.json(&["log", "--from", "1", "--limit", "1000"]);
    let last_import_time = before_correction.as_array().unwrap().last().unwrap()["recorded_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let old = item(
        &registry.json(&["edition", "CN", "--valid-at", "2022-06-01"]),
        "veteran-resettlement",
    )["service_standard"]["text"]
        .clone();

    let file = registry.write(
        "correction.json",
        &correction("2022-01-01", "更正后的服务标准。"),
    );
    registry.ok(&["publish", &file, "--actor", "editor:test"]);

    let now = registry.json(&["edition", "CN", "--valid-at", "2022-06-01"]);
    let corrected = item(&now, "veteran-resettlement");
    assert_eq!(corrected["service_standard"]["text"], "更正后的服务标准。");
    assert_eq!(corrected["last_changed_by"]["id"], "cn-2021-corr-1");

    let then = registry.json(&[
        "edition",
        "CN",
        "--valid-at",
        "2022-06-01",
        "--known-at",
        &last_import_time,
    ]);
    assert_eq!(
        item(&then, "veteran-resettlement")["service_standard"]["text"],
        old
    );
    // Before its effective date the corrected text is not in force, whatever the record time.
    let earlier = registry.json(&["edition", "CN", "--valid-at", "2021-12-31"]);
    assert_eq!(
        item(&earlier, "veteran-resettlement")["service_standard"]["text"],
        old
    );
    let history = registry.json(&["history", "veteran-resettlement"]);
    let last = history["entries"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["actor"], "editor:test");
    assert_eq!(last["reason"], "corrects the printed text");
}

#[test]
fn bad_input_gives_a_clear_message_and_appends_nothing() {
    let registry = Registry::imported();
    let head = registry.head();
    let malformed = registry.write(
        "malformed.json",
        &json!({"format": "stdreg.revisions/1", "revisions": [{"revision": {"id": "x"}}]}),
    );
    let not_json = {
        let path = registry.path("not-json.json");
        std::fs::write(&path, "{ this is not json").unwrap();
        path.display().to_string()
    };
    let wrong_format = registry.write("wrong.json", &json!({"format": "other/9", "revisions": []}));
    let retired_target = registry.write(
        "unknown-item.json",
        &json!({"format": "stdreg.revisions/1", "revisions": [{
            "revision": {"id": "cn-adj-x", "jurisdiction": "CN", "kind": "adjustment",
                "title": "t", "document_no": null, "issuers": null, "issued_on": null,
                "effective_from": "2024-01-01"},
            "content": {"changes": [{"op": "retire_item", "item": "no-such-item"}]}
        }]}),
    );
    let conflicting = registry.write("conflict.json", &correction("2022-01-01", "新文本。"));
    let missing = registry.path("missing.json").display().to_string();

    // (args, words the message must contain)
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["import", &malformed],
            vec!["malformed.json", "revisions[0].revision", "missing field"],
        ),
        (vec!["import", &not_json], vec!["not-json.json", "line 1"]),
        (
            vec!["import", &wrong_format],
            vec!["unsupported format", "stdreg.revisions/1"],
        ),
        (
            vec!["import", &missing],
            vec!["cannot read", "missing.json"],
        ),
        (
            vec!["publish", &retired_target],
            vec!["cn-adj-x", "no-such-item"],
        ),
        (
            vec!["edition", "XX"],
            vec!["'XX' is not a jurisdiction", "CN"],
        ),
        (
            vec!["edition", "510100"],
            vec!["no standard is recorded for jurisdiction 510100"],
        ),
        (
            vec!["edition", "CN", "--valid-at", "2022-13-01"],
            vec!["--valid-at", "YYYY-MM-DD"],
        ),
        (
            vec!["edition", "CN", "--known-at", "yesterday"],
            vec!["--known-at", "RFC 3339"],
        ),
        (
            vec![
                "diff",
                "CN",
                "--from",
                "2022-01-01@soon",
                "--to",
                "2023-01-01",
            ],
            vec!["--from", "RFC 3339"],
        ),
        (
            vec!["history", "no-such-item"],
            vec!["no standard has an item no-such-item"],
        ),
        (
            vec!["item", "no-such-item"],
            vec!["no standard has an item no-such-item"],
        ),
        (
            vec!["item", "radio-listening", "--jurisdiction", "310000"],
            vec!["no standard is recorded for jurisdiction 310000"],
        ),
        (
            vec!["diff", "CN", "--from", "2024-01-01", "--to", "2022-01-01"],
            vec!["later than", "swap them", "--from"],
        ),
        (
            vec!["publish", &conflicting, "--expected-version", "3"],
            vec!["someone else published first", "not 3"],
        ),
        (vec!["log", "--limit", "0"], vec!["--limit"]),
    ];
    for (args, words) in cases {
        let message = registry.one_line_error(&args);
        for word in words {
            assert!(
                message.contains(word),
                "stdreg {args:?}: {message:?} lacks {word:?}"
            );
        }
        assert_eq!(registry.head(), head, "stdreg {args:?} appended something");
    }
}

#[test]
fn expected_version_guards_against_a_concurrent_writer() {
    let registry = Registry::imported();
    let version = registry
        .json(&["log", "--from", "1", "--limit", "1000"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["stream"] == "standard-CN")
        .count()
        .to_string();
    let file = registry.write("correction.json", &correction("2022-01-01", "第一次更正。"));
    registry.ok(&["publish", &file, "--expected-version", &version]);
    let head = registry.head();
    // The same expected version again: someone (this first publish) wrote in between.
    let second = registry.write("second.json", &{
        let mut doc = correction("2022-01-01", "第二次更正。");
        doc["revisions"][0]["revision"]["id"] = json!("cn-2021-corr-2");
        doc
    });
    let message = registry.one_line_error(&["publish", &second, "--expected-version", &version]);
    assert!(
        message.contains("someone else published first"),
        "{message}"
    );
    assert_eq!(registry.head(), head);
}

#[test]
fn print_bundled_round_trips_through_import() {
    let registry = Registry::new();
    let printed = registry.ok(&["import", "--print-bundled"]);
    let path = registry.path("bundled.json");
    std::fs::write(&path, printed).unwrap();
    registry.ok(&["import", path.to_str().unwrap()]);
    // The bundled import then finds everything already recorded.
    let again = registry.ok(&["import"]);
    assert_eq!(again.matches("already recorded").count(), 2, "{again}");
    assert!(registry.data().exists());
}

#[test]
fn human_output_keeps_chinese_text_and_marks_unknowns() {
    let registry = Registry::imported();
    let text = registry.ok(&["edition", "CN", "--valid-at", "2022-01-01"]);
    assert!(text.contains("优军服务保障"), "{text}");
    assert!(text.contains("(not on record)"));
    assert!(text.contains("发改社会") || text.contains("cn-2021"));
}
