//! The bitemporal index against the brute-force fold, at every point that matters.
//!
//! Histories are generated from a seeded generator by running commands through
//! `decide`, so every history is one the registry could hold. For each history the
//! index is asked about every valid date that matters (each effective date, the day
//! before it, one before and one after all) at every record time that matters (each
//! append, one microsecond before it, before all, now), and every answer is compared
//! with `fold(in_force(events, valid_at, known_at))`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::command::{Change, FieldUpdates, MergeTarget, PublishRevision, WholeStandard};
use domain::event::{Event, FieldChange, RecordedEvent};
use domain::ids::RevisionId;
use domain::model::{ItemSpec, Known, Level, Placement, RevisionKind, ServiceStandard};
use domain::state::{Snapshot, Status, fold, in_force};
use timeline::{StandardTimeline, Timeline};

use common::*;

/// The valid dates revisions take effect on: 2021 to 2024.
const DATES: [&str; 8] = [
    "2021-01-01",
    "2021-07-01",
    "2022-01-01",
    "2022-06-01",
    "2022-09-01",
    "2023-01-01",
    "2023-07-01",
    "2024-01-01",
];

/// "Today" as the registry sees it when deciding; later dates are future-dated.
const TODAYS: [&str; 3] = ["2021-12-31", "2022-06-15", "2023-03-01"];

const HISTORIES: u64 = 300;
const ATTEMPTS_PER_HISTORY: usize = 16;

/// splitmix64: small, deterministic, good enough to pick test cases.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.below(items.len())])
        }
    }
}

/// What the generated histories exercised, so that a degenerate generator fails loudly.
#[derive(Debug, Default)]
struct Coverage {
    accepted: usize,
    rejected: usize,
    event_types: BTreeMap<&'static str, usize>,
    unknown_amendments: usize,
    /// Revisions effective before a revision recorded earlier.
    retroactive: usize,
    /// Revisions effective after the `today` they were decided on.
    future_dated: usize,
    /// Points where a withdrawal hid events that were known before it.
    hidden_by_withdrawal: usize,
    /// Points where only a withdrawal published before the first edition is in force.
    bookkeeping_before_establishment: usize,
    checked_points: usize,
}

/// Builds commands for one history.
struct Generator {
    rng: Rng,
    today: NaiveDate,
    next_id: usize,
}

impl Generator {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}{}", self.next_id)
    }

    fn date(&mut self) -> NaiveDate {
        d(DATES[self.rng.below(DATES.len())])
    }

    fn text(&mut self) -> Known<Text> {
        if self.rng.percent(25) {
            Known::Unknown
        } else {
            known(["alpha", "beta", "gamma"][self.rng.below(3)])
        }
    }

    fn founding(&mut self) -> PublishRevision {
        let whole = WholeStandard {
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
                item("i4", "c3", 1),
            ],
            local_items: Vec::new(),
        };
        let effective = d(DATES[self.rng.below(3)]);
        let mut command = comprehensive("r0", effective, whole);
        command.revision.declared_item_count = Some(4);
        command
    }

    fn placement(&mut self, state: &Snapshot) -> Placement {
        let categories: Vec<_> = state
            .categories
            .values()
            .filter(|c| c.status == Status::Active)
            .map(|c| c.id.clone())
            .collect();
        let category = match self.rng.pick(&categories) {
            Some(c) if !self.rng.percent(5) => Known::Known(c.clone()),
            _ => Known::Unknown,
        };
        let number = if self.rng.percent(10) {
            Known::Unknown
        } else {
            Known::Known(1 + self.rng.below(4) as u32)
        };
        Placement { category, number }
    }

    fn new_item(&mut self, state: &Snapshot) -> ItemSpec {
        let id = self.fresh("n");
        let mut spec = item(&id, "c1", 1);
        spec.placement = self.placement(state);
        if self.rng.percent(30) {
            spec.fields.service_content = Known::Unknown;
        }
        spec
    }

    fn amendment(&mut self, item: &str) -> Change {
        let mut fields = FieldUpdates::default();
        for _ in 0..1 + self.rng.below(2) {
            match self.rng.below(7) {
                0 => fields.name = Some(self.text()),
                1 => fields.name_en = Some(self.text()),
                2 => fields.service_target = Some(self.text()),
                3 => fields.service_content = Some(self.text()),
                4 => {
                    fields.service_standard = Some(match self.text() {
                        Known::Known(text) => Known::Known(ServiceStandard {
                            levels: if self.rng.percent(50) {
                                vec![Level {
                                    measure: text.clone(),
                                    comparator: domain::model::Comparator::AtLeast,
                                    quantity: 1.0 + self.rng.below(3) as f64,
                                    unit: "yuan".to_owned().into(),
                                    per: None,
                                    period: None,
                                    condition: None,
                                }]
                                .into()
                            } else {
                                [].into()
                            },
                            text,
                        }),
                        Known::Unknown => Known::Unknown,
                    })
                }
                5 => fields.expenditure_responsibility = Some(self.text()),
                _ => {
                    fields.lead_units =
                        Some(self.text().as_known().map(|t| [t.clone()].into()).into())
                }
            }
        }
        amend(item, fields)
    }

    /// One random change, mostly about things that exist at the date so that `decide` often accepts.
    fn change(&mut self, state: &Snapshot) -> Change {
        let active: Vec<String> = state
            .items
            .values()
            .filter(|i| i.is_active())
            .map(|i| i.id.as_str().to_owned())
            .collect();
        let any_item = match self.rng.pick(&active) {
            Some(i) => i.clone(),
            None => "i1".to_owned(),
        };
        let categories: Vec<String> = state
            .categories
            .values()
            .filter(|c| c.status == Status::Active)
            .map(|c| c.id.as_str().to_owned())
            .collect();
        let aspects: Vec<String> = state
            .aspects
            .values()
            .filter(|a| a.status == Status::Active)
            .map(|a| a.id.as_str().to_owned())
            .collect();
        match self.rng.below(16) {
            0..=3 => self.amendment(&any_item),
            4 | 5 => Change::MoveItem {
                item: iid(&any_item),
                placement: self.placement(state),
            },
            6 => retire(&any_item),
            7 | 8 => introduce(self.new_item(state)),
            9 | 10 => {
                let mut from: Vec<String> = Vec::new();
                for _ in 0..2 + self.rng.below(2) {
                    if let Some(i) = self.rng.pick(&active)
                        && !from.contains(i)
                    {
                        from.push(i.clone());
                    }
                }
                let into = if self.rng.percent(50) && !from.is_empty() {
                    MergeTarget::Existing(iid(&from[self.rng.below(from.len())]))
                } else {
                    MergeTarget::New(Box::new(self.new_item(state)))
                };
                Change::MergeItems {
                    from: from.iter().map(|i| iid(i)).collect(),
                    into,
                }
            }
            11 | 12 => {
                let parts = vec![self.new_item(state), self.new_item(state)];
                split(&any_item, parts)
            }
            13 => {
                let id = self.fresh("c");
                let aspect = self
                    .rng
                    .pick(&aspects)
                    .cloned()
                    .unwrap_or_else(|| "a1".to_owned());
                Change::DefineCategory(category(&id, &aspect, 10 + self.next_id as u32))
            }
            14 => match self.rng.pick(&categories).cloned() {
                Some(c) if self.rng.percent(50) => Change::RenameCategory {
                    category: cid(&c),
                    name: format!("{c} renamed {}", self.fresh("")),
                },
                // Mostly an empty category, which can be retired.
                Some(c) => {
                    let empty: Vec<String> = categories
                        .iter()
                        .filter(|c| {
                            !state.items.values().any(|i| {
                                i.is_active()
                                    && i.placement.category.as_known().map(|c| c.as_str())
                                        == Some(c.as_str())
                            })
                        })
                        .cloned()
                        .collect();
                    let c = self.rng.pick(&empty).cloned().unwrap_or(c);
                    Change::RetireCategory { category: cid(&c) }
                }
                None => Change::RetireCategory {
                    category: cid("c1"),
                },
            },
            _ => match self.rng.below(3) {
                0 => {
                    let id = self.fresh("a");
                    Change::DefineAspect(aspect(&id, 10 + self.next_id as u32))
                }
                1 => Change::RenameAspect {
                    aspect: aid(self.rng.pick(&aspects).map_or("a1", |a| a.as_str())),
                    name: format!("renamed {}", self.fresh("")),
                },
                _ => {
                    // Mostly an aspect without categories, which can be retired.
                    let empty: Vec<String> = aspects
                        .iter()
                        .filter(|a| {
                            !state.categories.values().any(|c| {
                                c.status == Status::Active && c.aspect.as_str() == a.as_str()
                            })
                        })
                        .cloned()
                        .collect();
                    let aspect = match self.rng.pick(&empty) {
                        Some(a) if !self.rng.percent(20) => a.clone(),
                        _ => self
                            .rng
                            .pick(&aspects)
                            .cloned()
                            .unwrap_or_else(|| "a2".to_owned()),
                    };
                    Change::RetireAspect {
                        aspect: aid(&aspect),
                    }
                }
            },
        }
    }

    /// A whole standard restating `state` with a few differences.
    fn restatement(&mut self, state: &Snapshot) -> WholeStandard {
        let aspects: Vec<_> = state
            .aspects
            .values()
            .filter(|a| a.status == Status::Active)
            .map(|a| domain::model::AspectSpec {
                id: a.id.clone(),
                name: if self.rng.percent(20) {
                    format!("{} restated", a.id)
                } else {
                    a.name.clone()
                },
                name_en: a.name_en.clone(),
                order: a.order,
            })
            .collect();
        let categories: Vec<_> = state
            .categories
            .values()
            .filter(|c| c.status == Status::Active)
            .map(|c| domain::model::CategorySpec {
                id: c.id.clone(),
                aspect: c.aspect.clone(),
                name: if self.rng.percent(20) {
                    format!("{} restated", c.id)
                } else {
                    c.name.clone()
                },
                name_en: c.name_en.clone(),
                number: c.number,
            })
            .collect();
        let mut items: Vec<ItemSpec> = Vec::new();
        for current in state.items.values().filter(|i| i.is_active()) {
            if self.rng.percent(15) {
                continue;
            }
            let mut spec = ItemSpec {
                id: current.id.clone(),
                placement: current.placement.clone(),
                name: current.name.clone(),
                name_en: current.name_en.clone(),
                fields: current.fields.clone(),
                national_item: current.national_item.clone(),
            };
            if self.rng.percent(25) {
                spec.fields.service_target = self.text();
            }
            items.push(spec);
        }
        if self.rng.percent(50) {
            items.push(self.new_item(state));
        }
        // A category that no stated item uses, and then an aspect without categories, may go.
        let mut categories = categories;
        categories.retain(|c| {
            items
                .iter()
                .any(|i| i.placement.category.as_known() == Some(&c.id))
                || self.rng.percent(50)
        });
        let mut aspects = aspects;
        aspects.retain(|a| categories.iter().any(|c| c.aspect == a.id) || self.rng.percent(50));
        WholeStandard {
            aspects,
            categories,
            items,
            local_items: Vec::new(),
        }
    }

    fn command(&mut self, log: &Log) -> PublishRevision {
        let id = self.fresh("r");
        let published: Vec<_> = domain::published_revisions(&log.events)
            .into_iter()
            .cloned()
            .collect();
        let state_at = |date: NaiveDate| fold(&in_force(&log.events, Some(date), None)).unwrap();
        let mut command = match self.rng.below(20) {
            0..=8 => {
                let date = self.date();
                let state = state_at(date);
                let changes = (0..1 + self.rng.below(2))
                    .map(|_| self.change(&state))
                    .collect();
                adjustment(&id, date, changes)
            }
            9..=12 => {
                let target = self.rng.pick(&published).unwrap().clone();
                let date = if self.rng.percent(70) {
                    target.effective_from
                } else {
                    self.date()
                };
                let state = state_at(date);
                let active: Vec<String> = state
                    .items
                    .values()
                    .filter(|i| i.is_active())
                    .map(|i| i.id.as_str().to_owned())
                    .collect();
                let item = self.rng.pick(&active).cloned().unwrap_or("i1".to_owned());
                let change = if self.rng.percent(80) {
                    self.amendment(&item)
                } else {
                    self.change(&state)
                };
                correction(&id, target.id.as_str(), date, vec![change])
            }
            13..=16 => {
                let future: Vec<_> = published
                    .iter()
                    .filter(|r| r.effective_from > self.today)
                    .collect();
                let target = match self.rng.pick(&future) {
                    Some(r) if !self.rng.percent(10) => r.id.clone(),
                    _ => self.rng.pick(&published).unwrap().id.clone(),
                };
                withdrawal(&id, target.as_str(), self.date())
            }
            _ => {
                let date = self.date();
                let state = state_at(date);
                let whole = self.restatement(&state);
                comprehensive(&id, date, whole)
            }
        };
        // A withdrawal states no item count (the domain would take it as the standard's).
        if self.rng.percent(15) && command.revision.kind != RevisionKind::Withdrawal {
            command.revision.declared_item_count = Some(3 + self.rng.below(4) as u32);
        }
        command
    }
}

/// Generates one history: a founding revision, then random commands, each decided against the log.
fn history(seed: u64, coverage: &mut Coverage) -> Log {
    let mut rng = Rng(seed);
    let today = d(TODAYS[rng.below(TODAYS.len())]);
    let mut generator = Generator {
        rng,
        today,
        next_id: 0,
    };
    let mut log = Log::new();
    let founding = generator.founding();
    log.publish(&founding, "editor:founder", today, Log::hourly(0))
        .unwrap();
    for attempt in 0..ATTEMPTS_PER_HISTORY {
        let command = generator.command(&log);
        let actor = format!("editor:{}", attempt % 3);
        let earliest_known = log
            .events
            .iter()
            .map(|e| e.context.effective_from)
            .max()
            .unwrap();
        match log.publish(&command, &actor, today, Log::hourly(log.appends.len())) {
            Ok(batch) => {
                coverage.accepted += 1;
                for e in batch {
                    *coverage.event_types.entry(e.event.type_name()).or_default() += 1;
                    if let Event::ItemAmended { changes, .. } = &e.event
                        && changes.iter().any(is_unknown_after)
                    {
                        coverage.unknown_amendments += 1;
                    }
                }
                if command.revision.effective_from < earliest_known {
                    coverage.retroactive += 1;
                }
                if command.revision.effective_from > today {
                    coverage.future_dated += 1;
                }
            }
            Err(_) => coverage.rejected += 1,
        }
    }
    log
}

fn is_unknown_after(change: &FieldChange) -> bool {
    match change {
        FieldChange::Name { after, .. }
        | FieldChange::NameEn { after, .. }
        | FieldChange::ServiceTarget { after, .. }
        | FieldChange::ServiceContent { after, .. }
        | FieldChange::ExpenditureResponsibility { after, .. } => !after.is_known(),
        FieldChange::ServiceStandard { after, .. } => !after.is_known(),
        FieldChange::LeadUnits { after, .. } => !after.is_known(),
    }
}

/// What a reader of the standard sees: everything but the bookkeeping of revisions.
fn text(snapshot: &Snapshot) -> Snapshot {
    let mut text = snapshot.clone();
    text.revisions.clear();
    text.established_on = None;
    text
}

fn brute(events: &[RecordedEvent], v: NaiveDate, t: Option<DateTime<Utc>>) -> Snapshot {
    let selected = in_force(events, Some(v), t);
    fold(&selected).unwrap_or_else(|(i, violation)| {
        panic!("a decided history must fold at ({v}, {t:?}); event {i}: {violation}")
    })
}

/// Revisions recorded by `t`, not withdrawn by a withdrawal recorded by `t`,
/// effective after `v`, in log order: (id, recorded_at, actor).
fn brute_pending(
    events: &[RecordedEvent],
    v: NaiveDate,
    t: Option<DateTime<Utc>>,
) -> Vec<(RevisionId, DateTime<Utc>, String)> {
    let known: Vec<&RecordedEvent> = events
        .iter()
        .filter(|e| t.is_none_or(|t| e.recorded_at <= t))
        .collect();
    let withdrawn: BTreeSet<&RevisionId> = known
        .iter()
        .filter_map(|e| match &e.event {
            Event::RevisionWithdrawn { withdrawn } => Some(withdrawn),
            _ => None,
        })
        .collect();
    known
        .iter()
        .filter_map(|e| match &e.event {
            Event::RevisionPublished { revision }
                if !withdrawn.contains(&revision.id) && revision.effective_from > v =>
            {
                Some((
                    revision.id.clone(),
                    e.recorded_at,
                    e.context.actor.to_string(),
                ))
            }
            _ => None,
        })
        .collect()
}

/// The valid dates that matter: each effective date, the day before it, and one before and after all.
fn valid_points(events: &[RecordedEvent]) -> Vec<NaiveDate> {
    let mut points: BTreeSet<NaiveDate> = BTreeSet::new();
    for e in events {
        let date = e.context.effective_from;
        points.insert(date);
        points.insert(date.pred_opt().unwrap());
    }
    points.insert(d("2020-06-30"));
    points.insert(d("2025-01-01"));
    points.into_iter().collect()
}

/// The record times that matter: each append, one microsecond before it, before all, and now.
fn known_points(log: &Log) -> Vec<Option<DateTime<Utc>>> {
    let mut points = vec![None, Some(Log::hourly(0) - Duration::days(1))];
    for append in &log.appends {
        let at = append[0].recorded_at;
        points.push(Some(at));
        points.push(Some(at - Duration::microseconds(1)));
    }
    points
}

fn check_history(seed: u64, log: &Log, coverage: &mut Coverage) {
    let events = &log.events;
    let mut registry = Timeline::new();
    for append in &log.appends {
        registry.ingest(&cn(), append.clone());
    }
    let index = registry.standard(&cn()).unwrap();
    assert_eq!(index.events(), events.as_slice(), "seed {seed}");
    assert!(
        index.inconsistencies().is_empty(),
        "seed {seed}: {:?}",
        index.inconsistencies()
    );
    assert_eq!(
        registry.last_global_position(),
        events.last().unwrap().global_position
    );
    assert_eq!(
        index.last_recorded_at(),
        Some(log.appends.last().unwrap()[0].recorded_at)
    );

    let valid = valid_points(events);
    for t in known_points(log) {
        let known: Vec<RecordedEvent> = events
            .iter()
            .filter(|e| t.is_none_or(|t| e.recorded_at <= t))
            .cloned()
            .collect();
        assert_eq!(
            index.events_known(t),
            known.as_slice(),
            "seed {seed} t {t:?}"
        );

        // Every version along valid time: one per distinct effective date in force.
        let in_force_now = in_force(events, None, t);
        let dates: BTreeSet<NaiveDate> = in_force_now
            .iter()
            .map(|e| e.context.effective_from)
            .collect();
        let all: Vec<NaiveDate> = index.all_versions(t).iter().map(|v| v.valid_from).collect();
        assert_eq!(
            all,
            dates.iter().copied().collect::<Vec<_>>(),
            "seed {seed} t {t:?}"
        );
        let hidden = in_force(&known, None, None).len() < known.len();
        if hidden {
            coverage.hidden_by_withdrawal += 1;
        }

        for &v in &valid {
            coverage.checked_points += 1;
            let selected = in_force(events, Some(v), t);
            let expected = brute(events, v, t);
            let edition = index.edition(v, t);
            assert_eq!(edition.valid_at, v);
            assert_eq!(edition.known_at, t);
            assert_eq!(edition.jurisdiction, cn());
            if selected.is_empty() {
                assert_eq!(expected, Snapshot::default(), "seed {seed} v {v} t {t:?}");
            }
            if expected.established_on.is_none() {
                // No standard in force (at most the bookkeeping of a withdrawal published
                // before the standard's first edition): no version at all.
                assert_eq!(
                    text(&expected),
                    Snapshot::default(),
                    "seed {seed} v {v} t {t:?}"
                );
                assert!(
                    edition.version.is_none(),
                    "seed {seed} v {v} t {t:?}: {:?}",
                    edition.version
                );
                if !selected.is_empty() {
                    coverage.bookkeeping_before_establishment += 1;
                }
            } else {
                let version = edition
                    .version
                    .as_ref()
                    .unwrap_or_else(|| panic!("seed {seed} v {v} t {t:?}: no version"));
                assert!(expected.established_on.is_some_and(|e| e <= v));
                assert_eq!(
                    version.snapshot.as_ref(),
                    &expected,
                    "seed {seed} v {v} t {t:?}"
                );
                let last = selected.last().unwrap().context.effective_from;
                assert_eq!(version.valid_from, last, "seed {seed} v {v} t {t:?}");
                let mut revisions: Vec<RevisionId> = Vec::new();
                for e in selected.iter().filter(|e| e.context.effective_from == last) {
                    if !revisions.contains(&e.context.revision) {
                        revisions.push(e.context.revision.clone());
                    }
                }
                assert_eq!(
                    version.revisions,
                    revisions.into(),
                    "seed {seed} v {v} t {t:?}"
                );
                let changed = text(&brute(events, last.pred_opt().unwrap(), t)) != text(&expected);
                assert_eq!(version.changes_text, changed, "seed {seed} v {v} t {t:?}");
            }

            let pending: Vec<_> = index
                .pending(v, t)
                .into_iter()
                .map(|r| {
                    assert_eq!(r.withdrawn_by, None);
                    (r.info.id, r.recorded_at, r.actor.to_string())
                })
                .collect();
            assert_eq!(
                pending,
                brute_pending(events, v, t),
                "seed {seed} v {v} t {t:?}"
            );
        }

        // Versions: exactly the valid dates where the brute-force text changes.
        let mut changes: Vec<NaiveDate> = Vec::new();
        let candidates: BTreeSet<NaiveDate> =
            known.iter().map(|e| e.context.effective_from).collect();
        for date in candidates {
            let before = text(&brute(events, date.pred_opt().unwrap(), t));
            let after = text(&brute(events, date, t));
            if before != after {
                changes.push(date);
            }
        }
        let listed: Vec<NaiveDate> = index.versions(t).iter().map(|v| v.valid_from).collect();
        assert_eq!(listed, changes, "seed {seed} t {t:?}");
        for version in index.versions(t) {
            assert_eq!(
                version.snapshot.as_ref(),
                &brute(events, version.valid_from, t),
                "seed {seed} t {t:?}"
            );
        }

        // Revisions with their status at t.
        let withdrawn_by: BTreeMap<RevisionId, RevisionId> = known
            .iter()
            .filter_map(|e| match &e.event {
                Event::RevisionWithdrawn { withdrawn } => {
                    Some((withdrawn.clone(), e.context.revision.clone()))
                }
                _ => None,
            })
            .collect();
        let expected: Vec<_> = known
            .iter()
            .filter_map(|e| match &e.event {
                Event::RevisionPublished { revision } => Some((
                    revision.as_ref().clone(),
                    e.recorded_at,
                    e.context.actor.clone(),
                    withdrawn_by.get(&revision.id).cloned(),
                )),
                _ => None,
            })
            .collect();
        let actual: Vec<_> = index
            .revisions(t)
            .into_iter()
            .map(|r| (r.info, r.recorded_at, r.actor, r.withdrawn_by))
            .collect();
        assert_eq!(actual, expected, "seed {seed} t {t:?}");
    }
}

/// The same appends, each split in two `ingest` calls where it has two or more events.
fn check_split_ingest(seed: u64, log: &Log) {
    let mut whole = StandardTimeline::new(cn());
    let mut pieces = StandardTimeline::new(cn());
    let mut rng = Rng(seed ^ 0x5EED);
    for append in &log.appends {
        whole.ingest(append.clone());
        if append.len() >= 2 {
            let at = 1 + rng.below(append.len() - 1);
            pieces.ingest(append[..at].to_vec());
            pieces.ingest(append[at..].to_vec());
        } else {
            pieces.ingest(append.clone());
        }
    }
    assert_eq!(pieces.events(), whole.events());
    assert_eq!(pieces.inconsistencies(), whole.inconsistencies());
    for t in known_points(log) {
        assert_eq!(
            pieces.all_versions(t),
            whole.all_versions(t),
            "seed {seed} t {t:?}"
        );
        assert_eq!(pieces.events_known(t), whole.events_known(t));
        assert_eq!(pieces.revisions(t), whole.revisions(t));
    }
}

#[test]
fn the_index_answers_what_the_brute_force_fold_answers_at_every_point() {
    let mut coverage = Coverage::default();
    for seed in 0..HISTORIES {
        let log = history(seed, &mut coverage);
        check_history(seed, &log, &mut coverage);
        check_split_ingest(seed, &log);
    }
    // The generator must actually reach every kind of history this test is about.
    for kind in [
        "revision_published",
        "revision_withdrawn",
        "item_introduced",
        "item_amended",
        "item_moved",
        "item_retired",
        "items_merged",
        "item_split",
        "category_defined",
        "category_renamed",
        "category_retired",
        "aspect_defined",
        "aspect_renamed",
        "aspect_retired",
    ] {
        assert!(
            coverage.event_types.get(kind).copied().unwrap_or(0) >= 3,
            "too few {kind}: {coverage:?}"
        );
    }
    assert!(coverage.unknown_amendments >= 10, "{coverage:?}");
    assert!(coverage.retroactive >= 20, "{coverage:?}");
    assert!(coverage.future_dated >= 20, "{coverage:?}");
    assert!(coverage.hidden_by_withdrawal >= 10, "{coverage:?}");
    assert!(coverage.accepted >= HISTORIES as usize * 4, "{coverage:?}");
    eprintln!("{coverage:?}");
}

/// Pages of appends of several standards, indexed standards in parallel
/// (`Timeline::ingest_all`), give what one append at a time gives.
#[test]
fn a_page_indexed_on_several_threads_is_indexed_as_one_append_at_a_time() {
    let mut coverage = Coverage::default();
    let logs: Vec<(domain::ids::Jurisdiction, Log)> = (0..6u64)
        .map(|seed| {
            let code = format!("{}0000", 11 + seed);
            let jurisdiction =
                domain::ids::Jurisdiction::parse(&code).unwrap_or_else(|e| panic!("{e}"));
            (jurisdiction, history(seed, &mut coverage))
        })
        .collect();
    // Round robin over the standards, so that a page holds appends of several.
    let mut appends: Vec<(domain::ids::Jurisdiction, Vec<RecordedEvent>)> = Vec::new();
    let longest = logs.iter().map(|(_, l)| l.appends.len()).max().unwrap_or(0);
    for n in 0..longest {
        for (jurisdiction, log) in &logs {
            if let Some(append) = log.appends.get(n) {
                appends.push((jurisdiction.clone(), append.clone()));
            }
        }
    }
    let mut one_by_one = Timeline::new();
    for (jurisdiction, append) in &appends {
        one_by_one.ingest(jurisdiction, append.clone());
    }
    for (workers, page) in [(1, 5), (2, 7), (3, 4), (2, appends.len())] {
        let mut paged = Timeline::new();
        for chunk in appends.chunks(page) {
            let seen = paged.ingest_all(chunk.to_vec(), workers, |s| {
                (s.jurisdiction().clone(), s.events().len())
            });
            let order: Vec<&domain::ids::Jurisdiction> = chunk.iter().map(|(j, _)| j).collect();
            assert_eq!(seen.iter().map(|(j, _)| j).collect::<Vec<_>>(), order);
        }
        assert_eq!(
            paged.last_global_position(),
            one_by_one.last_global_position()
        );
        for (jurisdiction, log) in &logs {
            let (a, b) = (
                paged.standard(jurisdiction).expect("indexed"),
                one_by_one.standard(jurisdiction).expect("indexed"),
            );
            assert_eq!(a.events(), b.events());
            assert_eq!(a.inconsistencies(), b.inconsistencies());
            for t in known_points(log) {
                assert_eq!(
                    a.all_versions(t),
                    b.all_versions(t),
                    "{jurisdiction} t {t:?}"
                );
                assert_eq!(a.revisions(t), b.revisions(t));
            }
        }
    }
}
