//! `decide`: turns a command into events, or says why it cannot be recorded.
//!
//! A command is accepted only if the whole timeline stays consistent: the new
//! events are placed at their effective date and every event from there on is
//! applied again. A later event that no longer applies is named in the error.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::DomainError;
use crate::command::{
    Change, ChangeEntry, FieldUpdates, LocalItem, MergeTarget, PublishRevision, RevisionContent,
    WholeStandard,
};
use crate::event::{Event, EventContext, FieldChange, NewDomainEvent, RecordedEvent};
use crate::ids::{ItemId, Jurisdiction, RevisionId};
use crate::model::{Known, Placement, RevisionInfo, RevisionKind};
use crate::state::{ItemState, Snapshot, Status, Violation, apply, fold, in_force};

/// Who is recording, and when (the domain never reads the clock).
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub actor: String,
    /// Today's date in the registry's calendar: decides what is already in force.
    pub today: NaiveDate,
}

/// Decides the events that publish `command` on the stream whose events (in log order) are `history`.
pub fn decide(
    history: &[RecordedEvent],
    command: &PublishRevision,
    context: &CommandContext,
) -> Result<Vec<NewDomainEvent>, DomainError> {
    let info = &command.revision;
    check_revision(history, info, &command.content, context)?;
    let before = in_force(history, Some(info.effective_from), None);
    let at_effective =
        fold(&before).map_err(|(index, violation)| DomainError::InconsistentHistory {
            event_id: before[index].event_id,
            violation,
        })?;

    if at_effective.established_on.is_none()
        && !info.kind.states_whole_standard()
        && info.kind != RevisionKind::Withdrawal
    {
        return Err(DomainError::Rejected(not_established(history, info)));
    }

    let mut events = vec![new_event(
        info,
        context,
        None,
        Event::RevisionPublished {
            revision: Arc::new(info.clone()),
        },
    )];
    match &command.content {
        RevisionContent::Whole(whole) => {
            whole_standard_events(&at_effective, whole, &mut |event| {
                events.push(new_event(info, context, None, event))
            })?
        }
        RevisionContent::Changes(changes) => {
            // Each change sees the ones before it in the same document.
            let mut working = at_effective;
            for entry in changes {
                let start = events.len();
                change_events(&working, info, entry, context, &mut events)?;
                for event in &events[start..] {
                    apply(&mut working, &event.context, &event.event)
                        .map_err(DomainError::Rejected)?;
                }
            }
        }
    }
    if events.len() == 1 {
        return Err(DomainError::NothingChanges(info.id.clone()));
    }
    check_timeline(history, &events)?;
    Ok(events)
}

/// Why a revision of changes cannot apply where no standard is established yet:
/// the stream has no standard at all, or only from a later date.
fn not_established(history: &[RecordedEvent], info: &RevisionInfo) -> Violation {
    let withdrawn = withdrawn_revisions(history);
    let founded = published_revisions(history)
        .iter()
        .any(|r| r.kind.states_whole_standard() && !withdrawn.contains(&r.id));
    if founded {
        Violation::StandardNotEstablished(info.effective_from)
    } else {
        Violation::NotAFoundingRevision(info.kind.as_str())
    }
}

fn check_revision(
    history: &[RecordedEvent],
    info: &RevisionInfo,
    content: &RevisionContent,
    context: &CommandContext,
) -> Result<(), DomainError> {
    let published = published_revisions(history);
    if published.iter().any(|r| r.id == info.id) {
        return Err(DomainError::RevisionExists(info.id.clone()));
    }
    check_kind(&info.jurisdiction, info.kind)?;
    let whole = matches!(content, RevisionContent::Whole(_));
    if whole != info.kind.states_whole_standard() {
        return Err(DomainError::ContentDoesNotFitKind {
            kind: info.kind.as_str(),
            expected: if info.kind.states_whole_standard() {
                "the whole standard (`whole`)"
            } else {
                "a list of changes (`changes`)"
            },
        });
    }
    if info.kind == RevisionKind::LocalImplementation && info.implements.is_none() {
        return Err(DomainError::MissingReference {
            kind: info.kind.as_str(),
            field: "implements",
        });
    }
    let withdrawn = withdrawn_revisions(history);
    match info.kind {
        RevisionKind::Correction | RevisionKind::Withdrawal => {
            let Some(target) = &info.target else {
                return Err(DomainError::MissingReference {
                    kind: info.kind.as_str(),
                    field: "target",
                });
            };
            let Some(target_info) = published.iter().find(|r| &r.id == target) else {
                return Err(DomainError::UnknownRevision(target.clone()));
            };
            if withdrawn.contains(target) {
                return Err(DomainError::RevisionWithdrawn(target.clone()));
            }
            if info.kind == RevisionKind::Withdrawal {
                if target_info.kind == RevisionKind::Withdrawal {
                    return Err(DomainError::CannotWithdrawWithdrawal(target.clone()));
                }
                if target_info.effective_from <= context.today {
                    return Err(DomainError::AlreadyInForce {
                        revision: target.clone(),
                        effective_from: target_info.effective_from,
                    });
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_kind(jurisdiction: &Jurisdiction, kind: RevisionKind) -> Result<(), DomainError> {
    let allowed = match kind {
        RevisionKind::ComprehensiveRevision => jurisdiction.is_national(),
        RevisionKind::LocalImplementation => !jurisdiction.is_national(),
        _ => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(DomainError::KindNotForJurisdiction {
            kind: kind.as_str(),
            jurisdiction: jurisdiction.clone(),
        })
    }
}

/// Revisions published on this stream, withdrawn or not.
pub fn published_revisions(history: &[RecordedEvent]) -> Vec<&RevisionInfo> {
    history
        .iter()
        .filter_map(|e| match &e.event {
            Event::RevisionPublished { revision } => Some(revision.as_ref()),
            _ => None,
        })
        .collect()
}

/// Revisions that a withdrawal cancelled.
pub fn withdrawn_revisions(history: &[RecordedEvent]) -> BTreeSet<&RevisionId> {
    history
        .iter()
        .filter_map(|e| match &e.event {
            Event::RevisionWithdrawn { withdrawn } => Some(withdrawn),
            _ => None,
        })
        .collect()
}

fn new_event(
    info: &RevisionInfo,
    context: &CommandContext,
    reason: Option<&str>,
    event: Event,
) -> NewDomainEvent {
    NewDomainEvent {
        context: EventContext {
            revision: info.id.clone(),
            effective_from: info.effective_from,
            actor: context.actor.as_str().into(),
            reason: reason.unwrap_or(&info.title).into(),
        },
        event,
    }
}

/// The changes that make the standard in force on `effective_from` (as
/// `history` records it) what `whole` states, found by the comparison a
/// whole-standard revision is decided with, as a list of changes: what a
/// correction or adjustment stated as a whole table records. Empty when
/// `whole` restates the standard as it stands.
pub fn restating_changes(
    history: &[RecordedEvent],
    effective_from: NaiveDate,
    whole: &WholeStandard,
) -> Result<Vec<Change>, DomainError> {
    let before = in_force(history, Some(effective_from), None);
    let state = fold(&before).map_err(|(index, violation)| DomainError::InconsistentHistory {
        event_id: before[index].event_id,
        violation,
    })?;
    let mut changes = Vec::new();
    whole_standard_events(&state, whole, &mut |event| changes.extend(change_of(event)))?;
    Ok(changes)
}

/// The change that records `event` (every event a whole standard is decided into has one).
fn change_of(event: Event) -> Option<Change> {
    Some(match event {
        Event::AspectDefined {
            aspect,
            name,
            name_en,
            order,
        } => Change::DefineAspect(crate::model::AspectSpec {
            id: aspect,
            name,
            name_en,
            order,
        }),
        Event::AspectRenamed { aspect, after, .. } => Change::RenameAspect {
            aspect,
            name: after,
        },
        Event::AspectRetired { aspect } => Change::RetireAspect { aspect },
        Event::CategoryDefined {
            category,
            aspect,
            name,
            name_en,
            number,
        } => Change::DefineCategory(crate::model::CategorySpec {
            id: category,
            aspect,
            name,
            name_en,
            number,
        }),
        Event::CategoryRenamed {
            category, after, ..
        } => Change::RenameCategory {
            category,
            name: after,
        },
        Event::CategoryRetired { category } => Change::RetireCategory { category },
        Event::ItemIntroduced { item } => Change::IntroduceItem(*item),
        Event::LocalItemAdded { item, assessment } => Change::AddLocalItem(LocalItem {
            item: *item,
            assessment,
        }),
        Event::ItemMoved { item, after, .. } => Change::MoveItem {
            item,
            placement: after,
        },
        Event::ItemRetired { item } => Change::RetireItem { item },
        Event::ItemAmended { item, changes } => {
            let mut fields = FieldUpdates::default();
            for change in changes {
                match change {
                    FieldChange::Name { after, .. } => fields.name = Some(after),
                    FieldChange::NameEn { after, .. } => fields.name_en = Some(after),
                    FieldChange::ServiceTarget { after, .. } => fields.service_target = Some(after),
                    FieldChange::ServiceContent { after, .. } => {
                        fields.service_content = Some(after)
                    }
                    FieldChange::ServiceStandard { after, .. } => {
                        fields.service_standard = Some(after)
                    }
                    FieldChange::ExpenditureResponsibility { after, .. } => {
                        fields.expenditure_responsibility = Some(after)
                    }
                    FieldChange::LeadUnits { after, .. } => fields.lead_units = Some(after),
                }
            }
            Change::AmendItem { item, fields }
        }
        Event::RevisionPublished { .. }
        | Event::RevisionWithdrawn { .. }
        | Event::ItemsMerged { .. }
        | Event::ItemSplit { .. } => return None,
    })
}

fn whole_standard_events(
    state: &Snapshot,
    whole: &WholeStandard,
    push: &mut dyn FnMut(Event),
) -> Result<(), DomainError> {
    check_unique(whole)?;
    for aspect in &whole.aspects {
        match state.aspects.get(&aspect.id) {
            Some(current) if current.status == Status::Active => {
                if current.name != aspect.name {
                    push(Event::AspectRenamed {
                        aspect: aspect.id.clone(),
                        before: current.name.clone(),
                        after: aspect.name.clone(),
                    });
                }
            }
            _ => push(Event::AspectDefined {
                aspect: aspect.id.clone(),
                name: aspect.name.clone(),
                name_en: aspect.name_en.clone(),
                order: aspect.order,
            }),
        }
    }
    for category in &whole.categories {
        match state.categories.get(&category.id) {
            Some(current) if current.status == Status::Active => {
                if current.aspect != category.aspect {
                    return Err(DomainError::CategoryChangesAspect(category.id.clone()));
                }
                if current.name != category.name {
                    push(Event::CategoryRenamed {
                        category: category.id.clone(),
                        before: current.name.clone(),
                        after: category.name.clone(),
                    });
                }
            }
            _ => push(Event::CategoryDefined {
                category: category.id.clone(),
                aspect: category.aspect.clone(),
                name: category.name.clone(),
                name_en: category.name_en.clone(),
                number: category.number,
            }),
        }
    }
    let stated_items: Vec<&crate::model::ItemSpec> = whole
        .items
        .iter()
        .chain(whole.local_items.iter().map(|l| &l.item))
        .collect();
    for current in state.items.values().filter(|i| i.is_active()) {
        if !stated_items.iter().any(|s| s.id == current.id) {
            push(Event::ItemRetired {
                item: current.id.clone(),
            });
        }
    }
    // Retirements before moves, and moves before introductions, so that a number
    // freed by one item can be taken by another.
    let moves: Vec<(&ItemId, Placement, &Placement)> = stated_items
        .iter()
        .filter_map(|spec| {
            let current = state.items.get(&spec.id).filter(|i| i.is_active())?;
            (current.placement != spec.placement)
                .then(|| (&spec.id, current.placement.clone(), &spec.placement))
        })
        .collect();
    for (item, before, after) in ordered_moves(moves) {
        push(Event::ItemMoved {
            item: item.clone(),
            before,
            after,
        });
    }
    for spec in &whole.items {
        match state.items.get(&spec.id).filter(|i| i.is_active()) {
            Some(current) => {
                let changes = field_changes(current, &updates_from_spec(spec));
                if !changes.is_empty() {
                    push(Event::ItemAmended {
                        item: spec.id.clone(),
                        changes,
                    });
                }
            }
            None => push(Event::ItemIntroduced {
                item: Box::new(spec.clone()),
            }),
        }
    }
    for local in &whole.local_items {
        match state.items.get(&local.item.id).filter(|i| i.is_active()) {
            // A local standard restated (for a new national edition) keeps its local items.
            Some(current) => {
                let changes = field_changes(current, &updates_from_spec(&local.item));
                if !changes.is_empty() {
                    push(Event::ItemAmended {
                        item: local.item.id.clone(),
                        changes,
                    });
                }
            }
            None => push(Event::LocalItemAdded {
                item: Box::new(local.item.clone()),
                assessment: local.assessment.clone(),
            }),
        }
    }
    for category in state.categories.values() {
        if category.status == Status::Active
            && !whole.categories.iter().any(|c| c.id == category.id)
        {
            push(Event::CategoryRetired {
                category: category.id.clone(),
            });
        }
    }
    for aspect in state.aspects.values() {
        if aspect.status == Status::Active && !whole.aspects.iter().any(|a| a.id == aspect.id) {
            push(Event::AspectRetired {
                aspect: aspect.id.clone(),
            });
        }
    }
    Ok(())
}

/// Orders the moves of a restatement so that no item moves onto a number another
/// moving item still holds: a shift moves the last item first. Items that swap
/// numbers (a cycle) need one of them parked without a number in between.
fn ordered_moves(
    mut pending: Vec<(&ItemId, Placement, &Placement)>,
) -> Vec<(ItemId, Placement, Placement)> {
    let holds = |current: &Placement, target: &Placement| {
        current.category.is_known()
            && current.number.is_known()
            && current.category == target.category
            && current.number == target.number
    };
    let mut out = Vec::new();
    while !pending.is_empty() {
        let free = (0..pending.len()).find(|&i| {
            !pending
                .iter()
                .enumerate()
                .any(|(j, (_, current, _))| j != i && holds(current, pending[i].2))
        });
        match free {
            Some(i) => {
                let (item, before, after) = pending.remove(i);
                out.push((item.clone(), before, after.clone()));
            }
            None => {
                // Every remaining move waits on another: a cycle. Some item in it holds a number.
                let Some((item, current, _)) = pending
                    .iter_mut()
                    .find(|(_, current, _)| current.number.is_known())
                else {
                    break;
                };
                let parked = Placement {
                    category: current.category.clone(),
                    number: Known::Unknown,
                };
                out.push(((*item).clone(), current.clone(), parked.clone()));
                *current = parked;
            }
        }
    }
    out
}

fn check_unique(whole: &WholeStandard) -> Result<(), DomainError> {
    let mut seen = BTreeSet::new();
    let ids = whole
        .aspects
        .iter()
        .map(|a| ("aspect", a.id.as_str()))
        .chain(whole.categories.iter().map(|c| ("category", c.id.as_str())))
        .chain(whole.items.iter().map(|i| ("item", i.id.as_str())))
        .chain(
            whole
                .local_items
                .iter()
                .map(|i| ("item", i.item.id.as_str())),
        );
    for (kind, id) in ids {
        if !seen.insert((kind, id)) {
            return Err(DomainError::DuplicateInDocument {
                kind,
                id: id.to_owned(),
            });
        }
    }
    Ok(())
}

fn updates_from_spec(spec: &crate::model::ItemSpec) -> FieldUpdates {
    FieldUpdates {
        name: Some(spec.name.clone()),
        name_en: Some(spec.name_en.clone()),
        service_target: Some(spec.fields.service_target.clone()),
        service_content: Some(spec.fields.service_content.clone()),
        service_standard: Some(spec.fields.service_standard.clone()),
        expenditure_responsibility: Some(spec.fields.expenditure_responsibility.clone()),
        lead_units: Some(spec.fields.lead_units.clone()),
    }
}

/// Changes from `current` to `updates`. In a whole standard an unknown field is
/// simply not restated, so only updates to a known value that differs count;
/// in a change list (`explicit`), `null` records a change whose text is not on record.
fn field_changes(current: &ItemState, updates: &FieldUpdates) -> Vec<FieldChange> {
    field_changes_with(current, updates, false)
}

fn field_changes_with(
    current: &ItemState,
    updates: &FieldUpdates,
    explicit: bool,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    macro_rules! field {
        ($update:expr, $current:expr, $variant:ident) => {
            if let Some(after) = &$update {
                let differs = match after {
                    Known::Known(_) => after != &$current,
                    Known::Unknown => explicit,
                };
                if differs {
                    out.push(FieldChange::$variant {
                        before: $current.clone(),
                        after: after.clone(),
                    });
                }
            }
        };
    }
    let fields = &current.fields;
    field!(updates.name, current.name, Name);
    field!(updates.name_en, current.name_en, NameEn);
    field!(updates.service_target, fields.service_target, ServiceTarget);
    field!(
        updates.service_content,
        fields.service_content,
        ServiceContent
    );
    field!(
        updates.service_standard,
        fields.service_standard,
        ServiceStandard
    );
    field!(
        updates.expenditure_responsibility,
        fields.expenditure_responsibility,
        ExpenditureResponsibility
    );
    field!(updates.lead_units, fields.lead_units, LeadUnits);
    out
}

fn change_events(
    state: &Snapshot,
    info: &RevisionInfo,
    entry: &ChangeEntry,
    context: &CommandContext,
    events: &mut Vec<NewDomainEvent>,
) -> Result<(), DomainError> {
    let mut push =
        |event: Event| events.push(new_event(info, context, entry.reason.as_deref(), event));
    let is_withdrawal = info.kind == RevisionKind::Withdrawal;
    if is_withdrawal != matches!(entry.change, Change::Withdraw) {
        return Err(DomainError::ChangeDoesNotFitKind {
            op: entry.change.op_name(),
            kind: info.kind.as_str(),
        });
    }
    match &entry.change {
        Change::Withdraw => {
            // check_revision made sure a withdrawal has a target.
            if let Some(target) = &info.target {
                push(Event::RevisionWithdrawn {
                    withdrawn: target.clone(),
                });
            }
        }
        Change::DefineAspect(aspect) => push(Event::AspectDefined {
            aspect: aspect.id.clone(),
            name: aspect.name.clone(),
            name_en: aspect.name_en.clone(),
            order: aspect.order,
        }),
        Change::RenameAspect { aspect, name } => {
            let before = state
                .aspects
                .get(aspect)
                .map(|a| a.name.clone())
                .ok_or_else(|| DomainError::Rejected(Violation::UnknownAspect(aspect.clone())))?;
            push(Event::AspectRenamed {
                aspect: aspect.clone(),
                before,
                after: name.clone(),
            });
        }
        Change::RetireAspect { aspect } => push(Event::AspectRetired {
            aspect: aspect.clone(),
        }),
        Change::DefineCategory(category) => push(Event::CategoryDefined {
            category: category.id.clone(),
            aspect: category.aspect.clone(),
            name: category.name.clone(),
            name_en: category.name_en.clone(),
            number: category.number,
        }),
        Change::RenameCategory { category, name } => {
            let before = state
                .categories
                .get(category)
                .map(|c| c.name.clone())
                .ok_or_else(|| {
                    DomainError::Rejected(Violation::UnknownCategory(category.clone()))
                })?;
            push(Event::CategoryRenamed {
                category: category.clone(),
                before,
                after: name.clone(),
            });
        }
        Change::RetireCategory { category } => push(Event::CategoryRetired {
            category: category.clone(),
        }),
        Change::IntroduceItem(spec) => push(Event::ItemIntroduced {
            item: Box::new(spec.clone()),
        }),
        Change::AddLocalItem(LocalItem { item, assessment }) => {
            if info.jurisdiction.is_national() {
                return Err(DomainError::ChangeDoesNotFitKind {
                    op: entry.change.op_name(),
                    kind: "national standard",
                });
            }
            push(Event::LocalItemAdded {
                item: Box::new(item.clone()),
                assessment: assessment.clone(),
            })
        }
        Change::AmendItem { item, fields } => {
            let current = existing_item(state, item)?;
            let changes = field_changes_with(current, fields, true);
            if changes.is_empty() {
                return Err(DomainError::AmendmentChangesNothing(item.clone()));
            }
            push(Event::ItemAmended {
                item: item.clone(),
                changes,
            });
        }
        Change::MoveItem { item, placement } => {
            let current = existing_item(state, item)?;
            if &current.placement == placement {
                return Err(DomainError::AmendmentChangesNothing(item.clone()));
            }
            push(Event::ItemMoved {
                item: item.clone(),
                before: current.placement.clone(),
                after: placement.clone(),
            });
        }
        Change::RetireItem { item } => push(Event::ItemRetired { item: item.clone() }),
        Change::MergeItems { from, into } => {
            let into = match into {
                MergeTarget::Existing(id) => id.clone(),
                MergeTarget::New(spec) => {
                    push(Event::ItemIntroduced {
                        item: Box::new((**spec).clone()),
                    });
                    spec.id.clone()
                }
            };
            push(Event::ItemsMerged {
                from: from.clone(),
                into,
            });
        }
        Change::SplitItem { from, into } => {
            if into.iter().any(|spec| &spec.id == from) {
                return Err(DomainError::Rejected(Violation::LineageRepeats(
                    from.clone(),
                )));
            }
            for spec in into {
                push(Event::ItemIntroduced {
                    item: Box::new(spec.clone()),
                });
            }
            push(Event::ItemSplit {
                from: from.clone(),
                into: into.iter().map(|s| s.id.clone()).collect(),
            });
        }
    }
    Ok(())
}

fn existing_item<'s>(
    state: &'s Snapshot,
    item: &crate::ids::ItemId,
) -> Result<&'s ItemState, DomainError> {
    match state.items.get(item) {
        None => Err(DomainError::Rejected(Violation::UnknownItem(item.clone()))),
        Some(i) if !i.is_active() => {
            Err(DomainError::Rejected(Violation::ItemRetired(item.clone())))
        }
        Some(i) => Ok(i),
    }
}

/// Applies the whole timeline with the new events in place; names the first event that breaks.
fn check_timeline(
    history: &[RecordedEvent],
    new_events: &[NewDomainEvent],
) -> Result<(), DomainError> {
    let next_position = history.last().map_or(1, |e| e.global_position + 1);
    let recorded_at = history.last().map(|e| e.recorded_at).unwrap_or_default();
    let mut all: Vec<RecordedEvent> = history.to_vec();
    all.extend(new_events.iter().enumerate().map(|(i, e)| RecordedEvent {
        event_id: uuid::Uuid::nil(),
        global_position: next_position + i as u64,
        recorded_at,
        context: e.context.clone(),
        event: e.event.clone(),
    }));
    let ordered = in_force(&all, None, None);
    match fold(&ordered) {
        Ok(_) => Ok(()),
        Err((index, violation)) => {
            let failing = ordered[index];
            if failing.global_position >= next_position {
                Err(DomainError::Rejected(violation))
            } else {
                Err(DomainError::BreaksLaterEvent {
                    event_id: failing.event_id,
                    event_type: failing.event.type_name(),
                    revision: failing.context.revision.clone(),
                    effective_from: failing.context.effective_from,
                    violation,
                })
            }
        }
    }
}
