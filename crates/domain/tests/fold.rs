//! Bitemporal reads: `in_force` then `fold`, at (valid_at, known_at).
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::*;
use domain::model::Known;
use domain::state::{fold, in_force};

fn content_of(
    registry: &Registry,
    item: &str,
    valid_at: &str,
    known_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Known<Text> {
    registry.state(Some(valid_at), known_at).items[&iid(item)]
        .fields
        .service_content
        .clone()
}

#[test]
fn a_later_correction_changes_the_past_only_as_known_after_it() {
    let registry = given(&[
        national_2021(),
        adjustment(
            "a2023",
            "2023-01-01",
            vec![amend_content("i2", "i2 content 2023")],
        ),
        correction(
            "k1",
            "n2021",
            "2021-04-01",
            vec![amend_content("i1", "i1 corrected")],
        ),
    ]);
    let corrected_at = registry.recorded_at("k1");
    let before_correction = registry.recorded_at("a2023");
    assert!(before_correction < corrected_at);

    // As known now.
    assert_eq!(
        content_of(&registry, "i1", "2022-06-01", None),
        known("i1 corrected")
    );
    // As known when the correction was recorded (inclusive bound).
    assert_eq!(
        content_of(&registry, "i1", "2022-06-01", Some(corrected_at)),
        known("i1 corrected")
    );
    // As known just before.
    assert_eq!(
        content_of(
            &registry,
            "i1",
            "2022-06-01",
            Some(corrected_at - Duration::seconds(1))
        ),
        known("i1 content")
    );
    assert_eq!(
        content_of(&registry, "i1", "2022-06-01", Some(before_correction)),
        known("i1 content")
    );
    // The correction's revision is part of the state only once known.
    let now = registry.state(Some("2022-06-01"), None);
    assert!(now.revisions.contains_key(&rid("k1")));
    assert_eq!(now.items[&iid("i1")].last_changed_by.as_str(), "k1");
    let then = registry.state(Some("2022-06-01"), Some(before_correction));
    assert!(!then.revisions.contains_key(&rid("k1")));
    // The 2023 adjustment is not in force in 2022, whatever the knowledge.
    assert_eq!(
        content_of(&registry, "i2", "2022-06-01", None),
        known("i2 content")
    );
    assert_eq!(
        content_of(&registry, "i2", "2023-01-01", None),
        known("i2 content 2023")
    );
}

#[test]
fn in_force_orders_by_effective_date_then_log_order() {
    let registry = given(&[
        national_2021(),
        adjustment("a2024", "2024-01-01", vec![amend_content("i1", "late")]),
        // Recorded later but effective earlier: applies before a2024.
        adjustment("a2023", "2023-01-01", vec![amend_content("i1", "early")]),
        // Same day as a2024, recorded after it: wins the tie.
        adjustment("b2024", "2024-01-01", vec![amend_content("i1", "tie")]),
    ]);
    let order: Vec<&str> = in_force(&registry.events, None, None)
        .iter()
        .map(|e| e.context.revision.as_str())
        .filter(|r| *r != "n2021")
        .collect();
    assert_eq!(
        order,
        vec!["a2023", "a2023", "a2024", "a2024", "b2024", "b2024"]
    );
    assert_eq!(
        content_of(&registry, "i1", "2023-06-01", None),
        known("early")
    );
    assert_eq!(
        content_of(&registry, "i1", "2024-01-01", None),
        known("tie")
    );
    // Before b2024 was known, a2024 stood on its day.
    let b_known = registry.recorded_at("b2024");
    assert_eq!(
        content_of(
            &registry,
            "i1",
            "2024-01-01",
            Some(b_known - Duration::seconds(1))
        ),
        known("late")
    );
}

#[test]
fn nothing_is_in_force_before_the_standard() {
    let registry = given(&[national_2021()]);
    assert!(in_force(&registry.events, Some(d("2021-03-31")), None).is_empty());
    let empty = fold(&[]).unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.established_on, None);
    let state = registry.state(Some("2021-04-01"), None);
    assert_eq!(state.established_on, Some(d("2021-04-01")));
    assert_eq!(state.items.len(), 4);
    assert_eq!(state.aspects.len(), 2);
    assert_eq!(state.categories.len(), 3);
    // Known before anything was recorded: nothing.
    let first = registry.recorded_at("n2021");
    assert!(in_force(&registry.events, None, Some(first - Duration::seconds(1))).is_empty());
}

#[test]
fn a_withdrawal_hides_the_revision_only_as_known_after_it() {
    let mut registry = given(&[
        national_2021(),
        adjustment("a2026", "2026-01-01", vec![retire("i4")]),
    ]);
    registry
        .record(&withdrawal("w1", "a2026", "2025-06-01"))
        .unwrap();
    let withdrawn_at = registry.recorded_at("w1");
    let active =
        |known_at| registry.state(Some("2026-06-01"), known_at).items[&iid("i4")].is_active();
    assert!(active(None));
    assert!(active(Some(withdrawn_at)));
    assert!(!active(Some(withdrawn_at - Duration::seconds(1))));
}
