//! The stored form is a contract: golden files pin every event type's bytes,
//! and files of older schema versions must keep decoding (upcast on read).
//!
//! `UPDATE_GOLDEN=1 cargo test -p registry --test codec` rewrites the current
//! version's files after a deliberate change of the stored form; older
//! versions' files are never rewritten.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use domain::event::{Event, EventContext, FieldChange, RecordedEvent};
use domain::ids::{AspectId, CategoryId, ItemId, Jurisdiction, RevisionId};
use domain::model::{
    Comparator, ItemFields, ItemSpec, Known, Level, Period, Placement, RevisionInfo, RevisionKind,
    ServiceStandard,
};
use event_store::{StoredEvent, StreamId};
use registry::codec::{self, CodecError, SCHEMA_VERSION};
use uuid::Uuid;

fn item(id: &str) -> ItemId {
    ItemId::parse(id).unwrap()
}

fn spec() -> ItemSpec {
    ItemSpec {
        id: item("radio-listening"),
        placement: Placement {
            category: Known::Known(CategoryId::parse("C21").unwrap()),
            number: Known::Known(1),
        },
        name: Known::Known("收听广播".into()),
        name_en: Known::Known("Radio listening".into()),
        fields: ItemFields {
            service_target: Known::Known("城乡居民。".into()),
            service_content: Known::Unknown,
            service_standard: Known::Known(ServiceStandard {
                text: "提供不少于15套广播节目。".into(),
                levels: vec![Level {
                    measure: "广播节目".into(),
                    comparator: Comparator::AtLeast,
                    quantity: 15.0,
                    unit: "套".into(),
                    per: None,
                    period: Some(Period::Year),
                    condition: None,
                }]
                .into(),
            }),
            expenditure_responsibility: Known::Known("中央财政和地方财政共同承担支出责任。".into()),
            lead_units: Known::Known(["广电总局".into(), "中央宣传部".into()].into()),
        },
        national_item: None,
    }
}

/// One sample of every event type, named by its stored type.
fn samples() -> Vec<Event> {
    let aspect = AspectId::parse("WTFW").unwrap();
    let category = CategoryId::parse("C21").unwrap();
    let placement = |n: u32| Placement {
        category: Known::Known(category.clone()),
        number: Known::Known(n),
    };
    vec![
        Event::RevisionPublished {
            revision: std::sync::Arc::new(RevisionInfo {
                id: RevisionId::parse("cn-2021").unwrap(),
                jurisdiction: Jurisdiction::national(),
                kind: RevisionKind::ComprehensiveRevision,
                title: "国家基本公共服务标准(2021年版)".into(),
                document_no: Known::Known("发改社会〔2021〕443号".into()),
                issuers: Known::Unknown,
                issued_on: Known::Known(NaiveDate::from_ymd_opt(2021, 3, 30).unwrap()),
                effective_from: NaiveDate::from_ymd_opt(2021, 3, 30).unwrap(),
                declared_item_count: Some(80),
                implements: None,
                target: None,
                sources: vec!["S02: notice".into()],
            }),
        },
        Event::RevisionWithdrawn {
            withdrawn: RevisionId::parse("cn-2026-adj").unwrap(),
        },
        Event::AspectDefined {
            aspect: aspect.clone(),
            name: "文体服务保障".into(),
            name_en: Some("Culture and sports".into()),
            order: 9,
        },
        Event::AspectRenamed {
            aspect: aspect.clone(),
            before: "文体服务保障".into(),
            after: "文化体育服务保障".into(),
        },
        Event::AspectRetired {
            aspect: aspect.clone(),
        },
        Event::CategoryDefined {
            category: category.clone(),
            aspect,
            name: "公共文化服务".into(),
            name_en: None,
            number: 21,
        },
        Event::CategoryRenamed {
            category: category.clone(),
            before: "公共文化服务".into(),
            after: "公共文化".into(),
        },
        Event::CategoryRetired {
            category: category.clone(),
        },
        Event::ItemIntroduced {
            item: Box::new(spec()),
        },
        Event::ItemAmended {
            item: item("radio-listening"),
            changes: vec![
                FieldChange::ServiceTarget {
                    before: Known::Unknown,
                    after: Known::Known("城乡居民。".into()),
                },
                FieldChange::LeadUnits {
                    before: Known::Known(["广电总局".into()].into()),
                    after: Known::Unknown,
                },
            ],
        },
        Event::ItemMoved {
            item: item("radio-listening"),
            before: placement(1),
            after: placement(2),
        },
        Event::ItemRetired {
            item: item("radio-listening"),
        },
        Event::ItemsMerged {
            from: vec![item("radio-listening"), item("tv-watching")],
            into: item("broadcast-tv"),
        },
        Event::ItemSplit {
            from: item("broadcast-tv"),
            into: vec![item("radio-listening"), item("tv-watching")],
        },
        Event::LocalItemAdded {
            item: Box::new(spec()),
            assessment: Known::Known("成发改〔2021〕1号 论证与风险评估报告".into()),
        },
    ]
}

fn context() -> EventContext {
    EventContext {
        revision: RevisionId::parse("cn-2021").unwrap(),
        effective_from: NaiveDate::from_ymd_opt(2021, 3, 30).unwrap(),
        actor: "import".into(),
        reason: "国家基本公共服务标准(2021年版)".into(),
    }
}

/// The salt the golden files of version 3 were written with.
const SALT: codec::Salt = [7; codec::SALT_BYTES];

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn stored(event_type: &str, schema_version: u32, data: Vec<u8>) -> StoredEvent {
    StoredEvent {
        event_id: Uuid::from_u128(7),
        stream: StreamId::new("standard-CN"),
        stream_position: 3,
        global_position: 4,
        event_type: event_type.into(),
        schema_version,
        data,
        recorded_at: DateTime::<Utc>::from_timestamp(1_700_000_000, 123_000).unwrap(),
        sealed: None,
    }
}

fn sealed(event: StoredEvent, sealed: Vec<u8>) -> StoredEvent {
    StoredEvent {
        sealed: Some(sealed),
        ..event
    }
}

fn decoded(stored: &StoredEvent) -> RecordedEvent {
    let (jurisdiction, event) = codec::decode(stored).unwrap();
    assert_eq!(jurisdiction, Jurisdiction::national());
    event
}

#[test]
fn every_event_type_matches_its_golden_file_and_round_trips() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let events = samples();
    let mut types: Vec<&str> = events.iter().map(Event::type_name).collect();
    types.dedup();
    assert_eq!(types.len(), 15, "a sample per event type");
    for event in events {
        let name = format!("{}.v{SCHEMA_VERSION}.json", event.type_name());
        let bytes = codec::encode_data(&context(), &event, &SALT);
        if update {
            std::fs::write(golden(&name), &bytes).unwrap();
        }
        let expected = std::fs::read(golden(&name))
            .unwrap_or_else(|_| panic!("missing golden file {name}; run with UPDATE_GOLDEN=1"));
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            String::from_utf8_lossy(&expected),
            "stored form of {name} changed: bump SCHEMA_VERSION and add an upcaster, or run with UPDATE_GOLDEN=1 if the change is deliberate"
        );
        let public = stored(event.type_name(), SCHEMA_VERSION, expected);
        let with_actor = sealed(public.clone(), codec::sealed_bytes("import", &SALT));
        let back = decoded(&with_actor);
        assert_eq!(back.event, event);
        assert_eq!(back.context, context());
        assert_eq!(back.event_id, Uuid::from_u128(7));
        assert_eq!(back.global_position, 4);
        // A copy without the sealed bytes has the event, not who recorded it.
        let anonymous = decoded(&public);
        assert_eq!(anonymous.event, event, "{name}");
        assert_eq!(
            anonymous.context,
            EventContext {
                actor: "".into(),
                ..context()
            },
            "{name}"
        );
    }
}

/// The stored form of version 3 names no actor: only its commitment, whose
/// value follows the documented formula, and the sealed bytes name it.
#[test]
fn version_3_commits_to_the_actor_and_seals_it() {
    // SHA-256("stdreg-actor-v1\n" ‖ 16 × 0x07 ‖ "import"), computed independently.
    let commitment = "c902577db37fce2b518e642a96ac69a32d1a44b18c15483d38d5ea36467c4304";
    assert_eq!(codec::actor_commitment(&SALT, "import"), commitment);
    let data = String::from_utf8(codec::encode_data(&context(), &samples()[2], &SALT)).unwrap();
    assert!(
        data.contains(&format!("\"actor_commitment\":\"{commitment}\"")),
        "{data}"
    );
    assert!(!data.contains("\"actor\""), "{data}");
    assert_eq!(
        codec::sealed_bytes("import", &SALT),
        br#"{"actor":"import","salt":"BwcHBwcHBwcHBwcHBwcHBw=="}"#
    );
    assert_eq!(
        codec::open_sealed(&codec::sealed_bytes("editor:张伟", &SALT)).unwrap(),
        codec::SealedActor {
            actor: "editor:张伟".into(),
            salt: SALT,
        }
    );
    // Another salt, another commitment: equal actors are not linkable.
    assert_ne!(
        codec::actor_commitment(&[8; codec::SALT_BYTES], "import"),
        commitment
    );
    // Fresh salts differ from event to event.
    let event = domain::event::NewDomainEvent {
        context: context(),
        event: samples()[2].clone(),
    };
    let first = codec::encode(&event, Uuid::from_u128(1)).unwrap();
    let second = codec::encode(&event, Uuid::from_u128(2)).unwrap();
    assert_ne!(first.data, second.data);
    assert_ne!(first.sealed, second.sealed);
    for encoded in [first, second] {
        let back = decoded(&StoredEvent {
            sealed: encoded.sealed,
            ..stored("aspect_defined", SCHEMA_VERSION, encoded.data)
        });
        assert_eq!(back.context, context());
    }
}

/// Sealed bytes that do not match the commitment, or that an event of an
/// older version should not have, mark the event as damaged; so do the
/// actor's name in the clear in a version 3 envelope and a commitment in an
/// older one.
#[test]
fn sealed_bytes_that_do_not_match_are_refused() {
    let data = codec::encode_data(&context(), &samples()[2], &SALT);
    let text = String::from_utf8(data.clone()).unwrap();
    let commitment = codec::actor_commitment(&SALT, "import");
    let v2 = std::fs::read(golden("aspect_defined.v2.json")).unwrap();
    let public = || stored("aspect_defined", SCHEMA_VERSION, data.clone());
    let cases: Vec<(&str, StoredEvent, &str)> = vec![
        (
            "another actor",
            sealed(public(), codec::sealed_bytes("editor:mallory", &SALT)),
            "do not match",
        ),
        (
            "another salt",
            sealed(
                public(),
                codec::sealed_bytes("import", &[8; codec::SALT_BYTES]),
            ),
            "do not match",
        ),
        (
            "not an actor and salt",
            sealed(public(), b"{\"actor\":\"import\"}".to_vec()),
            "sealed bytes",
        ),
        (
            "a salt of the wrong length",
            sealed(
                public(),
                br#"{"actor":"import","salt":"BwcHBw=="}"#.to_vec(),
            ),
            "4 bytes",
        ),
        (
            "sealed bytes on a version 2 event",
            sealed(
                stored("aspect_defined", 2, v2.clone()),
                codec::sealed_bytes("import", &SALT),
            ),
            "no actor_commitment or sealed bytes",
        ),
        (
            "the actor in the clear in version 3",
            stored(
                "aspect_defined",
                SCHEMA_VERSION,
                text.replace(
                    &format!("\"actor_commitment\":\"{commitment}\""),
                    "\"actor\":\"import\"",
                )
                .into_bytes(),
            ),
            "needs an actor_commitment",
        ),
        (
            "a commitment that is not a SHA-256 in hex",
            stored(
                "aspect_defined",
                SCHEMA_VERSION,
                text.replace(&commitment, &commitment.to_uppercase())
                    .into_bytes(),
            ),
            "64 lowercase hexadecimal digits",
        ),
        (
            "a commitment in version 2",
            stored(
                "aspect_defined",
                2,
                String::from_utf8(v2)
                    .unwrap()
                    .replace(
                        "\"actor\":\"import\"",
                        &format!("\"actor_commitment\":\"{commitment}\""),
                    )
                    .into_bytes(),
            ),
            "needs an actor in the clear",
        ),
    ];
    for (name, event, words) in cases {
        let error = codec::decode(&event).unwrap_err();
        assert!(
            matches!(error, CodecError::Undecodable { position: 4, .. }),
            "{name}: {error}"
        );
        assert!(error.to_string().contains(words), "{name}: {error}");
    }
}

/// Stored events of version 2 (the actor in the clear) still decode, actor
/// included; their bytes are never rewritten.
#[test]
fn schema_version_2_events_are_upcast_with_their_actor() {
    for event in samples() {
        let name = format!("{}.v2.json", event.type_name());
        let data = std::fs::read(golden(&name)).unwrap();
        assert!(
            String::from_utf8_lossy(&data).contains("\"actor\":\"import\""),
            "{name}"
        );
        let back = decoded(&stored(event.type_name(), 2, data));
        assert_eq!(back.event, event, "{name}");
        assert_eq!(back.context, context(), "{name}");
    }
}

#[test]
fn schema_version_1_lead_unit_text_is_upcast_to_a_list() {
    // Version 1 stored lead units as the printed text; the files are never rewritten.
    let cases = [
        ("item_introduced.v1.json", "item_introduced"),
        ("local_item_added.v1.json", "local_item_added"),
        ("item_amended.v1.json", "item_amended"),
    ];
    for (file, event_type) in cases {
        let data = std::fs::read(golden(file)).unwrap();
        let event = decoded(&stored(event_type, 1, data)).event;
        let units = match &event {
            Event::ItemIntroduced { item } | Event::LocalItemAdded { item, .. } => {
                item.fields.lead_units.clone()
            }
            Event::ItemAmended { changes, .. } => match &changes[0] {
                FieldChange::LeadUnits { after, .. } => after.clone(),
                other => panic!("{file}: unexpected change {other:?}"),
            },
            other => panic!("{file}: unexpected event {other:?}"),
        };
        assert_eq!(
            units,
            Known::Known(["退役军人部".into(), "人力资源社会保障部".into()].into()),
            "{file}"
        );
    }
}

#[test]
fn unreadable_events_are_reported_with_their_position() {
    let good = codec::encode_data(&context(), &samples()[2], &SALT);
    let newer = String::from_utf8(good.clone()).unwrap().replace(
        &format!("\"schema_version\":{SCHEMA_VERSION}"),
        "\"schema_version\":99",
    );
    let cases: Vec<(StoredEvent, &str)> = vec![
        (
            stored("aspect_defined", SCHEMA_VERSION, b"{not json".to_vec()),
            "cannot be decoded",
        ),
        (
            stored("aspect_defined", 99, newer.into_bytes()),
            "upgrade stdreg",
        ),
        (
            stored("item_retired", SCHEMA_VERSION, good.clone()),
            "disagrees",
        ),
        (
            StoredEvent {
                stream: StreamId::new("elsewhere"),
                ..stored("aspect_defined", SCHEMA_VERSION, good)
            },
            "not a standard's stream",
        ),
    ];
    for (event, words) in cases {
        let error = codec::decode(&event).unwrap_err();
        assert!(error.to_string().contains(words), "{error}");
        if !matches!(error, CodecError::ForeignStream(_)) {
            assert!(error.to_string().contains("position 4"), "{error}");
        }
    }
}

/// An auditor entry opens the commitment of its own event only: another
/// actor, salt or event id, or an event without a commitment, is named.
#[test]
fn auditor_entries_check_against_their_event() {
    let public = stored(
        "aspect_defined",
        SCHEMA_VERSION,
        codec::encode_data(&context(), &samples()[2], &SALT),
    );
    let entry = codec::ActorEntry::of(&sealed(
        public.clone(),
        codec::sealed_bytes("import", &SALT),
    ))
    .unwrap()
    .expect("an entry for an event with sealed bytes");
    assert_eq!(entry.global_position, 4);
    assert_eq!(entry.check(&public), Ok(()));
    assert_eq!(codec::ActorEntry::of(&public).unwrap(), None);
    let v2 = stored(
        "aspect_defined",
        2,
        std::fs::read(golden("aspect_defined.v2.json")).unwrap(),
    );
    let other = |change: fn(&mut codec::ActorEntry)| {
        let mut entry = entry.clone();
        change(&mut entry);
        entry
    };
    let cases: Vec<(codec::ActorEntry, &StoredEvent, &str)> = vec![
        (
            other(|e| e.actor = "editor:mallory".into()),
            &public,
            "do not match",
        ),
        (
            other(|e| e.salt = codec::salt_text(&[8; codec::SALT_BYTES])),
            &public,
            "do not match",
        ),
        (other(|e| e.salt = "AAAA".into()), &public, "3 bytes"),
        (
            other(|e| e.event_id = Uuid::from_u128(8)),
            &public,
            "names event",
        ),
        (entry.clone(), &v2, "no actor commitment"),
    ];
    for (entry, event, words) in cases {
        let problem = entry.check(event).unwrap_err();
        assert!(problem.contains(words), "{entry:?}: {problem}");
    }
}
