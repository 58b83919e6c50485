//! What the binary does before and around a command: which commands may
//! create a registry, which options each shows, and how it exits.

mod support;

use support::Scratch;

/// The commands that only read, each as a user would type it (`snapshot`
/// writes the index snapshot of a registry that exists, and nothing else).
const READ_ONLY: &[&[&str]] = &[
    &["edition", "CN"],
    &["item", "radio-listening"],
    &["versions", "CN"],
    &["revisions", "CN"],
    &["history", "radio-listening"],
    &["diff", "CN", "--from", "2022-01-01", "--to", "2024-01-01"],
    &["log"],
    &["compliance", "310000"],
    &["compliance-summary", "CN"],
    &["verify"],
    &["export"],
    &["snapshot"],
];

#[test]
fn read_only_commands_on_a_mistyped_data_dir_create_nothing() {
    let scratch = Scratch::new();
    let typo = scratch.path("stdreg-dta");
    let typo_text = typo.display().to_string();
    for command in READ_ONLY {
        let mut args = vec!["--data-dir", typo_text.as_str()];
        args.extend_from_slice(command);
        let stderr = scratch.user_error(&args);
        assert!(
            stderr.starts_with("error: no registry here:") && stderr.contains("stdreg import"),
            "{command:?}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{command:?}: {stderr}");
        assert!(!typo.exists(), "{command:?} created {}", typo.display());
    }
}

#[test]
fn read_only_commands_on_a_missing_sqlite_file_create_nothing() {
    let scratch = Scratch::new();
    let file = scratch.path("missing/events.db");
    let store = format!("sqlite://{}", file.display());
    for command in READ_ONLY {
        let mut args = vec!["--store", store.as_str()];
        args.extend_from_slice(command);
        let stderr = scratch.user_error(&args);
        assert!(stderr.contains("no registry here"), "{command:?}: {stderr}");
        assert!(!scratch.path("missing").exists(), "{command:?}");
    }
}

#[test]
fn reading_an_existing_registry_creates_no_key_or_leaf_record() {
    let scratch = Scratch::imported();
    let data = scratch.data();
    // A registry whose data directory lost its local files: the log is still
    // read, and nothing is put back by a command that only reads. The log's
    // identity and latest checkpoint are in the store: an export still ends
    // with the checkpoint signed under the log's key.
    let public = std::fs::read_to_string(data.join("log-key.pub")).expect("public key");
    for file in ["log-key", "log-key.pub", "log-leaves", "checkpoint"] {
        std::fs::remove_file(data.join(file)).expect("remove a data directory file");
    }
    for command in READ_ONLY
        .iter()
        .filter(|c| !matches!(c[0], "verify" | "snapshot"))
    {
        scratch.ok(command);
    }
    let mut left: Vec<String> = std::fs::read_dir(&data)
        .expect("read the data directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with("events.db"))
        .collect();
    left.sort();
    assert_eq!(left, Vec::<String>::new());
    let export = scratch.ok(&["export"]);
    let trailer = export.lines().last().expect("trailer");
    assert!(trailer.contains(public.trim()), "{trailer}");
}

#[test]
fn printing_the_bundled_data_needs_no_registry() {
    let scratch = Scratch::new();
    let out = scratch.ok(&["import", "--print-bundled"]);
    assert!(out.contains("revisions"), "{out}");
    assert!(
        !scratch.data().exists(),
        "import --print-bundled created the data directory"
    );
}

#[test]
fn only_commands_that_open_a_registry_show_store_options() {
    let scratch = Scratch::new();
    let store_options = ["--data-dir", "--store", "--signing-key"];
    let storeless: &[&[&str]] = &[
        &["token", "--help"],
        &["token", "add", "--help"],
        &["bench", "--help"],
        &["migrate", "--help"],
    ];
    for args in storeless {
        let help = scratch.ok(args);
        for option in store_options {
            assert!(!help.contains(option), "{args:?} shows {option}:\n{help}");
        }
    }
    for args in [
        ["edition", "--help"],
        ["serve", "--help"],
        ["verify", "--help"],
    ] {
        let help = scratch.ok(&args);
        for option in store_options {
            assert!(help.contains(option), "{args:?} lacks {option}:\n{help}");
        }
    }
    // Before the command as well as after it.
    let data = scratch.data().display().to_string();
    scratch.ok(&["--data-dir", &data, "import"]);
    scratch.ok(&["edition", "CN", "--data-dir", &data]);
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let scratch = Scratch::imported();
    for args in [
        &["log", "--limit", "1000"][..],
        &["edition", "CN", "--json"][..],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stdreg"))
            .args(args)
            .env("STDREG_DATA_DIR", scratch.data())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start stdreg");
        // Closed before stdreg has opened the registry, so every write fails.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait for stdreg");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

#[test]
fn a_saved_index_snapshot_is_used_and_a_damaged_one_is_rebuilt_with_a_warning() {
    let scratch = Scratch::imported();
    let search = ["search", "服务", "--history", "--first", "100"];
    let rebuilt = scratch.json(&search);
    let saved = scratch.json(&["snapshot"]);
    let events = saved["events"].as_u64().expect("events covered");
    assert!(events > 0, "{saved}");
    let file = scratch.data().join("index-snapshot");
    assert!(file.is_file());

    let out = scratch.run(&["search", "服务", "--history", "--first", "100", "--json"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(restored, rebuilt);

    let mut bytes = std::fs::read(&file).expect("snapshot");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&file, bytes).expect("damaged");
    let out = scratch.run(&["search", "服务", "--history", "--first", "100", "--json"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("warning: the index snapshot was not used")
            && stderr.contains("checksum"),
        "{stderr}"
    );
    let again: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(again, rebuilt);
}
