//! The decoder of the current schema version in one pass, without serde's tag buffering.
//!
//! The derived decoder of [`Event`] and [`FieldChange`] (internally tagged
//! enums) buffers each event into a tree of `Content` before it knows the
//! variant, and the envelope's payload is scanned twice (once as raw text,
//! once spliced with its tag). Here the envelope is read key by key: its
//! `type` comes first in the stored form, so the payload is decoded straight
//! into the right variant; a field change's `field` comes last (payload keys
//! are stored in sorted order), so `before` and `after` are read by the shape
//! of their JSON value and checked against the field once it is known.
//!
//! It only accepts the exact form `encode_data` writes (keys known, none
//! twice, nothing after the envelope). Anything else, valid or not, returns
//! `None` and goes to the general decoder, which gives the same event or the
//! error that names what is wrong, so the two can never disagree.

use std::fmt;
use std::sync::Arc;

use chrono::NaiveDate;
use domain::event::{Event, EventContext, FieldChange};
use domain::ids::{AspectId, CategoryId, ItemId, RevisionId};
use domain::model::{ItemSpec, Known, Placement, RevisionInfo, ServiceStandard};
use domain::text::Text;
use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::SCHEMA_VERSION;

/// The first schema version this decoder reads. Versions 2 and 3 share the
/// payload's form; 3 replaced the envelope's `actor` by `actor_commitment`.
const FAST_SINCE: u32 = 2;

/// The context, event and actor commitment of a stored record of type
/// `stored_type` and schema version `schema_version` (2 or the current one),
/// or `None` when the bytes are not in the exact stored form (the general
/// decoder then decides). Version 2 names the actor in the context and has
/// no commitment; from version 3 the actor is left empty, for the caller to
/// take from the sealed bytes the commitment opens.
pub(super) fn decode(
    data: &[u8],
    stored_type: &str,
    schema_version: u32,
) -> Option<(EventContext, Event, Option<String>)> {
    if !(FAST_SINCE..=SCHEMA_VERSION).contains(&schema_version) {
        return None;
    }
    // One vectorised UTF-8 check of the whole record, rather than serde_json's
    // check of each string (the texts are mostly CJK, where the scalar check
    // is slow); bytes that are not UTF-8 go to the general decoder, which names the error.
    let text = simdutf8::basic::from_utf8(data).ok()?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let decoded = EnvelopeSeed {
        stored_type,
        schema_version,
    }
    .deserialize(&mut deserializer)
    .ok()?;
    deserializer.end().ok()?;
    Some(decoded)
}

struct EnvelopeSeed<'s> {
    stored_type: &'s str,
    schema_version: u32,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = (EventContext, Event, Option<String>);

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// A key given twice, unknown, or out of the stored order.
fn not_stored_form<E: de::Error>(key: &str) -> E {
    E::custom(format_args!("not the stored form at `{key}`"))
}

fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T, key: &str) -> Result<(), E> {
    if slot.is_some() {
        return Err(not_stored_form(key));
    }
    *slot = Some(value);
    Ok(())
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = (EventContext, Event, Option<String>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut typed = false;
        let mut version = false;
        let mut revision: Option<RevisionId> = None;
        let mut effective_from: Option<NaiveDate> = None;
        let committed = self.schema_version >= super::COMMITTED_ACTOR_SINCE;
        // The actor in the clear (version 2), or its commitment (version 3 on).
        let mut actor: Option<String> = None;
        let mut reason: Option<Text> = None;
        let mut event: Option<Event> = None;
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "type" if !typed => {
                    let value: &str = map.next_value()?;
                    if value != self.stored_type {
                        return Err(not_stored_form(key));
                    }
                    typed = true;
                }
                "schema_version" if !version => {
                    if map.next_value::<u32>()? != self.schema_version {
                        return Err(not_stored_form(key));
                    }
                    version = true;
                }
                "revision" => set_once(&mut revision, map.next_value()?, key)?,
                "effective_from" => set_once(&mut effective_from, map.next_value()?, key)?,
                "actor" if !committed => set_once(&mut actor, map.next_value()?, key)?,
                "actor_commitment" if committed => set_once(&mut actor, map.next_value()?, key)?,
                "reason" => set_once(&mut reason, map.next_value()?, key)?,
                // The payload is decoded by its type, so the type must come first.
                "payload" if typed && event.is_none() => {
                    event = Some(map.next_value_seed(PayloadSeed {
                        event_type: self.stored_type,
                    })?);
                }
                other => return Err(not_stored_form(other)),
            }
        }
        match (version, revision, effective_from, actor, reason, event) {
            (
                true,
                Some(revision),
                Some(effective_from),
                Some(actor),
                Some(reason),
                Some(event),
            ) => {
                let (actor, commitment) = if committed {
                    // Known only from the sealed bytes, which the caller checks.
                    (Text::default(), Some(actor))
                } else {
                    (actor.into(), None)
                };
                Ok((
                    EventContext {
                        revision,
                        effective_from,
                        actor,
                        reason,
                    },
                    event,
                    commitment,
                ))
            }
            _ => Err(not_stored_form("envelope")),
        }
    }
}

struct PayloadSeed<'s> {
    event_type: &'s str,
}

// One struct per variant, with the variant's fields and their serde
// attributes; unknown fields refuse the fast path (the general decoder
// ignores them, and then decides).

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevisionPublished {
    revision: Arc<RevisionInfo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevisionWithdrawn {
    withdrawn: RevisionId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AspectDefined {
    aspect: AspectId,
    name: String,
    #[serde(default)]
    name_en: Option<String>,
    order: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AspectRenamed {
    aspect: AspectId,
    before: String,
    after: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AspectRetired {
    aspect: AspectId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryDefined {
    category: CategoryId,
    aspect: AspectId,
    name: String,
    #[serde(default)]
    name_en: Option<String>,
    number: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryRenamed {
    category: CategoryId,
    before: String,
    after: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryRetired {
    category: CategoryId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemIntroduced {
    item: Box<ItemSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemAmended {
    item: ItemId,
    changes: Vec<Change>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemMoved {
    item: ItemId,
    before: Placement,
    after: Placement,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemRetired {
    item: ItemId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemsMerged {
    from: Vec<ItemId>,
    into: ItemId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemSplit {
    from: ItemId,
    into: Vec<ItemId>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalItemAdded {
    item: Box<ItemSpec>,
    assessment: Known<Text>,
}

impl<'de> DeserializeSeed<'de> for PayloadSeed<'_> {
    type Value = Event;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Event, D::Error> {
        Ok(match self.event_type {
            "revision_published" => {
                let p = RevisionPublished::deserialize(d)?;
                Event::RevisionPublished {
                    revision: p.revision,
                }
            }
            "revision_withdrawn" => {
                let p = RevisionWithdrawn::deserialize(d)?;
                Event::RevisionWithdrawn {
                    withdrawn: p.withdrawn,
                }
            }
            "aspect_defined" => {
                let p = AspectDefined::deserialize(d)?;
                Event::AspectDefined {
                    aspect: p.aspect,
                    name: p.name,
                    name_en: p.name_en,
                    order: p.order,
                }
            }
            "aspect_renamed" => {
                let p = AspectRenamed::deserialize(d)?;
                Event::AspectRenamed {
                    aspect: p.aspect,
                    before: p.before,
                    after: p.after,
                }
            }
            "aspect_retired" => Event::AspectRetired {
                aspect: AspectRetired::deserialize(d)?.aspect,
            },
            "category_defined" => {
                let p = CategoryDefined::deserialize(d)?;
                Event::CategoryDefined {
                    category: p.category,
                    aspect: p.aspect,
                    name: p.name,
                    name_en: p.name_en,
                    number: p.number,
                }
            }
            "category_renamed" => {
                let p = CategoryRenamed::deserialize(d)?;
                Event::CategoryRenamed {
                    category: p.category,
                    before: p.before,
                    after: p.after,
                }
            }
            "category_retired" => Event::CategoryRetired {
                category: CategoryRetired::deserialize(d)?.category,
            },
            "item_introduced" => Event::ItemIntroduced {
                item: ItemIntroduced::deserialize(d)?.item,
            },
            "item_amended" => {
                let p = ItemAmended::deserialize(d)?;
                Event::ItemAmended {
                    item: p.item,
                    changes: p.changes.into_iter().map(|c| c.0).collect(),
                }
            }
            "item_moved" => {
                let p = ItemMoved::deserialize(d)?;
                Event::ItemMoved {
                    item: p.item,
                    before: p.before,
                    after: p.after,
                }
            }
            "item_retired" => Event::ItemRetired {
                item: ItemRetired::deserialize(d)?.item,
            },
            "items_merged" => {
                let p = ItemsMerged::deserialize(d)?;
                Event::ItemsMerged {
                    from: p.from,
                    into: p.into,
                }
            }
            "item_split" => {
                let p = ItemSplit::deserialize(d)?;
                Event::ItemSplit {
                    from: p.from,
                    into: p.into,
                }
            }
            "local_item_added" => {
                let p = LocalItemAdded::deserialize(d)?;
                Event::LocalItemAdded {
                    item: p.item,
                    assessment: p.assessment,
                }
            }
            other => return Err(not_stored_form(other)),
        })
    }
}

/// One side of a field change, read by the shape of its JSON value before
/// the field is known: `null`, a text, a list of texts, or a service standard.
enum Side {
    Unknown,
    Text(Text),
    Units(Vec<Text>),
    Standard(ServiceStandard),
}

impl Side {
    fn text(self) -> Option<Known<Text>> {
        match self {
            Side::Unknown => Some(Known::Unknown),
            Side::Text(text) => Some(Known::Known(text)),
            _ => None,
        }
    }

    fn units(self) -> Option<Known<Arc<[Text]>>> {
        match self {
            Side::Unknown => Some(Known::Unknown),
            Side::Units(units) => Some(Known::Known(units.into())),
            _ => None,
        }
    }

    fn standard(self) -> Option<Known<ServiceStandard>> {
        match self {
            Side::Unknown => Some(Known::Unknown),
            Side::Standard(standard) => Some(Known::Known(standard)),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Side {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SideVisitor)
    }
}

struct SideVisitor;

impl<'de> Visitor<'de> for SideVisitor {
    type Value = Side;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("null, a text, a list of texts or a service standard")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Side, E> {
        Ok(Side::Unknown)
    }

    fn visit_none<E: de::Error>(self) -> Result<Side, E> {
        Ok(Side::Unknown)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Side, E> {
        Ok(Side::Text(Text::from(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Side, A::Error> {
        let mut units = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(unit) = seq.next_element::<Text>()? {
            units.push(unit);
        }
        Ok(Side::Units(units))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Side, A::Error> {
        ServiceStandard::deserialize(MapAccessDeserializer::new(map)).map(Side::Standard)
    }
}

/// A field change read without buffering.
struct Change(FieldChange);

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ChangeVisitor)
    }
}

struct ChangeVisitor;

impl<'de> Visitor<'de> for ChangeVisitor {
    type Value = Change;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field change")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Change, A::Error> {
        let mut before: Option<Side> = None;
        let mut after: Option<Side> = None;
        let mut field: Option<&'de str> = None;
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "before" => set_once(&mut before, map.next_value()?, key)?,
                "after" => set_once(&mut after, map.next_value()?, key)?,
                "field" => set_once(&mut field, map.next_value()?, key)?,
                other => return Err(not_stored_form(other)),
            }
        }
        let (Some(before), Some(after), Some(field)) = (before, after, field) else {
            return Err(not_stored_form("change"));
        };
        let change = match field {
            "name"
            | "name_en"
            | "service_target"
            | "service_content"
            | "expenditure_responsibility" => match (before.text(), after.text()) {
                (Some(before), Some(after)) => Some(match field {
                    "name" => FieldChange::Name { before, after },
                    "name_en" => FieldChange::NameEn { before, after },
                    "service_target" => FieldChange::ServiceTarget { before, after },
                    "service_content" => FieldChange::ServiceContent { before, after },
                    _ => FieldChange::ExpenditureResponsibility { before, after },
                }),
                _ => None,
            },
            "service_standard" => match (before.standard(), after.standard()) {
                (Some(before), Some(after)) => Some(FieldChange::ServiceStandard { before, after }),
                _ => None,
            },
            "lead_units" => match (before.units(), after.units()) {
                (Some(before), Some(after)) => Some(FieldChange::LeadUnits { before, after }),
                _ => None,
            },
            _ => None,
        };
        change.map(Change).ok_or_else(|| not_stored_form(field))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{DateTime, Utc};
    use event_store::{StoredEvent, StreamId};
    use uuid::Uuid;

    use super::super::decode_general;

    const GOLDEN: &[(&str, &str)] = &[
        (
            "aspect_defined",
            include_str!("../../tests/golden/aspect_defined.v3.json"),
        ),
        (
            "aspect_renamed",
            include_str!("../../tests/golden/aspect_renamed.v3.json"),
        ),
        (
            "aspect_retired",
            include_str!("../../tests/golden/aspect_retired.v3.json"),
        ),
        (
            "category_defined",
            include_str!("../../tests/golden/category_defined.v3.json"),
        ),
        (
            "category_renamed",
            include_str!("../../tests/golden/category_renamed.v3.json"),
        ),
        (
            "category_retired",
            include_str!("../../tests/golden/category_retired.v3.json"),
        ),
        (
            "item_amended",
            include_str!("../../tests/golden/item_amended.v3.json"),
        ),
        (
            "item_introduced",
            include_str!("../../tests/golden/item_introduced.v3.json"),
        ),
        (
            "item_moved",
            include_str!("../../tests/golden/item_moved.v3.json"),
        ),
        (
            "item_retired",
            include_str!("../../tests/golden/item_retired.v3.json"),
        ),
        (
            "item_split",
            include_str!("../../tests/golden/item_split.v3.json"),
        ),
        (
            "items_merged",
            include_str!("../../tests/golden/items_merged.v3.json"),
        ),
        (
            "local_item_added",
            include_str!("../../tests/golden/local_item_added.v3.json"),
        ),
        (
            "revision_published",
            include_str!("../../tests/golden/revision_published.v3.json"),
        ),
        (
            "revision_withdrawn",
            include_str!("../../tests/golden/revision_withdrawn.v3.json"),
        ),
    ];

    /// The salt and actor the golden files were written with.
    const SALT: super::super::Salt = [7; super::super::SALT_BYTES];
    const ACTOR: &str = "import";

    fn stored(version: u32, event_type: &str, data: &str, sealed: Option<Vec<u8>>) -> StoredEvent {
        StoredEvent {
            event_id: Uuid::from_u128(7),
            stream: StreamId::new("standard-CN"),
            stream_position: 0,
            global_position: 1,
            event_type: event_type.into(),
            schema_version: version,
            data: data.as_bytes().to_vec(),
            recorded_at: DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap(),
            sealed,
        }
    }

    /// The fast path's answer at schema `version`, if it gives one, is the
    /// general decoder's, with the sealed bytes and without (the actor of
    /// version 3 then unknown; version 2 with sealed bytes refused by both).
    fn agrees_at(version: u32, event_type: &str, data: &str) -> bool {
        let Some((context, event, commitment)) =
            super::decode(data.as_bytes(), event_type, version)
        else {
            return false;
        };
        let committed = version >= super::super::COMMITTED_ACTOR_SINCE;
        for sealed in [Some(super::super::sealed_bytes(ACTOR, &SALT)), None] {
            let known = sealed.is_some();
            let stored = stored(version, event_type, data, sealed);
            let general = decode_general(&stored, domain::ids::Jurisdiction::national());
            let decoded = super::super::decode(&stored);
            if known && !committed {
                assert!(general.is_err() && decoded.is_err(), "{data}");
                continue;
            }
            let (_, general) = general.unwrap_or_else(|e| panic!("{event_type}: {e}: {data}"));
            let (_, decoded) = decoded.unwrap_or_else(|e| panic!("{event_type}: {e}: {data}"));
            assert_eq!(
                (&general.context, &general.event),
                (&decoded.context, &decoded.event),
                "{data}"
            );
            assert_eq!(general.event, event, "{data}");
            assert_eq!(
                (
                    &general.context.revision,
                    general.context.effective_from,
                    &general.context.reason
                ),
                (&context.revision, context.effective_from, &context.reason),
                "{data}"
            );
            if committed {
                assert_eq!(
                    commitment,
                    Some(super::super::actor_commitment(&SALT, ACTOR)),
                    "{data}"
                );
                assert_eq!(
                    context.actor, "",
                    "the fast path leaves the actor to the caller"
                );
                assert_eq!(
                    general.context.actor,
                    if known { ACTOR } else { "" },
                    "{data}"
                );
            } else {
                assert_eq!(commitment, None, "{data}");
                assert_eq!(
                    (context.actor.as_str(), general.context.actor.as_str()),
                    (ACTOR, ACTOR)
                );
            }
        }
        true
    }

    fn agrees(event_type: &str, data: &str) -> bool {
        agrees_at(super::SCHEMA_VERSION, event_type, data)
    }

    #[test]
    fn every_golden_event_takes_the_fast_path_to_the_same_event() {
        for (event_type, data) in GOLDEN {
            assert!(
                agrees(event_type, data.trim_end()),
                "{event_type} left the fast path"
            );
        }
    }

    /// Logs recorded before version 3 start as fast: version 2 takes the
    /// fast path too, with its actor in the clear and never a commitment.
    #[test]
    fn version_2_golden_events_take_the_fast_path_to_the_same_event() {
        for (event_type, _) in GOLDEN {
            let path = format!(
                "{}/tests/golden/{event_type}.v2.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let data = std::fs::read_to_string(&path).unwrap();
            let data = data.trim_end();
            assert!(
                agrees_at(2, event_type, data),
                "{event_type} v2 left the fast path"
            );
            let committed = data.replacen(
                "\"actor\":\"import\"",
                &format!(
                    "\"actor_commitment\":\"{}\"",
                    super::super::actor_commitment(&SALT, ACTOR)
                ),
                1,
            );
            assert!(!agrees_at(2, event_type, &committed), "{committed}");
            assert!(
                !agrees_at(1, event_type, data),
                "version 1 is the general decoder's"
            );
        }
    }

    /// Forms the encoder never writes leave the fast path; the general decoder decides.
    #[test]
    fn other_forms_leave_the_fast_path() {
        let amended = GOLDEN[6].1.trim_end();
        let cases: Vec<(&str, String)> = vec![
            // the type disagrees with the stored record
            ("item_retired", amended.to_owned()),
            // keys out of the stored order: payload before type
            ("item_amended", {
                let untyped = amended.replacen("\"type\":\"item_amended\",", "", 1);
                format!(
                    "{},\"type\":\"item_amended\"}}",
                    &untyped[..untyped.len() - 1]
                )
            }),
            // an unknown key in the envelope, in the payload, in a change
            (
                "item_amended",
                amended.replacen(
                    "\"actor_commitment\"",
                    "\"extra\":1,\"actor_commitment\"",
                    1,
                ),
            ),
            (
                "item_amended",
                amended.replacen("\"item\":", "\"extra\":1,\"item\":", 1),
            ),
            (
                "item_amended",
                amended.replacen("\"field\":", "\"extra\":1,\"field\":", 1),
            ),
            // a key twice
            (
                "item_amended",
                amended.replacen(
                    "\"actor_commitment\"",
                    "\"reason\":\"x\",\"actor_commitment\"",
                    1,
                ),
            ),
            // a side whose shape does not fit its field
            (
                "item_amended",
                amended.replacen("\"after\":\"城乡居民。\"", "\"after\":[\"城乡居民。\"]", 1),
            ),
            (
                "item_amended",
                amended.replacen("\"after\":\"城乡居民。\"", "\"after\":7", 1),
            ),
            // an unknown field name
            (
                "item_amended",
                amended.replacen("\"service_target\"", "\"service_targets\"", 1),
            ),
            // another schema version, trailing bytes
            (
                "item_amended",
                amended.replacen("\"schema_version\":3", "\"schema_version\":2", 1),
            ),
            // the actor in the clear, beside or instead of its commitment
            (
                "item_amended",
                amended.replacen(
                    "\"actor_commitment\"",
                    "\"actor\":\"x\",\"actor_commitment\"",
                    1,
                ),
            ),
            (
                "item_amended",
                amended.replacen("\"actor_commitment\"", "\"actor\"", 1),
            ),
            ("item_amended", format!("{amended} x")),
            ("item_amended", amended[..amended.len() - 3].to_owned()),
        ];
        for (event_type, data) in &cases {
            assert!(!agrees(event_type, data), "{data}");
        }
        // Whitespace is still the stored form.
        assert!(agrees("item_amended", &amended.replace(',', " , ")));
    }
}
