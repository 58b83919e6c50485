//! `import-table`, `export-table` and the dry runs, as a user runs them.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

mod support;

use support::Scratch as Registry;

const KIND: [&str; 2] = ["--kind", "comprehensive_revision"];

const IMPORT_2021: [&str; 8] = [
    "--jurisdiction",
    "CN",
    "--title",
    "国家基本公共服务标准(2021年版)",
    "--effective-from",
    "2021-03-30",
    "--actor",
    "test",
];

impl Registry {
    fn head(&self) -> u64 {
        let log = self.json(&["log", "--from", "1", "--limit", "1000"]);
        log.as_array()
            .unwrap()
            .last()
            .map_or(0, |e| e["global_position"].as_u64().unwrap())
    }

    fn export(&self, name: &str, jurisdiction: &str, valid_at: &str) -> String {
        let path = self.path(name).display().to_string();
        self.ok(&[
            "export-table",
            jurisdiction,
            "--valid-at",
            valid_at,
            "--to",
            &path,
        ]);
        path
    }

    fn import_table(&self, file: &str, id: &str, more: &[&str]) -> Value {
        let mut args = vec!["import-table", file, "--id", id];
        args.extend(IMPORT_2021);
        args.extend(KIND);
        args.extend(more);
        self.json(&args)
    }
}

#[test]
fn export_then_import_changes_nothing_in_either_format() {
    for name in ["cn.csv", "cn.xlsx"] {
        let registry = Registry::imported();
        let file = registry.export(name, "CN", "2021-06-01");
        let head = registry.head();
        for more in [&["--dry-run"][..], &[]] {
            let out = registry.import_table(&file, "cn-2021-table", more);
            assert_eq!(out["outcome"], "changes_nothing", "{name} {more:?}: {out}");
            assert_eq!(out["items"], 34, "{name}");
        }
        assert_eq!(registry.head(), head, "{name}: appended");

        // Into an empty registry, and out again: the same table.
        let fresh = Registry::new();
        let out = fresh.import_table(&file, "cn-2021", &[]);
        assert_eq!(out["outcome"], "published", "{name}: {out}");
        let again = fresh.export(&format!("again-{name}"), "CN", "2021-06-01");
        let read = |path: &str| std::fs::read(path).unwrap();
        if name.ends_with(".csv") {
            assert_eq!(read(&again), read(&file), "{name}");
        }
        let head = fresh.head();
        let out = fresh.import_table(&again, "cn-2021-again", &[]);
        assert_eq!(out["outcome"], "changes_nothing", "{name}: {out}");
        assert_eq!(fresh.head(), head, "{name}");
    }
}

/// The example in docs/ is the bundled 2021 edition as `export-table` writes it.
#[test]
fn the_documented_example_is_the_bundled_edition_exported() {
    let registry = Registry::imported();
    let file = registry.export("cn.csv", "CN", "2021-06-01");
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/examples/national-2021-table.csv"
    );
    assert_eq!(
        std::fs::read_to_string(file).unwrap(),
        std::fs::read_to_string(example).unwrap(),
        "regenerate it: stdreg export-table CN --valid-at 2021-06-01 --to docs/examples/national-2021-table.csv"
    );
}

#[test]
fn a_changed_table_appends_only_its_differences_and_a_dry_run_nothing() {
    let registry = Registry::imported();
    let file = registry.export("cn.csv", "CN", "2021-06-01");
    let text = std::fs::read_to_string(&file).unwrap();
    let changed = text.replace("农村计划怀孕夫妇。", "农村计划怀孕夫妇(含流动人口)。");
    assert_ne!(changed, text);
    let changed_path = registry.path("changed.csv").display().to_string();
    std::fs::write(&changed_path, changed).unwrap();
    let head = registry.head();

    let dry = registry.import_table(&changed_path, "cn-2021-t", &["--dry-run"]);
    assert_eq!(dry["outcome"], "would_publish");
    assert_eq!(registry.head(), head, "a dry run appended");
    let changed_items = dry["preview"]["diff"]["changed"].as_array().unwrap();
    assert_eq!(changed_items.len(), 1, "{dry}");
    assert_eq!(changed_items[0]["item"], "rural-free-preconception-checkup");
    let human = registry.ok(&[
        &[
            "import-table",
            &changed_path,
            "--id",
            "cn-2021-t",
            "--dry-run",
        ][..],
        &IMPORT_2021[..],
        &KIND[..],
    ]
    .concat());
    assert!(human.contains("农村计划怀孕夫妇(含流动人口)。"), "{human}");
    assert!(human.contains("nothing appended"), "{human}");

    let published = registry.import_table(&changed_path, "cn-2021-t", &[]);
    assert_eq!(published["outcome"], "published");
    // The revision's document and the one amendment.
    assert_eq!(published["events"], 2, "{published}");
    assert_eq!(registry.head(), head + 2);
}

/// A correction stated as a whole table records only the changes that make
/// the standard what the table states: here, one amendment.
#[test]
fn a_table_as_a_correction_records_only_its_changes() {
    let registry = Registry::imported();
    let file = registry.export("cn.csv", "CN", "2021-06-01");
    let correction = ["--kind", "correction", "--target", "cn-2021"];
    let head = registry.head();
    let out = registry.json(
        &[
            &["import-table", &file, "--id", "cn-2021-corr"][..],
            &IMPORT_2021[..],
            &correction[..],
        ]
        .concat(),
    );
    assert_eq!(out["outcome"], "changes_nothing", "{out}");
    assert_eq!(registry.head(), head);

    let text = std::fs::read_to_string(&file).unwrap();
    let changed = registry.path("changed.csv").display().to_string();
    std::fs::write(
        &changed,
        text.replace("孕产妇健康服务,,", "孕产妇健康服务,孕产妇。,"),
    )
    .unwrap();
    let out = registry.json(
        &[
            &["import-table", &changed, "--id", "cn-2021-corr"][..],
            &IMPORT_2021[..],
            &correction[..],
        ]
        .concat(),
    );
    assert_eq!(out["outcome"], "published", "{out}");
    assert_eq!(out["events"], 2, "{out}");
    let item = registry.json(&[
        "item",
        "maternal-health-service",
        "--valid-at",
        "2021-06-01",
    ]);
    assert_eq!(item["item"]["service_target"], "孕产妇。", "{item}");
    let revisions = registry.json(&["revisions", "CN"]);
    let corr = revisions
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cn-2021-corr")
        .unwrap();
    assert_eq!(corr["kind"], "correction");
}

#[test]
fn import_and_publish_dry_runs_append_nothing() {
    let registry = Registry::new();
    let dry = registry.json(&["import", "--dry-run"]);
    let previews = dry.as_array().unwrap();
    assert_eq!(previews.len(), 2);
    assert_eq!(previews[0]["outcome"], "would_publish");
    assert_eq!(previews[0]["diff"]["added"].as_array().unwrap().len(), 34);
    assert_eq!(registry.head(), 0);

    registry.ok(&["import"]);
    let head = registry.head();
    let dry = registry.json(&["import", "--dry-run"]);
    assert!(
        dry.as_array()
            .unwrap()
            .iter()
            .all(|p| p["outcome"] == "already_recorded"),
        "{dry}"
    );
    let bundled = registry.ok(&["import", "--print-bundled"]);
    let file = registry.path("bundled.json");
    std::fs::write(&file, bundled).unwrap();
    // Publishing what is recorded is refused, in a dry run as for real.
    let message = registry.user_error(&["publish", file.to_str().unwrap(), "--dry-run"]);
    assert!(message.contains("cn-2021"), "{message}");
    assert_eq!(registry.head(), head);
}

#[test]
fn bad_tables_append_nothing_and_say_where_they_are_wrong() {
    let registry = Registry::imported();
    let head = registry.head();
    let write = |name: &str, bytes: &[u8]| {
        let path = registry.path(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let big = vec![b' '; 50 * 1024 * 1024];
    let cases: Vec<(String, &[&str], &str)> = vec![
        (write("empty.csv", b""), &[], "the file is empty"),
        (
            write(
                "missing.csv",
                "序号,服务项目,服务对象,服务内容,服务标准,牵头负责单位\n".as_bytes(),
            ),
            &[],
            "row 1: the header has no column 支出责任",
        ),
        (write("big.csv", &big), &[], "more than the 16777216"),
        (
            write("table.txt", b"x"),
            &[],
            "name its format with --format",
        ),
        (
            write("broken.xlsx", b"PK not a workbook"),
            &[],
            "cannot read the workbook",
        ),
        (
            write(
                "ok.csv",
                "序号,服务项目,服务对象,服务内容,服务标准,支出责任,牵头负责单位\n1,甲,,,,,\n"
                    .as_bytes(),
            ),
            &["--kind", "withdrawal"],
            "a withdrawal states no text",
        ),
    ];
    for (file, extra, needle) in cases {
        let mut args = vec!["import-table", file.as_str(), "--id", "cn-t"];
        args.extend(IMPORT_2021);
        args.extend(if extra.is_empty() { &KIND[..] } else { extra });
        let message = registry.user_error(&args);
        assert!(message.contains(needle), "{file}: {message}");
    }
    assert_eq!(registry.head(), head);
}

#[test]
fn export_names_a_point_with_nothing_in_force() {
    let registry = Registry::imported();
    let to = registry.path("x.csv").display().to_string();
    let message = registry.user_error(&[
        "export-table",
        "CN",
        "--valid-at",
        "2000-01-01",
        "--to",
        &to,
    ]);
    assert!(
        message.contains("no revision of CN is in force on 2000-01-01"),
        "{message}"
    );
    assert!(!registry.path("x.csv").exists());
}
