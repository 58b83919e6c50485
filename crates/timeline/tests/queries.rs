//! History, lineage, diff, retroactive corrections, pending and withdrawn revisions,
//! on one national standard recorded through `decide`.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Duration, Utc};
use domain::command::{Change, FieldUpdates, WholeStandard};
use domain::event::FieldChange;
use domain::ids::RevisionId;
use domain::model::{Known, ServiceStandard};
use domain::state::{Snapshot, Status};
use timeline::{
    Diff, HistoryEntry, ItemChange, ItemDiff, LineageLink, LineageRelation, StandardTimeline,
    StructureChange, Timeline,
};

use common::*;

/// Record times of the appends, in order.
const RECORDED: [&str; 8] = [
    "2025-01-10T10:00:00Z", // r2021: the founding edition, effective 2021-04-01
    "2025-02-01T10:00:00Z", // r2022: renumber i2, move i3, amend i1; effective 2022-01-01
    "2025-03-01T10:00:00Z", // c2021: corrects the name of i4 back to 2021-04-01
    "2025-04-01T10:00:00Z", // r2023: merge i4+i5 into i6, split i1, rename c2; effective 2023-01-01
    "2025-05-01T10:00:00Z", // r2024: split i6, retire i3, introduce i9, retire c2; effective 2024-01-01
    "2025-05-10T10:00:00Z", // r2026: renames i2 from 2026-01-01 (future-dated)
    "2025-05-20T10:00:00Z", // r2027: new content for i2 from 2027-01-01 (future-dated)
    "2025-06-01T12:00:00Z", // w2027: withdraws r2027 before it takes effect
];

fn at(n: usize) -> DateTime<Utc> {
    ts(RECORDED[n])
}

fn just_before(n: usize) -> Option<DateTime<Utc>> {
    Some(at(n) - Duration::microseconds(1))
}

fn founding_standard() -> WholeStandard {
    WholeStandard {
        aspects: vec![aspect("a1", 1), aspect("a2", 2)],
        categories: vec![
            category("c1", "a1", 1),
            category("c2", "a1", 2),
            category("c3", "a2", 3),
        ],
        items: vec![
            item("i1", "c1", 1),
            item("i2", "c1", 2),
            item("i3", "c2", 1),
            item("i4", "c2", 2),
            item("i5", "c3", 1),
        ],
        local_items: Vec::new(),
    }
}

fn standard_200() -> ServiceStandard {
    ServiceStandard {
        text: "no less than 200 yuan per person per month"
            .to_owned()
            .into(),
        levels: [].into(),
    }
}

fn registry() -> (Log, StandardTimeline) {
    let today = d("2025-06-01");
    let mut log = Log::new();
    let mut founding = comprehensive("r2021", d("2021-04-01"), founding_standard());
    founding.revision.declared_item_count = Some(5);
    let mut r2023 = adjustment(
        "r2023",
        d("2023-01-01"),
        vec![
            merge_new(&["i4", "i5"], item("i6", "c3", 3)),
            split("i1", vec![item("i1a", "c1", 4), item("i1b", "c1", 5)]),
            Change::RenameCategory {
                category: cid("c2"),
                name: "c2 renamed".to_owned(),
            },
        ],
    );
    r2023.revision.declared_item_count = Some(4);
    let commands = [
        (founding, "editor:ndrc"),
        (
            adjustment(
                "r2022",
                d("2022-01-01"),
                vec![
                    amend(
                        "i1",
                        FieldUpdates {
                            service_standard: Some(Known::Known(standard_200())),
                            lead_units: Some(Known::Known(["MCA".to_owned().into()].into())),
                            ..FieldUpdates::default()
                        },
                    ),
                    move_to("i2", "c1", 3),
                    move_to("i3", "c3", 2),
                ],
            ),
            "editor:mca",
        ),
        (
            correction(
                "c2021",
                "r2021",
                d("2021-04-01"),
                vec![amend(
                    "i4",
                    FieldUpdates {
                        name: Some(known("i4 corrected name")),
                        ..FieldUpdates::default()
                    },
                )],
            ),
            "editor:audit",
        ),
        (r2023, "editor:ndrc"),
        (
            adjustment(
                "r2024",
                d("2024-01-01"),
                vec![
                    split("i6", vec![item("i7", "c3", 4), item("i8", "c3", 5)]),
                    retire("i3"),
                    introduce(item("i9", "c1", 6)),
                    Change::RetireCategory {
                        category: cid("c2"),
                    },
                ],
            ),
            "editor:ndrc",
        ),
        (
            adjustment(
                "r2026",
                d("2026-01-01"),
                vec![amend(
                    "i2",
                    FieldUpdates {
                        name: Some(known("i2 new name")),
                        ..FieldUpdates::default()
                    },
                )],
            ),
            "editor:mca",
        ),
        (
            adjustment(
                "r2027",
                d("2027-01-01"),
                vec![amend(
                    "i2",
                    FieldUpdates {
                        service_content: Some(known("i2 content 2027")),
                        ..FieldUpdates::default()
                    },
                )],
            ),
            "editor:mca",
        ),
        (withdrawal("w2027", "r2027", d("2025-06-01")), "editor:ndrc"),
    ];
    let mut registry = Timeline::new();
    for (n, (command, actor)) in commands.iter().enumerate() {
        let batch = log
            .publish(command, actor, today, at(n))
            .unwrap_or_else(|e| panic!("{}: {e}", command.revision.id))
            .to_vec();
        registry.ingest(&cn(), batch);
    }
    let index = registry.standard(&cn()).unwrap().clone();
    assert!(index.inconsistencies().is_empty());
    (log, index)
}

fn snapshot_at(index: &StandardTimeline, valid: &str, known: Option<DateTime<Utc>>) -> Snapshot {
    index.edition(d(valid), known).snapshot().unwrap().clone()
}

/// What introducing `item(id, ..)` changes, field by field, from nothing on record.
fn introduced_fields(id: &str) -> Vec<FieldChange> {
    vec![
        FieldChange::Name {
            before: Known::Unknown,
            after: known(&format!("{id} name")),
        },
        FieldChange::ServiceTarget {
            before: Known::Unknown,
            after: known(&format!("{id} target")),
        },
        FieldChange::ServiceContent {
            before: Known::Unknown,
            after: known(&format!("{id} content")),
        },
        FieldChange::ExpenditureResponsibility {
            before: Known::Unknown,
            after: known(&format!("{id} expenditure")),
        },
        FieldChange::LeadUnits {
            before: Known::Unknown,
            after: Known::Known([format!("{id} unit").into()].into()),
        },
    ]
}

/// An entry as (event type, revision, effective date, actor, recorded at, field changes, placement, retired).
type EntrySummary = (
    &'static str,
    String,
    String,
    String,
    DateTime<Utc>,
    Vec<FieldChange>,
    Option<(domain::model::Placement, domain::model::Placement)>,
    bool,
);

fn summary(entry: &HistoryEntry) -> EntrySummary {
    (
        entry.event.event.type_name(),
        entry.event.context.revision.to_string(),
        entry.event.context.effective_from.to_string(),
        entry.event.context.actor.to_string(),
        entry.event.recorded_at,
        entry.changes.clone(),
        entry.placement.clone(),
        entry.retired,
    )
}

#[allow(clippy::too_many_arguments)]
fn expect(
    event: &'static str,
    revision: &str,
    effective: &str,
    actor: &str,
    recorded: usize,
    changes: Vec<FieldChange>,
    placement: Option<(domain::model::Placement, domain::model::Placement)>,
    retired: bool,
) -> EntrySummary {
    (
        event,
        revision.to_owned(),
        effective.to_owned(),
        actor.to_owned(),
        at(recorded),
        changes,
        placement,
        retired,
    )
}

fn link(
    relation: LineageRelation,
    item: &str,
    depth: u32,
    event_type: &'static str,
    revision: &str,
) -> LineageLink {
    LineageLink {
        relation,
        item: iid(item),
        depth,
        event_type,
        revision: rid(revision),
    }
}

#[test]
fn history_of_a_renumbered_item_lists_every_change_with_actor_and_revision() {
    let (_, index) = registry();
    let history = index.history(&iid("i2"), None).unwrap();
    let entries: Vec<EntrySummary> = history.entries.iter().map(summary).collect();
    assert_eq!(
        entries,
        vec![
            expect(
                "item_introduced",
                "r2021",
                "2021-04-01",
                "editor:ndrc",
                0,
                introduced_fields("i2"),
                None,
                false
            ),
            expect(
                "item_moved",
                "r2022",
                "2022-01-01",
                "editor:mca",
                1,
                Vec::new(),
                Some((placement("c1", 2), placement("c1", 3))),
                false
            ),
            expect(
                "item_amended",
                "r2026",
                "2026-01-01",
                "editor:mca",
                5,
                vec![FieldChange::Name {
                    before: known("i2 name"),
                    after: known("i2 new name"),
                }],
                None,
                false
            ),
        ]
    );
    let latest = history.latest.unwrap();
    assert_eq!(latest.name, known("i2 new name"));
    assert_eq!(latest.placement, placement("c1", 3));
    assert_eq!(latest.last_changed_by, rid("r2026"));
    assert_eq!(latest.introduced_by, rid("r2021"));
    assert!(history.lineage.is_empty());

    // Before the withdrawal the cancelled revision's change is part of the history.
    let before_withdrawal = index.history(&iid("i2"), just_before(7)).unwrap();
    let last = summary(before_withdrawal.entries.last().unwrap());
    assert_eq!(
        last,
        expect(
            "item_amended",
            "r2027",
            "2027-01-01",
            "editor:mca",
            6,
            vec![FieldChange::ServiceContent {
                before: known("i2 content"),
                after: known("i2 content 2027"),
            }],
            None,
            false
        )
    );
    assert_eq!(before_withdrawal.entries.len(), 4);
    assert_eq!(
        before_withdrawal.latest.unwrap().fields.service_content,
        known("i2 content 2027")
    );
}

#[test]
fn history_of_a_moved_item_ends_with_its_retirement() {
    let (_, index) = registry();
    let history = index.history(&iid("i3"), None).unwrap();
    let entries: Vec<EntrySummary> = history.entries.iter().map(summary).collect();
    assert_eq!(
        entries,
        vec![
            expect(
                "item_introduced",
                "r2021",
                "2021-04-01",
                "editor:ndrc",
                0,
                introduced_fields("i3"),
                None,
                false
            ),
            expect(
                "item_moved",
                "r2022",
                "2022-01-01",
                "editor:mca",
                1,
                Vec::new(),
                Some((placement("c2", 1), placement("c3", 2))),
                false
            ),
            expect(
                "item_retired",
                "r2024",
                "2024-01-01",
                "editor:ndrc",
                4,
                Vec::new(),
                None,
                true
            ),
        ]
    );
    assert_eq!(history.latest.unwrap().status, Status::Retired);
    assert_eq!(index.history(&iid("nope"), None), None);
    // Not yet introduced as the registry stood before anything was recorded.
    assert_eq!(index.history(&iid("i3"), just_before(0)), None);
}

#[test]
fn history_of_a_merged_item_shows_the_correction_only_once_it_was_recorded() {
    let (_, index) = registry();
    let corrected = expect(
        "item_amended",
        "c2021",
        "2021-04-01",
        "editor:audit",
        2,
        vec![FieldChange::Name {
            before: known("i4 name"),
            after: known("i4 corrected name"),
        }],
        None,
        false,
    );
    let merged = expect(
        "items_merged",
        "r2023",
        "2023-01-01",
        "editor:ndrc",
        3,
        Vec::new(),
        None,
        true,
    );
    let introduced = expect(
        "item_introduced",
        "r2021",
        "2021-04-01",
        "editor:ndrc",
        0,
        introduced_fields("i4"),
        None,
        false,
    );
    let now: Vec<EntrySummary> = index
        .history(&iid("i4"), None)
        .unwrap()
        .entries
        .iter()
        .map(summary)
        .collect();
    assert_eq!(now, vec![introduced.clone(), corrected, merged]);

    let before: Vec<EntrySummary> = index
        .history(&iid("i4"), just_before(2))
        .unwrap()
        .entries
        .iter()
        .map(summary)
        .collect();
    assert_eq!(before, vec![introduced]);

    let i4 = index.history(&iid("i4"), None).unwrap();
    assert_eq!(
        i4.lineage,
        vec![
            link(LineageRelation::Successor, "i6", 1, "items_merged", "r2023"),
            link(LineageRelation::Successor, "i7", 2, "item_split", "r2024"),
            link(LineageRelation::Successor, "i8", 2, "item_split", "r2024"),
        ]
    );
    let latest = i4.latest.unwrap();
    assert_eq!(latest.status, Status::Retired);
    assert_eq!(latest.lineage.successors, vec![iid("i6")]);
    assert_eq!(latest.name, known("i4 corrected name"));
}

#[test]
fn lineage_walks_merges_and_splits_in_both_directions_with_depth() {
    let (_, index) = registry();
    let i7 = index.history(&iid("i7"), None).unwrap();
    assert_eq!(
        i7.lineage,
        vec![
            link(LineageRelation::Predecessor, "i6", 1, "item_split", "r2024"),
            link(
                LineageRelation::Predecessor,
                "i4",
                2,
                "items_merged",
                "r2023"
            ),
            link(
                LineageRelation::Predecessor,
                "i5",
                2,
                "items_merged",
                "r2023"
            ),
        ]
    );

    let i6 = index.history(&iid("i6"), None).unwrap();
    assert_eq!(
        i6.lineage,
        vec![
            link(
                LineageRelation::Predecessor,
                "i4",
                1,
                "items_merged",
                "r2023"
            ),
            link(
                LineageRelation::Predecessor,
                "i5",
                1,
                "items_merged",
                "r2023"
            ),
            link(LineageRelation::Successor, "i7", 1, "item_split", "r2024"),
            link(LineageRelation::Successor, "i8", 1, "item_split", "r2024"),
        ]
    );
    let entries: Vec<EntrySummary> = i6.entries.iter().map(summary).collect();
    assert_eq!(
        entries,
        vec![
            expect(
                "item_introduced",
                "r2023",
                "2023-01-01",
                "editor:ndrc",
                3,
                introduced_fields("i6"),
                None,
                false
            ),
            expect(
                "items_merged",
                "r2023",
                "2023-01-01",
                "editor:ndrc",
                3,
                Vec::new(),
                None,
                false
            ),
            expect(
                "item_split",
                "r2024",
                "2024-01-01",
                "editor:ndrc",
                4,
                Vec::new(),
                None,
                true
            ),
        ]
    );
    let latest = i6.latest.unwrap();
    assert_eq!(latest.lineage.predecessors, vec![iid("i4"), iid("i5")]);
    assert_eq!(latest.lineage.successors, vec![iid("i7"), iid("i8")]);

    let i1a = index.history(&iid("i1a"), None).unwrap();
    assert_eq!(
        i1a.lineage,
        vec![link(
            LineageRelation::Predecessor,
            "i1",
            1,
            "item_split",
            "r2023"
        )]
    );
    let i1 = index.history(&iid("i1"), None).unwrap();
    assert_eq!(
        i1.lineage,
        vec![
            link(LineageRelation::Successor, "i1a", 1, "item_split", "r2023"),
            link(LineageRelation::Successor, "i1b", 1, "item_split", "r2023"),
        ]
    );

    // Before the merge was recorded, i4 has no lineage and i6 no history.
    assert!(
        index
            .history(&iid("i4"), just_before(3))
            .unwrap()
            .lineage
            .is_empty()
    );
    assert_eq!(index.history(&iid("i6"), just_before(3)), None);
}

fn item_diff(
    id: &str,
    change: ItemChange,
    fields: Vec<FieldChange>,
    placement: Option<(domain::model::Placement, domain::model::Placement)>,
) -> ItemDiff {
    ItemDiff {
        item: iid(id),
        change,
        fields,
        placement,
    }
}

#[test]
fn diff_shows_amendments_renumbering_and_moves() {
    let (_, index) = registry();
    let from = snapshot_at(&index, "2021-06-01", None);
    let to = snapshot_at(&index, "2022-06-01", None);
    let diff = Diff::between(Some(&from), Some(&to));
    assert_eq!(
        diff,
        Diff {
            items: vec![
                item_diff(
                    "i1",
                    ItemChange::Changed,
                    vec![
                        FieldChange::ServiceStandard {
                            before: Known::Unknown,
                            after: Known::Known(standard_200()),
                        },
                        FieldChange::LeadUnits {
                            before: Known::Known(["i1 unit".to_owned().into()].into()),
                            after: Known::Known(["MCA".to_owned().into()].into()),
                        },
                    ],
                    None
                ),
                item_diff(
                    "i2",
                    ItemChange::Changed,
                    Vec::new(),
                    Some((placement("c1", 2), placement("c1", 3)))
                ),
                item_diff(
                    "i3",
                    ItemChange::Changed,
                    Vec::new(),
                    Some((placement("c2", 1), placement("c3", 2)))
                ),
            ],
            structure: Vec::new(),
            declared_item_count: None,
        }
    );
    assert!(Diff::between(Some(&to), Some(&to)).is_empty());
}

#[test]
fn diff_shows_merges_splits_renames_and_the_declared_count() {
    let (_, index) = registry();
    let from = snapshot_at(&index, "2022-06-01", None);
    let to = snapshot_at(&index, "2023-06-01", None);
    let diff = Diff::between(Some(&from), Some(&to));
    assert_eq!(
        diff,
        Diff {
            items: vec![
                item_diff(
                    "i1",
                    ItemChange::SplitInto(vec![iid("i1a"), iid("i1b")]),
                    Vec::new(),
                    None
                ),
                item_diff(
                    "i1a",
                    ItemChange::SplitFrom(iid("i1")),
                    introduced_fields("i1a"),
                    None
                ),
                item_diff(
                    "i1b",
                    ItemChange::SplitFrom(iid("i1")),
                    introduced_fields("i1b"),
                    None
                ),
                item_diff("i4", ItemChange::MergedInto(iid("i6")), Vec::new(), None),
                item_diff("i5", ItemChange::MergedInto(iid("i6")), Vec::new(), None),
                item_diff(
                    "i6",
                    ItemChange::MergedFrom(vec![iid("i4"), iid("i5")]),
                    introduced_fields("i6"),
                    None
                ),
            ],
            structure: vec![StructureChange::CategoryRenamed {
                category: cid("c2"),
                before: "c2 name".to_owned(),
                after: "c2 renamed".to_owned(),
            }],
            declared_item_count: Some((Some(5), Some(4))),
        }
    );
}

#[test]
fn diff_shows_added_and_retired_items_and_retired_categories() {
    let (_, index) = registry();
    let from = snapshot_at(&index, "2023-06-01", None);
    let to = snapshot_at(&index, "2024-06-01", None);
    assert_eq!(
        Diff::between(Some(&from), Some(&to)),
        Diff {
            items: vec![
                item_diff("i3", ItemChange::Retired, Vec::new(), None),
                item_diff(
                    "i6",
                    ItemChange::SplitInto(vec![iid("i7"), iid("i8")]),
                    Vec::new(),
                    None
                ),
                item_diff(
                    "i7",
                    ItemChange::SplitFrom(iid("i6")),
                    introduced_fields("i7"),
                    None
                ),
                item_diff(
                    "i8",
                    ItemChange::SplitFrom(iid("i6")),
                    introduced_fields("i8"),
                    None
                ),
                item_diff("i9", ItemChange::Added, introduced_fields("i9"), None),
            ],
            structure: vec![StructureChange::CategoryRetired(cid("c2"))],
            declared_item_count: None,
        }
    );
}

#[test]
fn diff_to_nothing_retires_only_what_was_active() {
    let (_, index) = registry();
    let last = snapshot_at(&index, "2024-06-01", None);
    let diff = Diff::between(Some(&last), None);
    let retired: Vec<ItemDiff> = ["i1a", "i1b", "i2", "i7", "i8", "i9"]
        .iter()
        .map(|id| item_diff(id, ItemChange::Retired, Vec::new(), None))
        .collect();
    assert_eq!(diff.items, retired);
    // c2 was retired in 2024 already: it is not retired again.
    assert_eq!(
        diff.structure,
        vec![
            StructureChange::AspectRetired(aid("a1")),
            StructureChange::AspectRetired(aid("a2")),
            StructureChange::CategoryRetired(cid("c1")),
            StructureChange::CategoryRetired(cid("c3")),
        ]
    );
    assert_eq!(diff.declared_item_count, Some((Some(4), None)));

    // And from nothing, everything active is added.
    let first = snapshot_at(&index, "2021-04-01", None);
    let diff = Diff::between(None, Some(&first));
    assert_eq!(
        diff.structure,
        vec![
            StructureChange::AspectAdded(aid("a1")),
            StructureChange::AspectAdded(aid("a2")),
            StructureChange::CategoryAdded(cid("c1")),
            StructureChange::CategoryAdded(cid("c2")),
            StructureChange::CategoryAdded(cid("c3")),
        ]
    );
    let added: Vec<ItemDiff> = ["i1", "i2", "i3", "i4", "i5"]
        .iter()
        .map(|id| {
            let mut fields = introduced_fields(id);
            if *id == "i4" {
                fields[0] = FieldChange::Name {
                    before: Known::Unknown,
                    after: known("i4 corrected name"),
                };
            }
            item_diff(id, ItemChange::Added, fields, None)
        })
        .collect();
    assert_eq!(diff.items, added);
    assert_eq!(diff.declared_item_count, Some((None, Some(5))));
}

#[test]
fn a_retroactive_correction_changes_the_past_only_as_known_after_it() {
    let (_, index) = registry();
    let name_at = |known_at: Option<DateTime<Utc>>| {
        snapshot_at(&index, "2022-06-01", known_at).items[&iid("i4")]
            .name
            .clone()
    };
    assert_eq!(name_at(just_before(2)), known("i4 name"));
    assert_eq!(name_at(Some(at(1))), known("i4 name"));
    assert_eq!(name_at(Some(at(2))), known("i4 corrected name"));
    assert_eq!(name_at(None), known("i4 corrected name"));

    // Known before the correction, the 2022-06-01 edition is the one r2022 made.
    let before = index.edition(d("2022-06-01"), just_before(2));
    let version = before.version.as_ref().unwrap();
    assert_eq!(version.valid_from, d("2022-01-01"));
    assert_eq!(version.revisions, vec![rid("r2022")].into());
    assert!(!version.snapshot.revisions.contains_key(&rid("c2021")));
    // Known now, the correction is part of every edition from 2021-04-01 on.
    let now = index.edition(d("2022-06-01"), None);
    assert!(
        now.snapshot()
            .unwrap()
            .revisions
            .contains_key(&rid("c2021"))
    );
    assert_eq!(
        index
            .edition(d("2021-04-01"), None)
            .version
            .unwrap()
            .revisions,
        vec![rid("r2021"), rid("c2021")].into()
    );

    let diff = Diff::between(before.snapshot(), now.snapshot());
    assert_eq!(
        diff.items,
        vec![item_diff(
            "i4",
            ItemChange::Changed,
            vec![FieldChange::Name {
                before: known("i4 name"),
                after: known("i4 corrected name"),
            }],
            None
        )]
    );
    assert!(diff.structure.is_empty());

    // Before the standard was established, nothing is in force whatever is known.
    assert!(index.edition(d("2021-03-31"), None).version.is_none());
    assert!(
        index
            .edition(d("2022-06-01"), just_before(0))
            .version
            .is_none()
    );
}

fn ids(records: &[timeline::RevisionRecord]) -> Vec<RevisionId> {
    records.iter().map(|r| r.info.id.clone()).collect()
}

#[test]
fn a_future_dated_adjustment_is_pending_before_its_date_and_in_force_from_it() {
    let (_, index) = registry();
    assert_eq!(
        ids(&index.pending(d("2025-06-01"), None)),
        vec![rid("r2026")]
    );
    assert_eq!(
        ids(&index.pending(d("2025-12-31"), None)),
        vec![rid("r2026")]
    );
    assert_eq!(
        ids(&index.pending(d("2026-01-01"), None)),
        Vec::<RevisionId>::new()
    );
    // Before r2026 was recorded it was not pending.
    assert_eq!(
        ids(&index.pending(d("2025-06-01"), just_before(5))),
        Vec::<RevisionId>::new()
    );
    let pending = &index.pending(d("2025-06-01"), Some(at(5)))[0];
    assert_eq!(pending.info.id, rid("r2026"));
    assert_eq!(pending.recorded_at, at(5));
    assert_eq!(pending.actor, "editor:mca");
    assert_eq!(pending.withdrawn_by, None);

    let name_on = |valid: &str| {
        snapshot_at(&index, valid, None).items[&iid("i2")]
            .name
            .clone()
    };
    assert_eq!(name_on("2025-12-31"), known("i2 name"));
    assert_eq!(name_on("2026-01-01"), known("i2 new name"));
    let edition = index.edition(d("2026-01-01"), None);
    let version = edition.version.unwrap();
    assert_eq!(version.valid_from, d("2026-01-01"));
    assert_eq!(version.revisions, vec![rid("r2026")].into());
    assert!(version.changes_text);
}

#[test]
fn a_withdrawal_hides_a_future_revision_only_as_known_after_it() {
    let (_, index) = registry();
    let content_in_2027 = |known_at: Option<DateTime<Utc>>| {
        snapshot_at(&index, "2027-06-01", known_at).items[&iid("i2")]
            .fields
            .service_content
            .clone()
    };
    assert_eq!(content_in_2027(Some(at(6))), known("i2 content 2027"));
    assert_eq!(content_in_2027(just_before(7)), known("i2 content 2027"));
    assert_eq!(content_in_2027(Some(at(7))), known("i2 content"));
    assert_eq!(content_in_2027(None), known("i2 content"));

    assert_eq!(
        ids(&index.pending(d("2025-06-01"), just_before(7))),
        vec![rid("r2026"), rid("r2027")]
    );
    assert_eq!(
        ids(&index.pending(d("2025-06-01"), None)),
        vec![rid("r2026")]
    );
    // The withdrawal itself is pending until its own date.
    assert_eq!(
        ids(&index.pending(d("2025-05-31"), None)),
        vec![rid("r2026"), rid("w2027")]
    );

    let status = |known_at| -> Vec<(String, Option<RevisionId>)> {
        index
            .revisions(known_at)
            .into_iter()
            .map(|r| (r.info.id.to_string(), r.withdrawn_by))
            .collect()
    };
    let before: Vec<(String, Option<RevisionId>)> = [
        "r2021", "r2022", "c2021", "r2023", "r2024", "r2026", "r2027",
    ]
    .iter()
    .map(|id| (id.to_string(), None))
    .collect();
    assert_eq!(status(just_before(7)), before);
    let mut after = before.clone();
    after[6].1 = Some(rid("w2027"));
    after.push(("w2027".to_owned(), None));
    assert_eq!(status(None), after);

    let dates = |known_at| -> Vec<String> {
        index
            .versions(known_at)
            .iter()
            .map(|v| v.valid_from.to_string())
            .collect()
    };
    assert_eq!(
        dates(just_before(7)),
        [
            "2021-04-01",
            "2022-01-01",
            "2023-01-01",
            "2024-01-01",
            "2026-01-01",
            "2027-01-01"
        ]
    );
    // The withdrawal's own date (2025-06-01) changes no text: not a version.
    assert_eq!(
        dates(None),
        [
            "2021-04-01",
            "2022-01-01",
            "2023-01-01",
            "2024-01-01",
            "2026-01-01"
        ]
    );
    let all: Vec<String> = index
        .all_versions(None)
        .iter()
        .map(|v| v.valid_from.to_string())
        .collect();
    assert_eq!(
        all,
        [
            "2021-04-01",
            "2022-01-01",
            "2023-01-01",
            "2024-01-01",
            "2025-06-01",
            "2026-01-01"
        ]
    );
    let bookkeeping = index.edition(d("2025-06-01"), None).version.unwrap();
    assert!(!bookkeeping.changes_text);
    assert_eq!(bookkeeping.revisions, vec![rid("w2027")].into());
    assert_eq!(
        index
            .edition(d("2027-06-01"), None)
            .version
            .unwrap()
            .valid_from,
        d("2026-01-01")
    );
}

#[test]
fn an_amendment_whose_text_is_not_on_record_shows_in_history_and_diff() {
    let today = d("2025-06-01");
    let mut log = Log::new();
    log.publish(
        &comprehensive("r2021", d("2021-04-01"), founding_standard()),
        "editor:ndrc",
        today,
        at(0),
    )
    .unwrap();
    // i2's service standard is not on record, and the amendment's new text is not either.
    log.publish(
        &adjustment(
            "r2022",
            d("2022-01-01"),
            vec![amend(
                "i2",
                FieldUpdates {
                    service_standard: Some(Known::Unknown),
                    ..FieldUpdates::default()
                },
            )],
        ),
        "editor:mca",
        today,
        at(1),
    )
    .unwrap();
    let mut index = StandardTimeline::new(cn());
    for append in &log.appends {
        index.ingest(append.clone());
    }
    let unknown_to_unknown = vec![FieldChange::ServiceStandard {
        before: Known::Unknown,
        after: Known::Unknown,
    }];
    let history = index.history(&iid("i2"), None).unwrap();
    assert_eq!(history.entries.len(), 2);
    assert_eq!(history.entries[1].changes, unknown_to_unknown);
    assert_eq!(history.entries[1].event.context.actor, "editor:mca");

    let from = snapshot_at(&index, "2021-12-31", None);
    let to = snapshot_at(&index, "2022-01-01", None);
    assert_eq!(
        Diff::between(Some(&from), Some(&to)).items,
        vec![item_diff(
            "i2",
            ItemChange::Changed,
            unknown_to_unknown,
            None
        )]
    );
    let dates: Vec<String> = index
        .versions(None)
        .iter()
        .map(|v| v.valid_from.to_string())
        .collect();
    assert_eq!(dates, ["2021-04-01", "2022-01-01"]);
}

/// Every text an event holds, with where it is.
fn texts(event: &domain::event::Event) -> Vec<&domain::text::Text> {
    use domain::event::Event;
    let mut out = Vec::new();
    match event {
        Event::ItemIntroduced { item } | Event::LocalItemAdded { item, .. } => {
            let f = &item.fields;
            out.extend(item.name.as_known());
            out.extend(f.service_target.as_known());
            out.extend(f.service_content.as_known());
            out.extend(f.service_standard.as_known().map(|s| &s.text));
            out.extend(f.expenditure_responsibility.as_known());
            out.extend(f.lead_units.as_known().into_iter().flat_map(|u| u.iter()));
        }
        Event::ItemAmended { changes, .. } => {
            for change in changes {
                out.extend(sides(change).0);
                out.extend(sides(change).1);
            }
        }
        _ => {}
    }
    out
}

/// The texts of each side of a change.
fn sides(change: &FieldChange) -> (Vec<&domain::text::Text>, Vec<&domain::text::Text>) {
    fn text(k: &Known<domain::text::Text>) -> Vec<&domain::text::Text> {
        k.as_known().into_iter().collect()
    }
    match change {
        FieldChange::Name { before, after }
        | FieldChange::NameEn { before, after }
        | FieldChange::ServiceTarget { before, after }
        | FieldChange::ServiceContent { before, after }
        | FieldChange::ExpenditureResponsibility { before, after } => (text(before), text(after)),
        FieldChange::ServiceStandard { before, after } => (
            before.as_known().map(|s| &s.text).into_iter().collect(),
            after.as_known().map(|s| &s.text).into_iter().collect(),
        ),
        FieldChange::LeadUnits { before, after } => (
            before
                .as_known()
                .into_iter()
                .flat_map(|u| u.iter())
                .collect(),
            after
                .as_known()
                .into_iter()
                .flat_map(|u| u.iter())
                .collect(),
        ),
    }
}

#[test]
fn an_id_or_text_the_log_states_again_is_held_once() {
    // Events as a store gives them back: every text in an allocation of its own.
    let (log, _) = registry();
    let mut index = StandardTimeline::new(cn());
    for append in &log.appends {
        let read: Vec<_> = append
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.event = serde_json::from_str(&serde_json::to_string(&e.event).unwrap()).unwrap();
                e
            })
            .collect();
        index.ingest(read);
    }
    let events = index.events();
    let mut befores = 0;
    for (n, event) in events.iter().enumerate() {
        let domain::event::Event::ItemAmended { item, changes } = &event.event else {
            continue;
        };
        let introduced = events[..n].iter().any(|e| match &e.event {
            domain::event::Event::ItemIntroduced { item: spec } => {
                domain::ids::ItemId::ptr_eq(&spec.id, item)
            }
            _ => false,
        });
        assert!(
            introduced,
            "event {} holds its own copy of the id {item}",
            event.global_position
        );
        for change in changes {
            for before in sides(change).0 {
                befores += 1;
                let earlier = events[..n]
                    .iter()
                    .flat_map(|e| texts(&e.event))
                    .any(|t| domain::text::Text::ptr_eq(t, before));
                assert!(
                    earlier,
                    "event {} holds its own copy of {before:?}",
                    event.global_position
                );
            }
        }
    }
    assert!(befores >= 3, "the fixture amends known texts: {befores}");
    // Sharing changes no answer.
    let (_, rebuilt) = registry();
    for known in (0..RECORDED.len()).map(just_before).chain([None]) {
        assert_eq!(index.all_versions(known), rebuilt.all_versions(known));
    }
}

#[test]
fn a_retroactive_append_folds_again_what_follows_its_date_and_the_count_says_so() {
    let (log, _) = registry();
    let [founding, r2022, c2021] = [0, 1, 2].map(|n| log.appends[n].len() as u64);
    let mut index = StandardTimeline::new(cn());
    let mut applied = Vec::new();
    for append in log.appends.iter().take(3) {
        index.ingest(append.clone());
        applied.push(index.applied());
    }
    assert_eq!(
        applied,
        [
            founding,
            // r2022 takes effect after everything before it: only its own events.
            founding + r2022,
            // c2021 corrects back to the founding date: everything is folded again.
            founding + r2022 + (founding + r2022 + c2021),
        ]
    );
}

#[test]
fn a_refold_keeps_the_item_states_it_does_not_change() {
    let (_, index) = registry();
    let generations: Vec<Option<DateTime<Utc>>> =
        (1..RECORDED.len()).map(just_before).chain([None]).collect();
    let mut shared = 0;
    for pair in generations.windows(2) {
        let (old, new) = (index.all_versions(pair[0]), index.all_versions(pair[1]));
        for version in new {
            let Some(before) = old.iter().find(|v| v.valid_from == version.valid_from) else {
                continue;
            };
            for (id, item) in version.snapshot.items.iter() {
                let Some(was) = before.snapshot.items.get(id) else {
                    continue;
                };
                if item == was {
                    assert!(
                        std::sync::Arc::ptr_eq(item, was),
                        "{id} on {} is a second copy of an unchanged state",
                        version.valid_from
                    );
                    shared += 1;
                }
            }
        }
    }
    // c2021 corrects back to the founding date, so r2022's amendments are applied again.
    assert!(shared > 10, "the fixture refolds unchanged items: {shared}");
}

#[test]
fn what_the_generations_hold_is_counted_once_per_allocation() {
    let (log, _) = registry();
    let mut index = StandardTimeline::new(cn());
    let mut held = Vec::new();
    for append in log.appends.iter().take(3) {
        index.ingest(append.clone());
        held.push(index.held());
    }
    let expected = |generations, version_entries, snapshots, item_states| timeline::Held {
        generations,
        version_entries,
        snapshots,
        item_states,
    };
    assert_eq!(
        held,
        [
            // The founding edition: five items in one version.
            expected(1, 1, 1, 5),
            // r2022 amends i1 and moves i2 and i3 from 2022: three copies.
            expected(2, 3, 2, 8),
            // c2021 corrects i4 back to the founding date: both versions are folded
            // again, and only the corrected i4 is a new item state.
            expected(3, 5, 4, 9),
        ]
    );
}

#[test]
fn a_panic_while_a_page_is_indexed_loses_no_standard() {
    let (log, _) = registry();
    let mut index = Timeline::new();
    index.ingest_all(vec![(cn(), log.appends[0].clone())], 2, |_| ());
    let page = vec![(cn(), log.appends[1].clone())];
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        index.ingest_all(page, 2, |_| panic!("a projection failed"))
    }));
    assert!(unwound.is_err());
    let standard = index
        .standard(&cn())
        .expect("the standard is still indexed");
    assert_eq!(
        standard.events().len(),
        log.appends[0].len() + log.appends[1].len()
    );
}
