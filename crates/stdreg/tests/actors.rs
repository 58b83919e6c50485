//! Who recorded what, across every way the log leaves the registry: the
//! public (an anonymous mirror, a default export, the site, anonymous
//! GraphQL) never learns an actor's name, holders of a token and the
//! operator do, and every copy still verifies leaf by leaf.

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::{Server, http_get, ok, ok_on, run, scratch_dir, write_correction};

/// The editor's name: distinctive, so that any copy of it is found.
const EDITOR: &str = "editor:zhang-wei-7731";
const NAME: &[u8] = b"zhang-wei-7731";

const PUBLISH: &str = "mutation($revision: JSON!) {
  publishRevisionDocument(document: $revision) { lastGlobalPosition revision { actor } }
}";

const ACTOR: &str = r#"{ revision(id: "cn-2021-corr-1") { actor } }"#;

fn add_token(tokens: &str, role: &str, name: &str) -> String {
    let made: Value = serde_json::from_str(&ok(&[
        "--data-dir",
        &scratch_dir(),
        "token",
        "add",
        "--role",
        role,
        "--name",
        name,
        "--tokens",
        tokens,
        "--json",
    ]))
    .expect("token json");
    made["token"].as_str().expect("token").to_owned()
}

/// Every byte of every file under `dir` (the store, its WAL, the records).
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            bytes.extend(all_bytes(&path));
        } else {
            bytes.extend(std::fs::read(&path).expect("read file"));
        }
    }
    bytes
}

fn names_the_editor(bytes: &[u8]) -> bool {
    bytes.windows(NAME.len()).any(|w| w == NAME)
}

/// `stdreg export --to FILE` of a data directory, with an auditor file when asked.
fn export(data_dir: &str, to: &Path, actors_to: Option<&Path>) {
    let to = to.display().to_string();
    let mut args = vec!["export", "--to", &to];
    let actors = actors_to.map(|p| p.display().to_string());
    if let Some(actors) = &actors {
        args.extend(["--actors-to", actors]);
    }
    ok_on(data_dir, &args);
}

fn verify(export: &Path, actors: Option<&Path>) -> std::process::Output {
    let export = export.display().to_string();
    let mut args = vec!["--data-dir", "unused", "verify", &export];
    let actors = actors.map(|p| p.display().to_string());
    if let Some(actors) = &actors {
        args.extend(["--actors", actors]);
    }
    run(&args)
}

fn verifies(export: &Path, actors: Option<&Path>) -> String {
    let out = verify(export, actors);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && stdout.starts_with("ok:"),
        "verify {} failed: {stdout}{}",
        export.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn the_public_never_learns_who_recorded_what_and_every_copy_verifies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tokens = dir.path().join("tokens.json").display().to_string();
    let editor = add_token(&tokens, "national-editor", EDITOR);
    let auditor = add_token(&tokens, "auditor", "auditor:audit-office");
    let source = scratch_dir();
    let (anonymous, audited) = (scratch_dir(), scratch_dir());
    let correction_position = {
        let server = Server::start(
            &source,
            &["--tokens", &tokens, "--grpc-listen", "127.0.0.1:0"],
        );
        let file: Value = serde_json::from_str(
            &std::fs::read_to_string(write_correction(dir.path())).expect("read"),
        )
        .expect("json");
        let published = server.graphql(
            PUBLISH,
            json!({ "revision": file["revisions"][0] }),
            Some(&editor),
        );
        let published = &published["data"]["publishRevisionDocument"];
        assert_eq!(published["revision"]["actor"], EDITOR, "{published}");
        let position = published["lastGlobalPosition"].as_u64().expect("position");

        // GraphQL: a principal sees the actor, the public does not.
        for (token, expected) in [(None, Value::Null), (Some(auditor.as_str()), json!(EDITOR))] {
            let answer = server.graphql(ACTOR, json!({}), token);
            assert_eq!(answer["data"]["revision"]["actor"], expected, "{answer}");
        }
        // The site names no actor: pages, feeds and downloads.
        let (status, _, page) = http_get(&server.address, "/revisions/cn-2021-corr-1", &[]);
        assert_eq!(status, 200);
        assert!(!String::from_utf8_lossy(&page).contains("登记人"));
        for path in [
            "/revisions/cn-2021-corr-1",
            "/feed.atom",
            "/CN/feed.atom",
            "/CN/2024-01-01",
            "/CN/2024-01-01.json",
            "/CN/2024-01-01.csv",
            "/CN/2024-01-01/items/veteran-resettlement",
        ] {
            let (status, _, body) = http_get(&server.address, path, &[]);
            assert_eq!(status, 200, "{path}");
            assert!(!names_the_editor(&body), "{path} names the editor");
        }

        let url = server.grpc_url.clone().expect("grpc url");
        ok(&["--data-dir", &anonymous, "mirror", "--from", &url, "--once"]);
        ok(&[
            "--data-dir",
            &audited,
            "mirror",
            "--from",
            &url,
            "--once",
            "--token",
            &auditor,
        ]);
        // A token the source does not accept is refused, not served as the public.
        let out = run(&[
            "--data-dir",
            &scratch_dir(),
            "mirror",
            "--from",
            &url,
            "--once",
            "--token",
            "stdreg_guessed",
        ]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not accepted"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        position
    };

    // The anonymous mirror's store holds no actor name, nor does its export
    // or the source's default export; all of them verify leaf by leaf.
    assert!(!names_the_editor(&all_bytes(Path::new(&anonymous))));
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(&exports).expect("mkdir");
    for (name, data_dir) in [("anonymous", &anonymous), ("source", &source)] {
        let file = exports.join(format!("{name}.jsonl"));
        export(data_dir, &file, None);
        assert!(
            !names_the_editor(&std::fs::read(&file).expect("read export")),
            "{name}"
        );
        verifies(&file, None);
    }
    // The command line says the anonymous copy does not know the actor.
    let revisions = ok(&["--data-dir", &anonymous, "revisions", "CN"]);
    assert!(
        revisions.contains("(sealed: not in this copy of the log)"),
        "{revisions}"
    );
    assert!(!names_the_editor(revisions.as_bytes()));
    // The operator of the source and the audited mirror know it.
    for data_dir in [&source, &audited] {
        let revisions = ok(&["--data-dir", data_dir, "revisions", "CN"]);
        assert!(revisions.contains(EDITOR), "{revisions}");
    }
    assert!(names_the_editor(&all_bytes(Path::new(&audited))));

    // The auditor file of the audited mirror names the actor and checks
    // against the export's commitments; a tampered one does not.
    for (name, data_dir) in [("audited", &audited), ("source-audit", &source)] {
        let file = exports.join(format!("{name}.jsonl"));
        let actors = exports.join(format!("{name}-actors.jsonl"));
        export(data_dir, &file, Some(&actors));
        assert!(!names_the_editor(&std::fs::read(&file).expect("export")));
        let listed = std::fs::read_to_string(&actors).expect("auditor file");
        assert!(listed.contains(EDITOR), "{name}: {listed}");
        let checked = verifies(&file, Some(&actors));
        assert!(
            checked.contains("actors of the auditor file match"),
            "{checked}"
        );

        // Another actor for the correction's last event only.
        let tampered = exports.join(format!("{name}-tampered.jsonl"));
        let lines: Vec<String> = listed
            .lines()
            .map(|line| {
                let mut entry: Value = serde_json::from_str(line).expect("entry");
                if entry["global_position"] == correction_position {
                    entry["actor"] = json!("editor:li-na-0001");
                }
                entry.to_string()
            })
            .collect();
        std::fs::write(&tampered, lines.join("\n")).expect("write");
        let out = verify(&file, Some(&tampered));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("position {correction_position}"))
                && stderr.contains("do not match"),
            "{stderr}"
        );
    }
}
