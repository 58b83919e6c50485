//! The stored and imported JSON forms: `Known` as null or value, `FieldUpdates`
//! telling an absent field from an explicit null.
#![allow(clippy::unwrap_used)]

use domain::command::{Change, ChangeEntry, FieldUpdates};
use domain::event::{Event, FieldChange};
use domain::ids::{ItemId, Jurisdiction};
use domain::model::{ItemFields, Known};
use domain::text::Text;
use serde_json::json;

#[test]
fn known_is_null_or_the_value() {
    let cases: Vec<(Known<Text>, &str)> = vec![
        (Known::Unknown, "null"),
        (Known::Known(String::new().into()), "\"\""),
        (
            Known::Known("不少于15套".to_owned().into()),
            "\"不少于15套\"",
        ),
    ];
    for (value, text) in cases {
        assert_eq!(serde_json::to_string(&value).unwrap(), text);
        assert_eq!(serde_json::from_str::<Known<Text>>(text).unwrap(), value);
    }
    let units: Known<std::sync::Arc<[Text]>> = serde_json::from_str("[]").unwrap();
    assert_eq!(units, Known::Known([].into()));
    let units: Known<std::sync::Arc<[Text]>> = serde_json::from_str("null").unwrap();
    assert_eq!(units, Known::Unknown);
    assert!(serde_json::from_str::<Known<u32>>("\"x\"").is_err());
}

#[test]
fn item_fields_round_trip_with_unknowns() {
    let fields = ItemFields {
        service_target: Known::Known("农村居民".to_owned().into()),
        service_content: Known::Unknown,
        service_standard: Known::Unknown,
        expenditure_responsibility: Known::Known(String::new().into()),
        lead_units: Known::Known(["文化和旅游部".into()].into()),
    };
    let value = serde_json::to_value(&fields).unwrap();
    assert_eq!(value["service_content"], serde_json::Value::Null);
    assert_eq!(value["expenditure_responsibility"], json!(""));
    assert_eq!(serde_json::from_value::<ItemFields>(value).unwrap(), fields);
}

#[test]
fn field_updates_tell_absent_from_null() {
    let updates: FieldUpdates = serde_json::from_str(
        r#"{"service_content": null, "service_target": "x", "lead_units": ["a", "b"]}"#,
    )
    .unwrap();
    assert_eq!(updates.service_content, Some(Known::Unknown));
    assert_eq!(updates.service_target, Some(Known::Known("x".into())));
    assert_eq!(
        updates.lead_units,
        Some(Known::Known(["a".into(), "b".into()].into()))
    );
    assert_eq!(updates.name, None);
    assert_eq!(updates.service_standard, None);
    assert_eq!(updates.expenditure_responsibility, None);

    let none: FieldUpdates = serde_json::from_str("{}").unwrap();
    assert_eq!(none, FieldUpdates::default());

    // And back: absent stays absent, null stays null.
    let text = serde_json::to_value(&updates).unwrap();
    assert_eq!(
        text,
        json!({"service_content": null, "service_target": "x", "lead_units": ["a", "b"]})
    );
    assert_eq!(
        serde_json::from_value::<FieldUpdates>(text).unwrap(),
        updates
    );
}

#[test]
fn a_change_entry_keeps_the_explicit_null() {
    let entry: ChangeEntry = serde_json::from_str(
        r#"{"op": "amend_item", "item": "i1", "fields": {"service_content": null}, "reason": "text lost"}"#,
    )
    .unwrap();
    assert_eq!(entry.reason.as_deref(), Some("text lost"));
    let Change::AmendItem { item, fields } = &entry.change else {
        panic!("{entry:?}")
    };
    assert_eq!(item.as_str(), "i1");
    assert_eq!(fields.service_content, Some(Known::Unknown));
    assert_eq!(fields.service_target, None);
    let back: ChangeEntry = serde_json::from_value(serde_json::to_value(&entry).unwrap()).unwrap();
    assert_eq!(back, entry);

    let withdraw: ChangeEntry = serde_json::from_str(r#"{"op": "withdraw"}"#).unwrap();
    assert_eq!(withdraw.change, Change::Withdraw);
}

#[test]
fn events_store_their_type_and_fields() {
    let event = Event::ItemAmended {
        item: ItemId::parse("i1").unwrap(),
        changes: vec![FieldChange::ServiceContent {
            before: Known::Known("old".to_owned().into()),
            after: Known::Unknown,
        }],
    };
    let value = serde_json::to_value(&event).unwrap();
    assert_eq!(
        value,
        json!({
            "type": "item_amended",
            "item": "i1",
            "changes": [{"field": "service_content", "before": "old", "after": null}]
        })
    );
    assert_eq!(serde_json::from_value::<Event>(value).unwrap(), event);
}

#[test]
fn invalid_ids_do_not_deserialize() {
    assert!(serde_json::from_str::<Jurisdiction>("\"CN\"").is_ok());
    assert!(serde_json::from_str::<Jurisdiction>("\"China\"").is_err());
    assert!(serde_json::from_str::<ItemId>("\"a b\"").is_err());
}
