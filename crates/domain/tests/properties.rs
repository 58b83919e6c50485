//! Random sequences of revisions, valid or not: `decide` never panics, and
//! whatever it accepts keeps every recorded knowledge foldable.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use domain::DomainError;
use domain::command::{Change, FieldUpdates, PublishRevision};
use domain::model::{ItemSpec, Known, Placement, RevisionKind};
use domain::state::{fold, in_force};
use proptest::prelude::*;

const DATES: [&str; 7] = [
    "2020-01-01",
    "2021-04-01",
    "2022-01-01",
    "2023-01-01",
    "2025-06-01",
    "2026-01-01",
    "2027-01-01",
];

fn item_id() -> impl Strategy<Value = String> {
    (1..=7u8).prop_map(|n| format!("i{n}"))
}

fn category_id() -> impl Strategy<Value = String> {
    (1..=4u8).prop_map(|n| format!("c{n}"))
}

fn aspect_id() -> impl Strategy<Value = String> {
    (1..=3u8).prop_map(|n| format!("a{n}"))
}

fn text() -> impl Strategy<Value = Option<Known<Text>>> {
    prop_oneof![
        Just(None),
        Just(Some(Known::Unknown)),
        "[xyz]{0,2}".prop_map(|t| Some(Known::Known(t.into()))),
    ]
}

fn spec() -> impl Strategy<Value = ItemSpec> {
    (item_id(), category_id(), 0..=4u32, any::<bool>()).prop_map(|(id, category, number, known)| {
        let mut spec = item(&id, &category, number.max(1));
        if number == 0 {
            spec.placement.number = Known::Unknown;
        }
        if !known {
            spec.placement = Placement {
                category: Known::Unknown,
                number: Known::Unknown,
            };
        }
        spec
    })
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        spec().prop_map(Change::IntroduceItem),
        (item_id(), text(), text(), text()).prop_map(|(id, name, target, content)| {
            amend(
                &id,
                FieldUpdates {
                    name,
                    service_target: target,
                    service_content: content,
                    ..FieldUpdates::default()
                },
            )
        }),
        (item_id(), category_id(), 1..=4u32).prop_map(|(id, c, n)| move_to(&id, &c, n)),
        item_id().prop_map(|id| retire(&id)),
        (prop::collection::vec(item_id(), 0..4), item_id()).prop_map(|(from, into)| merge_into(
            &from.iter().map(String::as_str).collect::<Vec<_>>(),
            &into
        )),
        (prop::collection::vec(item_id(), 0..4), spec()).prop_map(|(from, into)| merge_new(
            &from.iter().map(String::as_str).collect::<Vec<_>>(),
            into
        )),
        (item_id(), prop::collection::vec(spec(), 0..4))
            .prop_map(|(from, into)| split(&from, into)),
        (category_id(), aspect_id(), 1..=4u32)
            .prop_map(|(c, a, n)| Change::DefineCategory(category(&c, &a, n))),
        (category_id(), "[xy]{1,2}").prop_map(|(c, name)| Change::RenameCategory {
            category: cid(&c),
            name
        }),
        category_id().prop_map(|c| Change::RetireCategory { category: cid(&c) }),
        (aspect_id(), 1..=3u32).prop_map(|(a, order)| Change::DefineAspect(aspect(&a, order))),
        aspect_id().prop_map(|a| Change::RetireAspect { aspect: aid(&a) }),
    ]
    .prop_flat_map(|change| {
        // Now and then a withdrawal entry where it does not belong.
        prop_oneof![20 => Just(change), 1 => Just(Change::Withdraw)]
    })
}

#[derive(Debug, Clone)]
enum Step {
    Adjustment(usize, Vec<Change>),
    Correction(usize, usize, Vec<Change>),
    Withdrawal(usize, usize),
    Restatement(usize, u8),
}

fn step() -> impl Strategy<Value = Step> {
    let date = 0..DATES.len();
    let changes = || prop::collection::vec(change(), 1..3);
    prop_oneof![
        4 => (date.clone(), changes()).prop_map(|(d, c)| Step::Adjustment(d, c)),
        2 => (0..8usize, date.clone(), changes()).prop_map(|(t, d, c)| Step::Correction(t, d, c)),
        2 => (0..8usize, date.clone()).prop_map(|(t, d)| Step::Withdrawal(t, d)),
        1 => (date, any::<u8>()).prop_map(|(d, mask)| Step::Restatement(d, mask)),
    ]
}

/// Revision `index` of a run: `n2021` for 0 (taken), else `r{index}`.
fn revision(index: usize) -> String {
    if index == 0 {
        "n2021".to_owned()
    } else {
        format!("r{index}")
    }
}

/// Command `index` of a run; a target `t` picks among the revisions published so
/// far (and now and then one that never was).
fn command(index: usize, step: Step, published: &[String]) -> PublishRevision {
    let id = revision(index);
    let target = |t: usize| {
        published
            .get(t % (published.len() + 1))
            .cloned()
            .unwrap_or_else(|| "nope".to_owned())
    };
    match step {
        Step::Adjustment(date, changes) => adjustment(&id, DATES[date], changes),
        Step::Correction(t, date, changes) => correction(&id, &target(t), DATES[date], changes),
        Step::Withdrawal(t, date) => withdrawal(&id, &target(t), DATES[date]),
        Step::Restatement(date, mask) => {
            let mut whole = standard_2021();
            // Drop some items, move or rename others, per bits of the mask.
            let mut n = 0;
            whole.items.retain(|_| {
                n += 1;
                mask & (1 << n) == 0
            });
            if mask & 1 == 1 {
                for spec in &mut whole.items {
                    if let Known::Known(number) = &mut spec.placement.number {
                        *number = 5 - *number;
                    }
                }
                whole.categories[1].name = "renamed".to_owned();
            }
            if mask & 0x20 != 0 {
                whole.items.push(item("i7", "c2", 3));
            }
            PublishRevision {
                revision: info(&id, RevisionKind::ComprehensiveRevision, "CN", DATES[date]),
                content: domain::command::RevisionContent::Whole(whole),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decide_never_panics_and_accepted_histories_fold(steps in prop::collection::vec(step(), 1..12)) {
        let mut registry = given(&[national_2021()]);
        for (index, step) in steps.into_iter().enumerate() {
            // Index 0 reuses the founding revision's id: always RevisionExists.
            let published: Vec<String> = domain::published_revisions(&registry.events)
                .iter()
                .map(|r| r.id.to_string())
                .collect();
            let command = command(index, step, &published);
            let before = registry.events.len();
            match registry.record(&command) {
                Ok(recorded) => {
                    prop_assert!(recorded.len() >= 2, "{recorded:?}");
                    prop_assert_eq!(recorded[0].event.type_name(), "revision_published");
                    let all = in_force(&registry.events, None, None);
                    if let Err((at, violation)) = fold(&all) {
                        prop_assert!(false, "accepted {command:?} but the fold breaks at {at}: {violation}");
                    }
                    // Every earlier knowledge still folds.
                    for event in &registry.events {
                        let known = in_force(&registry.events, None, Some(event.recorded_at));
                        prop_assert!(fold(&known).is_ok());
                    }
                }
                Err(error) => {
                    prop_assert_eq!(registry.events.len(), before);
                    if index == 0 {
                        prop_assert!(matches!(error, DomainError::RevisionExists(_)), "{error:?}");
                    }
                    if let DomainError::BreaksLaterEvent { event_id, .. } = &error {
                        prop_assert!(registry.events.iter().any(|e| e.event_id == *event_id));
                    }
                    prop_assert!(
                        !matches!(error, DomainError::InconsistentHistory { .. }),
                        "{error:?}"
                    );
                }
            }
        }
    }
}
