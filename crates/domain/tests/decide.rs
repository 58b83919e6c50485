//! Given/when/then tables for `decide`, through the public API only.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use domain::command::{Change, FieldUpdates, PublishRevision, RevisionContent, WholeStandard};
use domain::event::{Event, FieldChange, NewDomainEvent};
use domain::ids::{ItemId, Jurisdiction};
use domain::model::{Known, Placement, RevisionKind};
use domain::state::{Status, Violation};
use domain::{DomainError, Violation as ReexportedViolation};

/// What a row expects: the `type`s of the decided events in order, or an error.
enum Then {
    Types(&'static [&'static str]),
    Error(fn(&DomainError) -> bool),
}

struct Row {
    name: &'static str,
    given: Vec<PublishRevision>,
    when: PublishRevision,
    then: Then,
}

fn row(name: &'static str, given: Vec<PublishRevision>, when: PublishRevision, then: Then) -> Row {
    Row {
        name,
        given,
        when,
        then,
    }
}

/// Runs every row and reports all the rows that failed, not only the first.
fn run(rows: Vec<Row>) {
    let mut failures = Vec::new();
    for row in rows {
        let outcome = given(&row.given).when(&row.when);
        let ok = match (&row.then, &outcome) {
            (Then::Types(expected), Ok(events)) => types(events) == *expected,
            (Then::Error(check), Err(error)) => check(error),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{}: got {:?}",
                row.name,
                outcome.as_ref().map(|events| types(events))
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

const PUBLISHED: &str = "revision_published";

fn with_jurisdiction(mut command: PublishRevision, jurisdiction: &str) -> PublishRevision {
    command.revision.jurisdiction = Jurisdiction::parse(jurisdiction).unwrap();
    command
}

fn local_2022(local_items: bool) -> PublishRevision {
    let mut whole = standard_2021();
    if local_items {
        whole.local_items = vec![local_item(item("l1", "c3", 2), known("assessment 7"))];
    }
    local_implementation("sc2022", "510000", Some("n2021"), "2022-01-01", whole)
}

/// A later adjustment that amends i1, effective 2023-01-01.
fn adjustment_2023() -> PublishRevision {
    adjustment(
        "a2023",
        "2023-01-01",
        vec![amend_content("i1", "i1 content 2023")],
    )
}

/// A future adjustment (today is 2025-06-01) that amends i1, effective 2026-01-01.
fn adjustment_2026() -> PublishRevision {
    adjustment(
        "a2026",
        "2026-01-01",
        vec![amend_content("i1", "i1 content 2026")],
    )
}

#[test]
fn violation_is_reexported() {
    let violation: ReexportedViolation = Violation::UnknownItem(iid("i1"));
    assert_eq!(violation.to_string(), "item i1 does not exist at this date");
}

#[test]
fn founding() {
    run(vec![
        row(
            "the founding comprehensive revision states the whole tree",
            vec![],
            national_2021(),
            Then::Types(&[
                PUBLISHED,
                "aspect_defined",
                "aspect_defined",
                "category_defined",
                "category_defined",
                "category_defined",
                "item_introduced",
                "item_introduced",
                "item_introduced",
                "item_introduced",
            ]),
        ),
        row(
            "an adjustment on an empty stream is not a founding revision",
            vec![],
            adjustment("a2021", "2021-04-01", vec![introduce(item("i9", "c1", 9))]),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::Rejected(Violation::NotAFoundingRevision("adjustment"))
                )
            }),
        ),
        row(
            "an amendment on an empty stream is not a founding revision either",
            vec![],
            adjustment("a2021", "2021-04-01", vec![amend_content("i1", "x")]),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::Rejected(Violation::NotAFoundingRevision("adjustment"))
                )
            }),
        ),
        row(
            "a correction on an empty stream names an unknown target",
            vec![],
            correction("k1", "n2021", "2021-04-01", vec![amend_content("i1", "x")]),
            Then::Error(|e| matches!(e, DomainError::UnknownRevision(r) if r.as_str() == "n2021")),
        ),
        row(
            "a comprehensive revision is national only",
            vec![],
            with_jurisdiction(national_2021(), "510100"),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::KindNotForJurisdiction { kind: "comprehensive_revision", jurisdiction }
                        if jurisdiction.as_str() == "510100"
                )
            }),
        ),
        row(
            "a local implementation is local only",
            vec![],
            with_jurisdiction(local_2022(false), "CN"),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::KindNotForJurisdiction { kind: "local_implementation", jurisdiction }
                        if jurisdiction.is_national()
                )
            }),
        ),
        row(
            "a local implementation must name the national revision it implements",
            vec![],
            local_implementation("sc2022", "510000", None, "2022-01-01", standard_2021()),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::MissingReference {
                        kind: "local_implementation",
                        field: "implements"
                    }
                )
            }),
        ),
        row(
            "a local implementation founds a local standard, local items included",
            vec![],
            local_2022(true),
            Then::Types(&[
                PUBLISHED,
                "aspect_defined",
                "aspect_defined",
                "category_defined",
                "category_defined",
                "category_defined",
                "item_introduced",
                "item_introduced",
                "item_introduced",
                "item_introduced",
                "local_item_added",
            ]),
        ),
        row(
            "a comprehensive revision must state the whole standard",
            vec![],
            PublishRevision {
                revision: national_2021().revision,
                content: entries(vec![introduce(item("i1", "c1", 1))]),
            },
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::ContentDoesNotFitKind {
                        kind: "comprehensive_revision",
                        ..
                    }
                )
            }),
        ),
        row(
            "an adjustment must state changes, not a whole standard",
            vec![national_2021()],
            PublishRevision {
                revision: adjustment("a2023", "2023-01-01", vec![]).revision,
                content: RevisionContent::Whole(standard_2021()),
            },
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::ContentDoesNotFitKind {
                        kind: "adjustment",
                        ..
                    }
                )
            }),
        ),
        row(
            "an adjustment cannot withdraw",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![Change::Withdraw]),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::ChangeDoesNotFitKind {
                        op: "withdraw",
                        kind: "adjustment"
                    }
                )
            }),
        ),
        row(
            "a withdrawal only withdraws",
            vec![national_2021(), adjustment_2026()],
            PublishRevision {
                content: entries(vec![retire("i1")]),
                ..withdrawal("w1", "a2026", "2025-06-01")
            },
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::ChangeDoesNotFitKind {
                        op: "retire_item",
                        kind: "withdrawal"
                    }
                )
            }),
        ),
        row(
            "a national adjustment cannot add a local item",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![Change::AddLocalItem(local_item(
                    item("l1", "c1", 9),
                    Known::Unknown,
                ))],
            ),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::ChangeDoesNotFitKind {
                        op: "add_local_item",
                        ..
                    }
                )
            }),
        ),
        row(
            "a local adjustment can add a local item",
            vec![local_2022(false)],
            with_jurisdiction(
                adjustment(
                    "sc2023",
                    "2023-01-01",
                    vec![Change::AddLocalItem(local_item(
                        item("l1", "c1", 9),
                        Known::Unknown,
                    ))],
                ),
                "510000",
            ),
            Then::Types(&[PUBLISHED, "local_item_added"]),
        ),
        row(
            "a revision with no change is refused",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![]),
            Then::Error(|e| matches!(e, DomainError::NothingChanges(r) if r.as_str() == "a2023")),
        ),
        row(
            "a revision id is used once",
            vec![national_2021()],
            adjustment("n2021", "2023-01-01", vec![introduce(item("i9", "c1", 9))]),
            Then::Error(|e| matches!(e, DomainError::RevisionExists(r) if r.as_str() == "n2021")),
        ),
        row(
            "a withdrawn revision's id is not free again",
            vec![
                national_2021(),
                adjustment_2026(),
                withdrawal("w1", "a2026", "2025-06-01"),
            ],
            adjustment("a2026", "2026-01-01", vec![introduce(item("i9", "c1", 9))]),
            Then::Error(|e| matches!(e, DomainError::RevisionExists(r) if r.as_str() == "a2026")),
        ),
    ]);
}

#[test]
fn numbers_and_duplicates() {
    fn duplicate_of_i1(e: &DomainError) -> bool {
        matches!(
            e,
            DomainError::Rejected(Violation::DuplicateNumber { category, number: 1, holder })
                if category.as_str() == "c1" && holder.as_str() == "i1"
        )
    }
    let mut twice = standard_2021();
    twice.items.push(item("i1", "c2", 7));
    let mut same_number = standard_2021();
    same_number.items[1].placement = placement("c1", 1);
    let mut category_twice = standard_2021();
    category_twice.categories.push(category("c1", "a1", 9));
    run(vec![
        row(
            "an introduced item cannot take a number in use",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![introduce(item("i9", "c1", 1))]),
            Then::Error(duplicate_of_i1),
        ),
        row(
            "an item cannot move onto a number in use in its category",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![move_to("i2", "c1", 1)]),
            Then::Error(duplicate_of_i1),
        ),
        row(
            "an item cannot move onto a number in use in another category",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![move_to("i3", "c1", 1)]),
            Then::Error(duplicate_of_i1),
        ),
        row(
            "a founding document cannot number two items alike",
            vec![],
            comprehensive("n2021", "2021-04-01", same_number),
            Then::Error(duplicate_of_i1),
        ),
        row(
            "the same number is free in another category",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![introduce(item("i9", "c3", 2))]),
            Then::Types(&[PUBLISHED, "item_introduced"]),
        ),
        row(
            "an unknown number never collides",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![Change::IntroduceItem(domain::model::ItemSpec {
                    placement: Placement {
                        category: Known::Known(cid("c1")),
                        number: Known::Unknown,
                    },
                    ..item("i9", "c1", 0)
                })],
            ),
            Then::Types(&[PUBLISHED, "item_introduced"]),
        ),
        row(
            "a number freed by a retirement earlier in the document can be taken",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![retire("i2"), introduce(item("i9", "c1", 2))],
            ),
            Then::Types(&[PUBLISHED, "item_retired", "item_introduced"]),
        ),
        row(
            "a move to a free number",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![move_to("i3", "c1", 3)]),
            Then::Types(&[PUBLISHED, "item_moved"]),
        ),
        row(
            "a move into an unknown category",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![move_to("i3", "c9", 1)]),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::UnknownCategory(c)) if c.as_str() == "c9"),
            ),
        ),
        row(
            "a move to where the item already is changes nothing",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![move_to("i1", "c1", 1)]),
            Then::Error(
                |e| matches!(e, DomainError::AmendmentChangesNothing(i) if i.as_str() == "i1"),
            ),
        ),
        row(
            "introducing an id already used",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![introduce(item("i4", "c3", 5))]),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::ItemExists(i)) if i.as_str() == "i4"),
            ),
        ),
        row(
            "the same item twice in a whole document",
            vec![],
            comprehensive("n2021", "2021-04-01", twice),
            Then::Error(
                |e| matches!(e, DomainError::DuplicateInDocument { kind: "item", id } if id == "i1"),
            ),
        ),
        row(
            "the same category twice in a whole document",
            vec![],
            comprehensive("n2021", "2021-04-01", category_twice),
            Then::Error(
                |e| matches!(e, DomainError::DuplicateInDocument { kind: "category", id } if id == "c1"),
            ),
        ),
        row(
            "a category cannot be retired while it holds items",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![Change::RetireCategory {
                    category: cid("c3"),
                }],
            ),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::Rejected(Violation::CategoryInUse { category, item })
                        if category.as_str() == "c3" && item.as_str() == "i4"
                )
            }),
        ),
    ]);
}

#[test]
fn amendments() {
    run(vec![
        row(
            "amending an item never introduced",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![amend_content("i9", "x")]),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::UnknownItem(i)) if i.as_str() == "i9"),
            ),
        ),
        row(
            "amending a retired item",
            vec![
                national_2021(),
                adjustment("a2022", "2022-01-01", vec![retire("i4")]),
            ],
            adjustment("a2023", "2023-01-01", vec![amend_content("i4", "x")]),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::ItemRetired(i)) if i.as_str() == "i4"),
            ),
        ),
        row(
            "amending an item before its retirement takes effect",
            vec![
                national_2021(),
                adjustment("a2022", "2022-01-01", vec![retire("i4")]),
            ],
            correction("k1", "n2021", "2021-06-01", vec![amend_content("i4", "x")]),
            Then::Types(&[PUBLISHED, "item_amended"]),
        ),
        row(
            "retiring a retired item",
            vec![
                national_2021(),
                adjustment("a2022", "2022-01-01", vec![retire("i4")]),
            ],
            adjustment("a2023", "2023-01-01", vec![retire("i4")]),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::ItemRetired(i)) if i.as_str() == "i4"),
            ),
        ),
        row(
            "an amendment to the same text changes nothing",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![amend_content("i1", "i1 content")],
            ),
            Then::Error(
                |e| matches!(e, DomainError::AmendmentChangesNothing(i) if i.as_str() == "i1"),
            ),
        ),
        row(
            "an amendment naming no field changes nothing",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![amend("i1", FieldUpdates::default())],
            ),
            Then::Error(
                |e| matches!(e, DomainError::AmendmentChangesNothing(i) if i.as_str() == "i1"),
            ),
        ),
        row(
            "an amendment whose new text is not on record is accepted",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![amend(
                    "i1",
                    FieldUpdates {
                        service_content: Some(Known::Unknown),
                        ..FieldUpdates::default()
                    },
                )],
            ),
            Then::Types(&[PUBLISHED, "item_amended"]),
        ),
        row(
            "an adjustment can amend several items",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![amend_content("i1", "x"), amend_content("i2", "y")],
            ),
            Then::Types(&[PUBLISHED, "item_amended", "item_amended"]),
        ),
        row(
            "an item introduced earlier in the same document can be amended",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![introduce(item("i9", "c1", 9)), amend_content("i9", "x")],
            ),
            Then::Types(&[PUBLISHED, "item_introduced", "item_amended"]),
        ),
    ]);
}

#[test]
fn amendment_records_before_and_after() {
    let registry = given(&[national_2021()]);
    let unknown = adjustment(
        "a2023",
        "2023-01-01",
        vec![amend(
            "i1",
            FieldUpdates {
                service_content: Some(Known::Unknown),
                lead_units: Some(Known::Known(["u1".into(), "u2".into()].into())),
                ..FieldUpdates::default()
            },
        )],
    );
    let events = registry.when(&unknown).unwrap();
    let Event::ItemAmended { item, changes } = only(&events, "item_amended") else {
        unreachable!()
    };
    assert_eq!(item.as_str(), "i1");
    assert_eq!(
        changes,
        &vec![
            FieldChange::ServiceContent {
                before: known("i1 content"),
                after: Known::Unknown,
            },
            FieldChange::LeadUnits {
                before: Known::Known(["i1 unit".into()].into()),
                after: Known::Known(["u1".into(), "u2".into()].into()),
            },
        ]
    );
    for event in &events {
        assert_eq!(event.context.revision.as_str(), "a2023");
        assert_eq!(event.context.effective_from, d("2023-01-01"));
        assert_eq!(event.context.reason, "revision a2023");
        assert_eq!(event.context.actor, "editor:test");
    }

    // Once recorded, the field is unknown from the effective date on, known before.
    let mut registry = registry;
    registry.record(&unknown).unwrap();
    let i1 = |valid_at| registry.state(Some(valid_at), None).items[&iid("i1")].clone();
    assert_eq!(i1("2023-01-01").fields.service_content, Known::Unknown);
    assert_eq!(i1("2023-01-01").last_changed_by.as_str(), "a2023");
    assert_eq!(i1("2022-12-31").fields.service_content, known("i1 content"));
}

/// `before` of a second amendment of one field in one document is the first one's `after`.
#[test]
fn second_amendment_in_one_document_sees_the_first() {
    let events = given(&[national_2021()])
        .when(&adjustment(
            "a2023",
            "2023-01-01",
            vec![amend_content("i1", "x"), amend_content("i1", "y")],
        ))
        .unwrap();
    let befores: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.event {
            Event::ItemAmended { changes, .. } => Some(changes[0].clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        befores,
        vec![
            FieldChange::ServiceContent {
                before: known("i1 content"),
                after: known("x"),
            },
            FieldChange::ServiceContent {
                before: known("x"),
                after: known("y"),
            },
        ]
    );
}

#[test]
fn merges_and_splits() {
    run(vec![
        row(
            "a merge needs two sources",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![merge_into(&["i1"], "i1")]),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::Rejected(Violation::LineageTooShort {
                        operation: "merge",
                        count: 1
                    })
                )
            }),
        ),
        row(
            "a merge names each source once",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![merge_into(&["i1", "i2", "i1"], "i1")],
            ),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::LineageRepeats(i)) if i.as_str() == "i1"),
            ),
        ),
        row(
            "a merge of an unknown source",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![merge_into(&["i1", "i9"], "i1")]),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::UnknownItem(i)) if i.as_str() == "i9"),
            ),
        ),
        row(
            "a merge of a retired source",
            vec![
                national_2021(),
                adjustment("a2022", "2022-01-01", vec![retire("i2")]),
            ],
            adjustment("a2023", "2023-01-01", vec![merge_into(&["i1", "i2"], "i1")]),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::ItemRetired(i)) if i.as_str() == "i2"),
            ),
        ),
        row(
            "a merge into a new item introduces it first",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![merge_new(&["i1", "i2"], item("i5", "c1", 5))],
            ),
            Then::Types(&[PUBLISHED, "item_introduced", "items_merged"]),
        ),
        row(
            "an existing source absorbs the others",
            vec![national_2021()],
            adjustment("a2023", "2023-01-01", vec![merge_into(&["i1", "i2"], "i1")]),
            Then::Types(&[PUBLISHED, "items_merged"]),
        ),
        row(
            "a split needs two parts",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![split("i1", vec![item("i5", "c1", 5)])],
            ),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::Rejected(Violation::LineageTooShort {
                        operation: "split",
                        count: 1
                    })
                )
            }),
        ),
        row(
            "a split cannot have the source as a part",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![split("i1", vec![item("i1", "c1", 5), item("i6", "c1", 6)])],
            ),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::LineageRepeats(i)) if i.as_str() == "i1"),
            ),
        ),
        row(
            "a split of an unknown item",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![split("i9", vec![item("i5", "c1", 5), item("i6", "c1", 6)])],
            ),
            Then::Error(
                |e| matches!(e, DomainError::Rejected(Violation::UnknownItem(i)) if i.as_str() == "i9"),
            ),
        ),
        row(
            "a split introduces its parts, then splits",
            vec![national_2021()],
            adjustment(
                "a2023",
                "2023-01-01",
                vec![split("i1", vec![item("i5", "c1", 5), item("i6", "c1", 6)])],
            ),
            Then::Types(&[
                PUBLISHED,
                "item_introduced",
                "item_introduced",
                "item_split",
            ]),
        ),
    ]);
}

fn ids(list: &[&str]) -> Vec<ItemId> {
    list.iter().map(|id| iid(id)).collect()
}

#[test]
fn merge_into_new_item_keeps_lineage() {
    let mut registry = given(&[national_2021()]);
    registry
        .record(&adjustment(
            "a2023",
            "2023-01-01",
            vec![merge_new(&["i1", "i2"], item("i5", "c1", 5))],
        ))
        .unwrap();
    let after = registry.state(Some("2023-01-01"), None);
    let i5 = &after.items[&iid("i5")];
    assert_eq!(i5.lineage.predecessors, ids(&["i1", "i2"]));
    assert!(i5.lineage.successors.is_empty());
    assert_eq!(i5.status, Status::Active);
    assert_eq!(i5.introduced_by.as_str(), "a2023");
    for source in ["i1", "i2"] {
        let source = &after.items[&iid(source)];
        assert_eq!(source.status, Status::Retired);
        assert_eq!(source.lineage.successors, ids(&["i5"]));
        assert_eq!(source.last_changed_by.as_str(), "a2023");
    }
    // The day before, nothing of it.
    let before = registry.state(Some("2022-12-31"), None);
    assert!(!before.items.contains_key(&iid("i5")));
    assert!(before.items[&iid("i1")].is_active());
}

#[test]
fn merge_into_existing_source_keeps_it_active() {
    let mut registry = given(&[national_2021()]);
    registry
        .record(&adjustment(
            "a2023",
            "2023-01-01",
            vec![merge_into(&["i1", "i2"], "i1")],
        ))
        .unwrap();
    let state = registry.state(None, None);
    let i1 = &state.items[&iid("i1")];
    assert!(i1.is_active());
    assert_eq!(i1.lineage.predecessors, ids(&["i2"]));
    assert!(i1.lineage.successors.is_empty());
    let i2 = &state.items[&iid("i2")];
    assert!(!i2.is_active());
    assert_eq!(i2.lineage.successors, ids(&["i1"]));
    // The absorbed item's number is free again.
    registry
        .record(&adjustment(
            "a2024",
            "2024-01-01",
            vec![introduce(item("i9", "c1", 2))],
        ))
        .unwrap();
}

#[test]
fn split_keeps_lineage() {
    let mut registry = given(&[national_2021()]);
    registry
        .record(&adjustment(
            "a2023",
            "2023-01-01",
            vec![split("i1", vec![item("i5", "c1", 5), item("i6", "c2", 6)])],
        ))
        .unwrap();
    let state = registry.state(None, None);
    let i1 = &state.items[&iid("i1")];
    assert_eq!(i1.status, Status::Retired);
    assert_eq!(i1.lineage.successors, ids(&["i5", "i6"]));
    for part in ["i5", "i6"] {
        let part = &state.items[&iid(part)];
        assert!(part.is_active());
        assert_eq!(part.lineage.predecessors, ids(&["i1"]));
    }
    // A retired item cannot be split again.
    let again = registry.when(&adjustment(
        "a2024",
        "2024-01-01",
        vec![split("i1", vec![item("i7", "c1", 7), item("i8", "c1", 8)])],
    ));
    assert!(
        matches!(&again, Err(DomainError::Rejected(Violation::ItemRetired(i))) if i.as_str() == "i1"),
        "{again:?}"
    );
}

/// Anything effective before the standard exists is the new revision's fault, not a
/// later event's: the error is `Rejected(StandardNotEstablished(date))`, whatever
/// the change. (`BreaksLaterEvent` is for an event already on record that a new
/// one makes impossible; see `an_earlier_edition_recorded_late_breaks_the_later_one`.)
#[test]
fn effective_before_the_standard_exists() {
    fn not_established(e: &DomainError) -> bool {
        matches!(
            e,
            DomainError::Rejected(Violation::StandardNotEstablished(date))
                if *date == d("2020-01-01")
        )
    }
    run(vec![
        row(
            "retiring an item before the standard exists",
            vec![national_2021()],
            adjustment("a2020", "2020-01-01", vec![retire("i1")]),
            Then::Error(not_established),
        ),
        row(
            "amending an item before the standard exists",
            vec![national_2021()],
            adjustment("a2020", "2020-01-01", vec![amend_content("i1", "x")]),
            Then::Error(not_established),
        ),
        row(
            "introducing an item before the standard exists",
            vec![national_2021()],
            adjustment("a2020", "2020-01-01", vec![introduce(item("i9", "c1", 9))]),
            Then::Error(not_established),
        ),
        row(
            "a correction effective before the standard exists",
            vec![national_2021()],
            correction("k1", "n2021", "2020-01-01", vec![amend_content("i1", "x")]),
            Then::Error(not_established),
        ),
        row(
            "a correction effective the day the standard is established",
            vec![national_2021()],
            correction("k1", "n2021", "2021-04-01", vec![amend_content("i1", "x")]),
            Then::Types(&[PUBLISHED, "item_amended"]),
        ),
    ]);
}

/// An earlier edition recorded after a later one defines again what the later
/// one defined: the later edition's first definition is named.
#[test]
fn an_earlier_edition_recorded_late_breaks_the_later_one() {
    let registry = given(&[national_2021()]);
    let error = registry
        .when(&comprehensive("n2016", "2016-01-01", standard_2021()))
        .unwrap_err();
    let first_definition = &registry.events_of("n2021")[1];
    assert!(
        matches!(
            &error,
            DomainError::BreaksLaterEvent {
                event_id,
                event_type: "aspect_defined",
                revision,
                violation: Violation::AspectExists(a),
                ..
            } if *event_id == first_definition.event_id
                && revision.as_str() == "n2021"
                && a.as_str() == "a1"
        ),
        "{error:?}"
    );
}

#[test]
fn withdrawals() {
    run(vec![
        row(
            "a future revision can be withdrawn",
            vec![national_2021(), adjustment_2026()],
            withdrawal("w1", "a2026", "2025-06-01"),
            Then::Types(&[PUBLISHED, "revision_withdrawn"]),
        ),
        row(
            "a revision in force cannot be withdrawn",
            vec![national_2021(), adjustment_2023()],
            withdrawal("w1", "a2023", "2025-06-01"),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::AlreadyInForce { revision, effective_from }
                        if revision.as_str() == "a2023" && *effective_from == d("2023-01-01")
                )
            }),
        ),
        row(
            "a revision taking effect today is in force",
            vec![
                national_2021(),
                adjustment("a2025", "2025-06-01", vec![retire("i4")]),
            ],
            withdrawal("w1", "a2025", "2025-06-01"),
            Then::Error(
                |e| matches!(e, DomainError::AlreadyInForce { revision, .. } if revision.as_str() == "a2025"),
            ),
        ),
        row(
            "a revision taking effect tomorrow can be withdrawn",
            vec![
                national_2021(),
                adjustment("a2025", "2025-06-02", vec![retire("i4")]),
            ],
            withdrawal("w1", "a2025", "2025-06-01"),
            Then::Types(&[PUBLISHED, "revision_withdrawn"]),
        ),
        row(
            "a revision is withdrawn once",
            vec![
                national_2021(),
                adjustment_2026(),
                withdrawal("w1", "a2026", "2025-06-01"),
            ],
            withdrawal("w2", "a2026", "2025-06-01"),
            Then::Error(
                |e| matches!(e, DomainError::RevisionWithdrawn(r) if r.as_str() == "a2026"),
            ),
        ),
        row(
            "a withdrawal cannot be withdrawn",
            vec![
                national_2021(),
                adjustment_2026(),
                withdrawal("w1", "a2026", "2026-06-01"),
            ],
            withdrawal("w2", "w1", "2025-06-01"),
            Then::Error(
                |e| matches!(e, DomainError::CannotWithdrawWithdrawal(r) if r.as_str() == "w1"),
            ),
        ),
        row(
            "a withdrawal of an unknown revision",
            vec![national_2021()],
            withdrawal("w1", "nope", "2025-06-01"),
            Then::Error(|e| matches!(e, DomainError::UnknownRevision(r) if r.as_str() == "nope")),
        ),
        row(
            "a withdrawal must name its target",
            vec![national_2021(), adjustment_2026()],
            PublishRevision {
                revision: domain::model::RevisionInfo {
                    target: None,
                    ..withdrawal("w1", "a2026", "2025-06-01").revision
                },
                content: entries(vec![Change::Withdraw]),
            },
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::MissingReference {
                        kind: "withdrawal",
                        field: "target"
                    }
                )
            }),
        ),
        row(
            "a correction of a withdrawn revision",
            vec![
                national_2021(),
                adjustment_2026(),
                withdrawal("w1", "a2026", "2025-06-01"),
            ],
            correction("k1", "a2026", "2026-01-01", vec![amend_content("i2", "x")]),
            Then::Error(
                |e| matches!(e, DomainError::RevisionWithdrawn(r) if r.as_str() == "a2026"),
            ),
        ),
    ]);
}

#[test]
fn withdrawn_revision_leaves_the_fold() {
    let mut registry = given(&[national_2021(), adjustment_2026()]);
    let i1_content = |registry: &common::Registry, known_at| {
        registry.state(Some("2026-06-01"), known_at).items[&iid("i1")]
            .fields
            .service_content
            .clone()
    };
    assert_eq!(i1_content(&registry, None), known("i1 content 2026"));
    registry
        .record(&withdrawal("w1", "a2026", "2025-06-01"))
        .unwrap();
    let state = registry.state(Some("2026-06-01"), None);
    assert_eq!(
        state.items[&iid("i1")].fields.service_content,
        known("i1 content")
    );
    assert_eq!(state.items[&iid("i1")].last_changed_by.as_str(), "n2021");
    assert!(!state.revisions.contains_key(&rid("a2026")));
    assert!(state.revisions.contains_key(&rid("w1")));
    // As known before the withdrawal, the change was to come.
    let before = registry.recorded_at("a2026");
    assert_eq!(
        i1_content(&registry, Some(before)),
        known("i1 content 2026")
    );
    // The revision id stays taken and the revision stays published.
    assert!(
        domain::published_revisions(&registry.events)
            .iter()
            .any(|r| r.id.as_str() == "a2026")
    );
    assert!(domain::withdrawn_revisions(&registry.events).contains(&rid("a2026")));
}

#[test]
fn withdrawal_that_breaks_a_later_revision_names_it() {
    let registry = given(&[
        national_2021(),
        adjustment("a2026", "2026-01-01", vec![introduce(item("i9", "c1", 9))]),
        adjustment("a2027", "2027-01-01", vec![amend_content("i9", "x")]),
    ]);
    let amendment = registry.events_of("a2027")[1];
    assert_eq!(amendment.event.type_name(), "item_amended");
    let error = registry
        .when(&withdrawal("w1", "a2026", "2025-06-01"))
        .unwrap_err();
    assert!(
        matches!(
            &error,
            DomainError::BreaksLaterEvent {
                event_id,
                event_type: "item_amended",
                violation: Violation::UnknownItem(i),
                ..
            } if *event_id == amendment.event_id && i.as_str() == "i9"
        ),
        "{error:?}"
    );
}

/// A locality announces its first standard for next year, then withdraws it.
#[test]
fn the_founding_revision_can_be_withdrawn_before_it_takes_effect() {
    let founding = local_implementation(
        "sc2026",
        "510000",
        Some("n2021"),
        "2026-01-01",
        standard_2021(),
    );
    let mut registry = given(&[founding]);
    let withdrawn = with_jurisdiction(withdrawal("w1", "sc2026", "2025-06-01"), "510000");
    let events = registry.record(&withdrawn).unwrap();
    assert_eq!(
        events
            .iter()
            .map(|e| e.event.type_name())
            .collect::<Vec<_>>(),
        vec![PUBLISHED, "revision_withdrawn"]
    );
    let state = registry.state(Some("2026-06-01"), None);
    assert!(state.items.is_empty());
    assert_eq!(state.established_on, None);
    // A new founding revision can follow.
    let mut again = standard_2021();
    again.items.truncate(2);
    registry
        .record(&local_implementation(
            "sc2026b",
            "510000",
            Some("n2021"),
            "2026-03-01",
            again,
        ))
        .unwrap();
    assert_eq!(registry.state(None, None).items.len(), 2);
}

#[test]
fn corrections() {
    run(vec![
        row(
            "a retroactive amendment",
            vec![national_2021(), adjustment_2023()],
            correction("k1", "n2021", "2021-04-01", vec![amend_content("i2", "x")]),
            Then::Types(&[PUBLISHED, "item_amended"]),
        ),
        row(
            "a correction must name its target",
            vec![national_2021()],
            PublishRevision {
                revision: info("k1", RevisionKind::Correction, "CN", "2021-04-01"),
                content: entries(vec![amend_content("i2", "x")]),
            },
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::MissingReference {
                        kind: "correction",
                        field: "target"
                    }
                )
            }),
        ),
        row(
            "a correction of an unknown revision",
            vec![national_2021()],
            correction("k1", "n2020", "2021-04-01", vec![amend_content("i2", "x")]),
            Then::Error(|e| matches!(e, DomainError::UnknownRevision(r) if r.as_str() == "n2020")),
        ),
        row(
            "a retroactive retirement of an item a later revision amends",
            vec![national_2021(), adjustment_2023()],
            correction("k1", "n2021", "2021-06-01", vec![retire("i1")]),
            Then::Error(|e| {
                matches!(
                    e,
                    DomainError::BreaksLaterEvent {
                        event_type: "item_amended",
                        revision,
                        effective_from,
                        violation: Violation::ItemRetired(i),
                        ..
                    } if revision.as_str() == "a2023"
                        && *effective_from == d("2023-01-01")
                        && i.as_str() == "i1"
                )
            }),
        ),
        row(
            "a retroactive retirement of an item no later revision touches",
            vec![national_2021(), adjustment_2023()],
            correction("k1", "n2021", "2021-06-01", vec![retire("i2")]),
            Then::Types(&[PUBLISHED, "item_retired"]),
        ),
    ]);
}

#[test]
fn breaking_correction_names_the_exact_later_event() {
    let registry = given(&[
        national_2021(),
        adjustment(
            "a2023",
            "2023-01-01",
            vec![amend_content("i2", "y"), amend_content("i1", "x")],
        ),
    ]);
    let amendment_of_i1 = registry
        .events_of("a2023")
        .into_iter()
        .find(|e| matches!(&e.event, Event::ItemAmended { item, .. } if item.as_str() == "i1"))
        .unwrap();
    let error = registry
        .when(&correction("k1", "n2021", "2021-06-01", vec![retire("i1")]))
        .unwrap_err();
    match error {
        DomainError::BreaksLaterEvent {
            event_id,
            event_type,
            revision,
            effective_from,
            violation,
        } => {
            assert_eq!(event_id, amendment_of_i1.event_id);
            assert_eq!(event_type, "item_amended");
            assert_eq!(revision.as_str(), "a2023");
            assert_eq!(effective_from, d("2023-01-01"));
            assert_eq!(violation, Violation::ItemRetired(iid("i1")));
        }
        other => panic!("expected BreaksLaterEvent, got {other:?}"),
    }
}

/// The 2026-like edition restating the 2021 one.
fn standard_2026() -> WholeStandard {
    let mut whole = standard_2021();
    whole.categories[0].name = "c1 renamed".to_owned();
    // i1: content changed; target not on record in this edition (keeps the known text).
    whole.items[0].fields.service_content = known("i1 content 2026");
    whole.items[0].fields.service_target = Known::Unknown;
    // i2: moved to c2 #2.
    whole.items[1].placement = placement("c2", 2);
    // i4: not stated (retired); i5: new.
    whole.items.remove(3);
    whole.items.push(item("i5", "c3", 2));
    whole
}

#[test]
fn restatement_emits_the_differences() {
    let registry = given(&[national_2021()]);
    let events = registry
        .when(&comprehensive("n2026", "2026-01-01", standard_2026()))
        .unwrap();
    assert_eq!(
        types(&events),
        vec![
            PUBLISHED,
            "category_renamed",
            "item_retired",
            "item_moved",
            "item_amended",
            "item_introduced",
        ]
    );
    assert_eq!(
        only(&events, "category_renamed"),
        &Event::CategoryRenamed {
            category: cid("c1"),
            before: "c1 name".to_owned(),
            after: "c1 renamed".to_owned(),
        }
    );
    assert_eq!(
        only(&events, "item_retired"),
        &Event::ItemRetired { item: iid("i4") }
    );
    assert_eq!(
        only(&events, "item_moved"),
        &Event::ItemMoved {
            item: iid("i2"),
            before: placement("c1", 2),
            after: placement("c2", 2),
        }
    );
    assert_eq!(
        only(&events, "item_amended"),
        &Event::ItemAmended {
            item: iid("i1"),
            changes: vec![FieldChange::ServiceContent {
                before: known("i1 content"),
                after: known("i1 content 2026"),
            }],
        }
    );
    let Event::ItemIntroduced { item: introduced } = only(&events, "item_introduced") else {
        unreachable!()
    };
    assert_eq!(introduced.id.as_str(), "i5");

    let mut registry = registry;
    registry
        .record(&comprehensive("n2026", "2026-01-01", standard_2026()))
        .unwrap();
    let state = registry.state(Some("2026-01-01"), None);
    let i1 = &state.items[&iid("i1")];
    assert_eq!(i1.fields.service_target, known("i1 target"));
    assert_eq!(i1.fields.service_content, known("i1 content 2026"));
    assert_eq!(i1.last_changed_by.as_str(), "n2026");
    assert_eq!(state.items[&iid("i2")].placement, placement("c2", 2));
    assert!(!state.items[&iid("i4")].is_active());
    assert_eq!(state.items[&iid("i3")].last_changed_by.as_str(), "n2021");
    assert_eq!(state.categories[&cid("c1")].name, "c1 renamed");
    assert_eq!(
        state.items.values().filter(|i| i.is_active()).count(),
        4,
        "i1, i2, i3, i5"
    );
    // The 2021 edition still stands the day before.
    let before = registry.state(Some("2025-12-31"), None);
    assert!(before.items[&iid("i4")].is_active());
    assert_eq!(before.categories[&cid("c1")].name, "c1 name");
}

#[test]
fn restating_the_same_standard_changes_nothing() {
    let error = given(&[national_2021()])
        .when(&comprehensive("n2026", "2026-01-01", standard_2021()))
        .unwrap_err();
    assert!(matches!(&error, DomainError::NothingChanges(r) if r.as_str() == "n2026"));
}

#[test]
fn restatement_retires_unstated_categories_and_aspects() {
    let mut whole = standard_2021();
    whole.aspects.truncate(1);
    whole.categories.truncate(2);
    whole.items.truncate(3);
    let events = given(&[national_2021()])
        .when(&comprehensive("n2026", "2026-01-01", whole))
        .unwrap();
    assert_eq!(
        types(&events),
        vec![
            PUBLISHED,
            "item_retired",
            "category_retired",
            "aspect_retired"
        ]
    );
}

#[test]
fn restatement_cannot_move_a_category_to_another_aspect() {
    let mut whole = standard_2021();
    whole.categories[2].aspect = aid("a1");
    let error = given(&[national_2021()])
        .when(&comprehensive("n2026", "2026-01-01", whole))
        .unwrap_err();
    assert!(matches!(&error, DomainError::CategoryChangesAspect(c) if c.as_str() == "c3"));
}

/// A new item at the head of a category pushes the others down one number each.
#[test]
fn restatement_can_shift_numbers() {
    let mut whole = standard_2021();
    whole.items[0].placement = placement("c1", 2);
    whole.items[1].placement = placement("c1", 3);
    whole.items.insert(0, item("i0", "c1", 1));
    let mut registry = given(&[national_2021()]);
    registry
        .record(&comprehensive("n2026", "2026-01-01", whole))
        .unwrap();
    let state = registry.state(None, None);
    let number = |id| state.items[&iid(id)].placement.clone();
    assert_eq!(number("i0"), placement("c1", 1));
    assert_eq!(number("i1"), placement("c1", 2));
    assert_eq!(number("i2"), placement("c1", 3));
}

/// Two items exchange their numbers in a new edition.
#[test]
fn restatement_can_swap_numbers() {
    let mut whole = standard_2021();
    whole.items[0].placement = placement("c1", 2);
    whole.items[1].placement = placement("c1", 1);
    let mut registry = given(&[national_2021()]);
    let moves: Vec<(String, Placement)> = registry
        .record(&comprehensive("n2026", "2026-01-01", whole))
        .unwrap()
        .iter()
        .filter_map(|e| match &e.event {
            Event::ItemMoved { item, after, .. } => Some((item.to_string(), after.clone())),
            _ => None,
        })
        .collect();
    // One of the two is parked without a number while the other takes its place.
    let parked = Placement {
        category: Known::Known(cid("c1")),
        number: Known::Unknown,
    };
    assert_eq!(
        moves,
        vec![
            ("i1".to_owned(), parked),
            ("i2".to_owned(), placement("c1", 1)),
            ("i1".to_owned(), placement("c1", 2)),
        ]
    );
    let state = registry.state(None, None);
    assert_eq!(state.items[&iid("i1")].placement, placement("c1", 2));
    assert_eq!(state.items[&iid("i2")].placement, placement("c1", 1));
    // Only the valid day of the new edition matters: the day before is the 2021 numbering.
    let before = registry.state(Some("2025-12-31"), None);
    assert_eq!(before.items[&iid("i1")].placement, placement("c1", 1));
}

/// A second local implementation (for a new national edition) restates the local items.
#[test]
fn local_restatement_keeps_local_items() {
    let mut registry = given(&[local_2022(true)]);
    let mut whole = standard_2021();
    let mut l1 = item("l1", "c3", 2);
    l1.fields.service_content = known("l1 content 2026");
    whole.local_items = vec![local_item(l1, known("assessment 7"))];
    let events = registry
        .record(&local_implementation(
            "sc2026",
            "510000",
            Some("n2026"),
            "2026-06-01",
            whole,
        ))
        .unwrap();
    let types: Vec<_> = events.iter().map(|e| e.event.type_name()).collect();
    assert_eq!(types, vec![PUBLISHED, "item_amended"]);
    let state = registry.state(None, None);
    let l1 = &state.items[&iid("l1")];
    assert!(l1.is_active());
    assert_eq!(l1.fields.service_content, known("l1 content 2026"));
    assert_eq!(l1.beyond_national_scope, Some(known("assessment 7")));
}

#[test]
fn events_carry_the_entry_reason() {
    let mut command = adjustment("a2023", "2023-01-01", vec![retire("i4")]);
    if let RevisionContent::Changes(changes) = &mut command.content {
        changes[0].reason = Some("merged into another programme".to_owned());
    }
    let events: Vec<NewDomainEvent> = given(&[national_2021()]).when(&command).unwrap();
    assert_eq!(events[0].context.reason, "revision a2023");
    assert_eq!(events[1].context.reason, "merged into another programme");
}

#[test]
fn identifiers_are_checked() {
    assert!(Jurisdiction::parse("CN").unwrap().is_national());
    assert_eq!(Jurisdiction::parse(" 510100 ").unwrap().as_str(), "510100");
    for bad in ["cn", "51010", "5101000", "010100", "51a100", ""] {
        assert!(
            matches!(
                Jurisdiction::parse(bad),
                Err(DomainError::InvalidJurisdiction(_))
            ),
            "{bad}"
        );
    }
    assert_eq!(
        Jurisdiction::parse("510104")
            .unwrap()
            .ancestors()
            .iter()
            .map(|j| j.as_str().to_owned())
            .collect::<Vec<_>>(),
        vec!["CN", "510000", "510100"]
    );
    assert_eq!(
        Jurisdiction::parse("510000").unwrap().ancestors(),
        vec![Jurisdiction::national()]
    );
    assert!(ItemId::parse("ii.3-a_b").is_ok());
    for bad in ["", "a b", "项目", &"x".repeat(65)] {
        assert!(
            matches!(
                ItemId::parse(bad),
                Err(DomainError::InvalidId {
                    kind: "item id",
                    ..
                })
            ),
            "{bad}"
        );
    }
}

/// A whole standard restated as changes: nothing when it is the standard as
/// it stands; otherwise the changes a whole revision would decide, which a
/// correction of them then records as the same events.
#[test]
fn restating_changes_are_what_a_whole_revision_decides() {
    let registry = given(&[national_2021()]);
    let mut changed = standard_2021();
    changed.items[0].fields.service_target = known("城乡居民。");
    changed.items.remove(3);
    changed.items.push(item("i5", "c3", 1));
    let cases: [(&str, WholeStandard, &[&str]); 2] = [
        ("restated as it is", standard_2021(), &[]),
        (
            "an amendment, a retirement and a new item",
            changed,
            &["retire_item", "amend_item", "introduce_item"],
        ),
    ];
    for (name, whole, expected) in cases {
        let changes = domain::restating_changes(&registry.events, d("2021-04-01"), &whole).unwrap();
        let ops: Vec<&str> = changes.iter().map(Change::op_name).collect();
        assert_eq!(ops, expected, "{name}");
        if changes.is_empty() {
            continue;
        }
        let as_whole = registry
            .when(&comprehensive("n2021-again", "2021-04-01", whole))
            .unwrap();
        let as_changes = registry
            .when(&correction("n2021-c", "n2021", "2021-04-01", changes))
            .unwrap();
        let events = |e: &[NewDomainEvent]| -> Vec<Event> {
            e.iter().skip(1).map(|e| e.event.clone()).collect()
        };
        assert_eq!(events(&as_changes), events(&as_whole), "{name}");
    }
}
