//! Signed checkpoints, keys and canonical leaves through the public interface.

use chrono::{DateTime, Utc};
use event_store::{StoredEvent, StreamId};
use transparency::{
    Checkpoint, NoteSigner, NoteVerifier, TransparencyError, leaf_bytes, parse_leaf,
};
use uuid::Uuid;

fn signer() -> NoteSigner {
    NoteSigner::from_seed("example.org/stdreg", [7; 32]).expect("key")
}

#[test]
fn a_signed_checkpoint_is_a_signed_note_and_opens_with_its_key() {
    let signer = signer();
    let signed = signer.sign(3, [0xab; 32]);
    let note = signed.note();
    let (body, signature) = note.split_once("\n\n").expect("blank line");
    assert_eq!(
        body,
        "example.org/stdreg\n3\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="
    );
    assert!(signature.starts_with("\u{2014} example.org/stdreg "));
    let opened = signer.verifier().open(note).expect("opens");
    assert_eq!(
        opened.checkpoint,
        Checkpoint {
            origin: "example.org/stdreg".into(),
            size: 3,
            root: [0xab; 32]
        }
    );
}

#[test]
fn keys_round_trip_through_their_text_forms() {
    // Seeds chosen so that the base64 of some keys holds '+' and '/'.
    for seed in 0..16u8 {
        let signer = NoteSigner::from_seed("example.org/stdreg", [seed; 32]).expect("key");
        let public = signer.verifier().to_string();
        assert_eq!(
            NoteVerifier::parse(&public).expect(&public),
            signer.verifier()
        );
        let private = signer.to_private_text();
        assert_eq!(
            NoteSigner::parse(&private).expect("parses").verifier(),
            signer.verifier()
        );
    }
    let signer = signer();
    let private = signer.to_private_text();
    assert!(private.starts_with("PRIVATE+KEY+example.org/stdreg+"));
    let again = NoteSigner::parse(&private).expect("parses");
    assert_eq!(again.verifier(), signer.verifier());
    let public = signer.verifier().to_string();
    assert_eq!(
        NoteVerifier::parse(&public).expect("parses"),
        signer.verifier()
    );
}

#[test]
fn altered_or_foreign_notes_are_refused() {
    let signer = signer();
    let note = signer.sign(3, [0xab; 32]).note().to_owned();
    let other = NoteSigner::from_seed("example.org/stdreg", [8; 32]).expect("key");
    let renamed = NoteSigner::from_seed("example.org/other", [7; 32]).expect("key");
    let verifier = signer.verifier();
    let other = other.verifier();
    let renamed = renamed.verifier();
    let cases: Vec<(String, &NoteVerifier, &str)> = vec![
        (
            note.replacen("\n3\n", "\n4\n", 1),
            &verifier,
            "bad signature",
        ),
        (note.clone(), &other, "not signed by"),
        (note.clone(), &renamed, "not signed by"),
        (note.replacen("\n\n", "\n", 1), &verifier, "malformed"),
        (note.trim_end().to_owned(), &verifier, "malformed"),
    ];
    for (text, key, want) in cases {
        let error = key.open(&text).expect_err(want);
        let message = error.to_string();
        let ok = match want {
            "bad signature" => matches!(error, TransparencyError::BadSignature { .. }),
            "not signed by" => matches!(error, TransparencyError::NotSignedBy { .. }),
            _ => matches!(error, TransparencyError::MalformedNote(_)),
        };
        assert!(ok, "{want}: got {message}");
    }
}

#[test]
fn malformed_keys_are_refused() {
    let public = signer().verifier().to_string();
    let cases = [
        "",
        "no-plus-signs",
        "name+zzzzzzzz+AQ==",
        "has space+01020304+AQ==",
        &public.replacen('+', "+0", 1),
    ];
    for text in cases {
        assert!(
            matches!(
                NoteVerifier::parse(text),
                Err(TransparencyError::MalformedKey(_))
            ),
            "{text:?} accepted"
        );
    }
}

fn event() -> StoredEvent {
    StoredEvent {
        event_id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
        stream: StreamId::new("standard-CN"),
        stream_position: 4,
        global_position: 5,
        event_type: "item_amended".into(),
        schema_version: 2,
        data: br#"{"type":"item_amended","note":"\u2028 \"quoted\""}"#.to_vec(),
        recorded_at: DateTime::<Utc>::from_timestamp_micros(1_700_000_000_000_001).expect("time"),
        sealed: None,
    }
}

#[test]
fn leaf_bytes_are_canonical_json_and_read_back() {
    let bytes = leaf_bytes(&event());
    let text = String::from_utf8(bytes.clone()).expect("utf-8");
    assert_eq!(
        text,
        concat!(
            r#"{"data":"eyJ0eXBlIjoiaXRlbV9hbWVuZGVkIiwibm90ZSI6Ilx1MjAyOCBcInF1b3RlZFwiIn0=","#,
            r#""event_id":"01900000-0000-7000-8000-000000000001","event_type":"item_amended","#,
            r#""global_position":5,"recorded_at":"2023-11-14T22:13:20.000001Z","#,
            r#""schema_version":2,"stream":"standard-CN","stream_position":4}"#
        )
    );
    assert_eq!(parse_leaf(&bytes).expect("parses"), event());
}

type Change = Box<dyn Fn(&mut StoredEvent)>;

#[test]
fn every_field_changes_the_leaf() {
    let base = leaf_bytes(&event());
    let changes: Vec<(&str, Change)> = vec![
        ("event_id", Box::new(|e| e.event_id = Uuid::nil())),
        (
            "stream",
            Box::new(|e| e.stream = StreamId::new("standard-110000")),
        ),
        ("stream_position", Box::new(|e| e.stream_position += 1)),
        ("global_position", Box::new(|e| e.global_position += 1)),
        ("event_type", Box::new(|e| e.event_type.push('x'))),
        ("schema_version", Box::new(|e| e.schema_version += 1)),
        ("data", Box::new(|e| e.data[3] ^= 1)),
        (
            "recorded_at",
            Box::new(|e| e.recorded_at += chrono::Duration::microseconds(1)),
        ),
    ];
    for (field, change) in changes {
        let mut changed = event();
        change(&mut changed);
        assert_ne!(leaf_bytes(&changed), base, "{field}");
    }
}

#[test]
fn non_canonical_envelopes_are_refused() {
    let text = String::from_utf8(leaf_bytes(&event())).expect("utf-8");
    let cases = [
        text.replacen(",", ", ", 1),
        text.replacen(".000001Z", ".000001+00:00", 1),
        text.replacen("{", r#"{"extra":1,"#, 1),
        text.replacen("\"global_position\":5", "\"global_position\":5.0", 1),
    ];
    for case in cases {
        assert!(
            matches!(
                parse_leaf(case.as_bytes()),
                Err(TransparencyError::MalformedLeaf(_))
            ),
            "{case} accepted"
        );
    }
}
