//! The consolidated state of one standard at one point, and `apply`: how one event changes it.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use imbl::OrdMap;

use crate::event::{Event, EventContext, FieldChange, RecordedEvent};
use crate::ids::{AspectId, CategoryId, ItemId, RevisionId};
use crate::model::{ItemFields, ItemSpec, Known, Placement, RevisionInfo, RevisionKind};
use crate::text::Text;

/// Whether an aspect, category or item is part of the standard at this point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Retired,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AspectState {
    pub id: AspectId,
    pub name: String,
    pub name_en: Option<String>,
    pub order: u32,
    pub status: Status,
    pub last_changed_by: RevisionId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CategoryState {
    pub id: CategoryId,
    pub aspect: AspectId,
    pub name: String,
    pub name_en: Option<String>,
    pub number: u32,
    pub status: Status,
    pub last_changed_by: RevisionId,
}

/// Predecessors and successors of an item through merges and splits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lineage {
    pub predecessors: Vec<ItemId>,
    pub successors: Vec<ItemId>,
}

/// One service item as it stands at a point.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemState {
    pub id: ItemId,
    pub placement: Placement,
    pub name: Known<Text>,
    pub name_en: Known<Text>,
    pub fields: ItemFields,
    pub national_item: Option<ItemId>,
    /// `Some` for a local item beyond national scope: the reference of its
    /// argumentation and risk assessment, itself possibly not on record.
    pub beyond_national_scope: Option<Known<Text>>,
    pub status: Status,
    /// Provenance: the revision whose event last changed this item.
    pub last_changed_by: RevisionId,
    pub introduced_by: RevisionId,
    /// Shared: few items are ever merged or split, and every amendment copies the state.
    pub lineage: Arc<Lineage>,
    /// Per amended field: the revision that last amended it.
    /// Lets a reader see that a field changed even when neither text is on record.
    pub amended_by: AmendedBy,
}

/// Per field of an item, the revision that last amended it.
///
/// A fixed slot per field rather than a map: every copy of an item the
/// timeline makes copies this too, and a copy must not allocate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AmendedBy([Option<RevisionId>; FIELD_NAMES.len()]);

/// The stored names of the fields an amendment can change, in the order
/// [`AmendedBy::iter`] gives them.
pub const FIELD_NAMES: [&str; 7] = [
    "expenditure_responsibility",
    "lead_units",
    "name",
    "name_en",
    "service_content",
    "service_standard",
    "service_target",
];

impl AmendedBy {
    fn slot(field: &str) -> Option<usize> {
        FIELD_NAMES.iter().position(|name| *name == field)
    }

    /// The revision that last amended `field` (a stored field name), if any did.
    pub fn get(&self, field: &str) -> Option<&RevisionId> {
        Self::slot(field).and_then(|slot| self.0[slot].as_ref())
    }

    /// Records that `revision` amended `field`; an unknown field name is ignored.
    pub fn insert(&mut self, field: &str, revision: RevisionId) {
        if let Some(slot) = Self::slot(field) {
            self.0[slot] = Some(revision);
        }
    }

    /// Amended fields with their revision, by field name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &RevisionId)> {
        FIELD_NAMES
            .iter()
            .zip(&self.0)
            .filter_map(|(name, revision)| revision.as_ref().map(|r| (*name, r)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }
}

impl ItemState {
    fn from_spec(spec: &ItemSpec, revision: &RevisionId) -> Self {
        Self {
            id: spec.id.clone(),
            placement: spec.placement.clone(),
            name: spec.name.clone(),
            name_en: spec.name_en.clone(),
            fields: spec.fields.clone(),
            national_item: spec.national_item.clone(),
            beyond_national_scope: None,
            status: Status::Active,
            last_changed_by: revision.clone(),
            introduced_by: revision.clone(),
            lineage: Arc::default(),
            amended_by: AmendedBy::default(),
        }
    }

    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }
}

/// A revision as the state knows it: published, in force at this point.
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionState {
    pub info: Arc<RevisionInfo>,
}

/// The consolidated state of one standard: the fold of its events in force.
///
/// The maps are persistent (structurally shared) and items are behind `Arc`,
/// so cloning a state is O(1) and the many versions a timeline keeps share
/// everything that did not change between them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    pub aspects: OrdMap<AspectId, AspectState>,
    pub categories: OrdMap<CategoryId, CategoryState>,
    pub items: OrdMap<ItemId, Arc<ItemState>>,
    /// Revisions whose events are part of this state, by id.
    pub revisions: OrdMap<RevisionId, Arc<RevisionInfo>>,
    pub declared_item_count: Option<u32>,
    /// Effective date of the revision that established the standard.
    pub established_on: Option<NaiveDate>,
}

/// Why an event cannot apply to a state. Names what is wrong, in the words of the domain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// The item was never introduced (at this point).
    #[error("item {0} does not exist at this date")]
    UnknownItem(ItemId),
    /// The item exists but was retired (merged, split or withdrawn from the standard).
    #[error("item {0} is retired at this date")]
    ItemRetired(ItemId),
    /// The item id is taken.
    #[error("item {0} already exists")]
    ItemExists(ItemId),
    /// Two active items would share a printed number in one category.
    #[error("number {number} in category {category} is already taken by item {holder}")]
    DuplicateNumber {
        category: CategoryId,
        number: u32,
        holder: ItemId,
    },
    #[error("category {0} does not exist at this date")]
    UnknownCategory(CategoryId),
    #[error("category {0} is retired at this date")]
    CategoryRetired(CategoryId),
    #[error("category {0} already exists")]
    CategoryExists(CategoryId),
    /// A category cannot be retired while items are in it.
    #[error("category {category} still holds item {item}")]
    CategoryInUse { category: CategoryId, item: ItemId },
    #[error("aspect {0} does not exist at this date")]
    UnknownAspect(AspectId),
    #[error("aspect {0} is retired at this date")]
    AspectRetired(AspectId),
    #[error("aspect {0} already exists")]
    AspectExists(AspectId),
    /// An aspect cannot be retired while categories are in it.
    #[error("aspect {aspect} still holds category {category}")]
    AspectInUse {
        aspect: AspectId,
        category: CategoryId,
    },
    /// A merge needs two or more sources, a split two or more parts.
    #[error("a {operation} needs at least two distinct items, got {count}")]
    LineageTooShort {
        operation: &'static str,
        count: usize,
    },
    /// The same item named twice in one merge or split, or a split into itself.
    #[error("item {0} appears twice in one merge or split")]
    LineageRepeats(ItemId),
    /// Anything effective before the revision that established the standard.
    #[error("the standard does not exist yet on {0}")]
    StandardNotEstablished(NaiveDate),
    /// A second founding revision with nothing before it, or a founding one of the wrong kind.
    #[error("the first revision of a standard must state the whole standard, not be a {0}")]
    NotAFoundingRevision(&'static str),
}

/// Applies one event to a state, checking every invariant the event could break.
/// On error the state is unchanged.
pub fn apply(state: &mut Snapshot, context: &EventContext, event: &Event) -> Result<(), Violation> {
    match event {
        Event::RevisionPublished { revision } => return publish(state, revision),
        // Acts on which events are in force (`in_force`), not on the state.
        Event::RevisionWithdrawn { .. } => return Ok(()),
        _ => {}
    }
    if state.established_on.is_none() {
        return Err(Violation::StandardNotEstablished(context.effective_from));
    }
    let by = &context.revision;
    match event {
        Event::RevisionPublished { .. } | Event::RevisionWithdrawn { .. } => Ok(()),
        Event::AspectDefined {
            aspect,
            name,
            name_en,
            order,
        } => {
            if state.aspects.contains_key(aspect) {
                return Err(Violation::AspectExists(aspect.clone()));
            }
            state.aspects.insert(
                aspect.clone(),
                AspectState {
                    id: aspect.clone(),
                    name: name.clone(),
                    name_en: name_en.clone(),
                    order: *order,
                    status: Status::Active,
                    last_changed_by: by.clone(),
                },
            );
            Ok(())
        }
        Event::AspectRenamed { aspect, after, .. } => {
            let state = active_aspect(state, aspect)?;
            state.name = after.clone();
            state.last_changed_by = by.clone();
            Ok(())
        }
        Event::AspectRetired { aspect } => {
            active_aspect(state, aspect)?;
            if let Some(category) = state
                .categories
                .values()
                .find(|c| &c.aspect == aspect && c.status == Status::Active)
            {
                return Err(Violation::AspectInUse {
                    aspect: aspect.clone(),
                    category: category.id.clone(),
                });
            }
            let aspect = active_aspect(state, aspect)?;
            aspect.status = Status::Retired;
            aspect.last_changed_by = by.clone();
            Ok(())
        }
        Event::CategoryDefined {
            category,
            aspect,
            name,
            name_en,
            number,
        } => {
            if state.categories.contains_key(category) {
                return Err(Violation::CategoryExists(category.clone()));
            }
            active_aspect(state, aspect)?;
            state.categories.insert(
                category.clone(),
                CategoryState {
                    id: category.clone(),
                    aspect: aspect.clone(),
                    name: name.clone(),
                    name_en: name_en.clone(),
                    number: *number,
                    status: Status::Active,
                    last_changed_by: by.clone(),
                },
            );
            Ok(())
        }
        Event::CategoryRenamed {
            category, after, ..
        } => {
            let category = active_category(state, category)?;
            category.name = after.clone();
            category.last_changed_by = by.clone();
            Ok(())
        }
        Event::CategoryRetired { category } => {
            active_category(state, category)?;
            if let Some(item) = state
                .items
                .values()
                .find(|i| i.is_active() && i.placement.category.as_known() == Some(category))
            {
                return Err(Violation::CategoryInUse {
                    category: category.clone(),
                    item: item.id.clone(),
                });
            }
            let category = active_category(state, category)?;
            category.status = Status::Retired;
            category.last_changed_by = by.clone();
            Ok(())
        }
        Event::ItemIntroduced { item } => introduce(state, item, None, by),
        Event::LocalItemAdded { item, assessment } => {
            introduce(state, item, Some(assessment.clone()), by)
        }
        Event::ItemAmended { item, changes } => {
            let item = active_item(state, item)?;
            let item = Arc::make_mut(item);
            for change in changes {
                amend(item, change);
                item.amended_by.insert(change.field_name(), by.clone());
            }
            item.last_changed_by = by.clone();
            Ok(())
        }
        Event::ItemMoved { item, after, .. } => {
            active_item(state, item)?;
            check_placement(state, after, Some(item))?;
            let item = active_item(state, item)?;
            let item = Arc::make_mut(item);
            item.placement = after.clone();
            item.last_changed_by = by.clone();
            Ok(())
        }
        Event::ItemRetired { item } => {
            let item = Arc::make_mut(active_item(state, item)?);
            item.status = Status::Retired;
            item.last_changed_by = by.clone();
            Ok(())
        }
        Event::ItemsMerged { from, into } => merge(state, from, into, by),
        Event::ItemSplit { from, into } => split(state, from, into, by),
    }
}

/// Points an amendment's item id and `before` sides at what `state` already
/// holds where they are equal, so that what the log states twice (an item's
/// id in each of its events; a text as one amendment's `after` and the next
/// one's `before`) is held once. Changes no value: only which allocation an
/// equal id or text lives in.
pub fn share_with_state(state: &Snapshot, event: &mut Event) {
    let Event::ItemAmended { item, changes } = event else {
        return;
    };
    let Some(current) = state.items.get(item) else {
        return;
    };
    if !ItemId::ptr_eq(item, &current.id) {
        *item = current.id.clone();
    }
    for change in changes {
        match change {
            FieldChange::Name { before, .. } => share(before, &current.name),
            FieldChange::NameEn { before, .. } => share(before, &current.name_en),
            FieldChange::ServiceTarget { before, .. } => {
                share(before, &current.fields.service_target)
            }
            FieldChange::ServiceContent { before, .. } => {
                share(before, &current.fields.service_content)
            }
            FieldChange::ExpenditureResponsibility { before, .. } => {
                share(before, &current.fields.expenditure_responsibility)
            }
            FieldChange::ServiceStandard { before, .. } => {
                if let (Known::Known(before), Known::Known(held)) =
                    (before, &current.fields.service_standard)
                {
                    share_text(&mut before.text, &held.text);
                    share_arc(&mut before.levels, &held.levels);
                }
            }
            FieldChange::LeadUnits { before, .. } => {
                if let (Known::Known(before), Known::Known(held)) =
                    (before, &current.fields.lead_units)
                {
                    share_arc(before, held);
                }
            }
        }
    }
}

fn share(text: &mut Known<Text>, held: &Known<Text>) {
    if let (Known::Known(text), Known::Known(held)) = (text, held) {
        share_text(text, held);
    }
}

fn share_arc<T: PartialEq + ?Sized>(value: &mut Arc<T>, held: &Arc<T>) {
    if !Arc::ptr_eq(value, held) && value == held {
        *value = Arc::clone(held);
    }
}

fn share_text(text: &mut Text, held: &Text) {
    if !Text::ptr_eq(text, held) && text == held {
        *text = held.clone();
    }
}

fn publish(state: &mut Snapshot, revision: &Arc<RevisionInfo>) -> Result<(), Violation> {
    // A withdrawal may cancel the founding revision itself before it takes effect.
    if state.established_on.is_none() && revision.kind != RevisionKind::Withdrawal {
        if !revision.kind.states_whole_standard() {
            return Err(Violation::NotAFoundingRevision(revision.kind.as_str()));
        }
        state.established_on = Some(revision.effective_from);
    }
    if let Some(count) = revision.declared_item_count {
        state.declared_item_count = Some(count);
    }
    state
        .revisions
        .insert(revision.id.clone(), Arc::clone(revision));
    Ok(())
}

fn active_aspect<'s>(
    state: &'s mut Snapshot,
    aspect: &AspectId,
) -> Result<&'s mut AspectState, Violation> {
    match state.aspects.get_mut(aspect) {
        None => Err(Violation::UnknownAspect(aspect.clone())),
        Some(a) if a.status == Status::Retired => Err(Violation::AspectRetired(aspect.clone())),
        Some(a) => Ok(a),
    }
}

fn active_category<'s>(
    state: &'s mut Snapshot,
    category: &CategoryId,
) -> Result<&'s mut CategoryState, Violation> {
    match state.categories.get_mut(category) {
        None => Err(Violation::UnknownCategory(category.clone())),
        Some(c) if c.status == Status::Retired => Err(Violation::CategoryRetired(category.clone())),
        Some(c) => Ok(c),
    }
}

fn active_item<'s>(
    state: &'s mut Snapshot,
    item: &ItemId,
) -> Result<&'s mut Arc<ItemState>, Violation> {
    match state.items.get_mut(item) {
        None => Err(Violation::UnknownItem(item.clone())),
        Some(i) if !i.is_active() => Err(Violation::ItemRetired(item.clone())),
        Some(i) => Ok(i),
    }
}

/// The category must be active and the number free in it (ignoring `moving` itself).
fn check_placement(
    state: &mut Snapshot,
    placement: &Placement,
    moving: Option<&ItemId>,
) -> Result<(), Violation> {
    let Known::Known(category) = &placement.category else {
        return Ok(());
    };
    active_category(state, category)?;
    let Known::Known(number) = placement.number else {
        return Ok(());
    };
    let holder = state.items.values().find(|i| {
        i.is_active()
            && Some(&i.id) != moving
            && i.placement.category.as_known() == Some(category)
            && i.placement.number == Known::Known(number)
    });
    match holder {
        Some(holder) => Err(Violation::DuplicateNumber {
            category: category.clone(),
            number,
            holder: holder.id.clone(),
        }),
        None => Ok(()),
    }
}

fn introduce(
    state: &mut Snapshot,
    spec: &ItemSpec,
    beyond_national_scope: Option<Known<Text>>,
    by: &RevisionId,
) -> Result<(), Violation> {
    if state.items.contains_key(&spec.id) {
        return Err(Violation::ItemExists(spec.id.clone()));
    }
    check_placement(state, &spec.placement, None)?;
    let mut item = ItemState::from_spec(spec, by);
    item.beyond_national_scope = beyond_national_scope;
    state.items.insert(spec.id.clone(), Arc::new(item));
    Ok(())
}

fn amend(item: &mut ItemState, change: &FieldChange) {
    let fields = &mut item.fields;
    match change {
        FieldChange::Name { after, .. } => item.name = after.clone(),
        FieldChange::NameEn { after, .. } => item.name_en = after.clone(),
        FieldChange::ServiceTarget { after, .. } => fields.service_target = after.clone(),
        FieldChange::ServiceContent { after, .. } => fields.service_content = after.clone(),
        FieldChange::ServiceStandard { after, .. } => fields.service_standard = after.clone(),
        FieldChange::ExpenditureResponsibility { after, .. } => {
            fields.expenditure_responsibility = after.clone()
        }
        FieldChange::LeadUnits { after, .. } => fields.lead_units = after.clone(),
    }
}

fn distinct<'a>(
    ids: impl IntoIterator<Item = &'a ItemId>,
    operation: &'static str,
) -> Result<usize, Violation> {
    let mut seen = BTreeSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(Violation::LineageRepeats(id.clone()));
        }
    }
    if seen.len() < 2 {
        return Err(Violation::LineageTooShort {
            operation,
            count: seen.len(),
        });
    }
    Ok(seen.len())
}

fn merge(
    state: &mut Snapshot,
    from: &[ItemId],
    into: &ItemId,
    by: &RevisionId,
) -> Result<(), Violation> {
    distinct(from, "merge")?;
    for id in from.iter().chain(std::iter::once(into)) {
        active_item(state, id)?;
    }
    for id in from.iter().filter(|id| *id != into) {
        let source = Arc::make_mut(active_item(state, id)?);
        source.status = Status::Retired;
        Arc::make_mut(&mut source.lineage)
            .successors
            .push(into.clone());
        source.last_changed_by = by.clone();
    }
    let target = Arc::make_mut(active_item(state, into)?);
    Arc::make_mut(&mut target.lineage)
        .predecessors
        .extend(from.iter().filter(|id| *id != into).cloned());
    target.last_changed_by = by.clone();
    Ok(())
}

fn split(
    state: &mut Snapshot,
    from: &ItemId,
    into: &[ItemId],
    by: &RevisionId,
) -> Result<(), Violation> {
    distinct(into, "split")?;
    if into.contains(from) {
        return Err(Violation::LineageRepeats(from.clone()));
    }
    for id in into.iter().chain(std::iter::once(from)) {
        active_item(state, id)?;
    }
    for id in into {
        let part = Arc::make_mut(active_item(state, id)?);
        Arc::make_mut(&mut part.lineage)
            .predecessors
            .push(from.clone());
        part.last_changed_by = by.clone();
    }
    let source = Arc::make_mut(active_item(state, from)?);
    source.status = Status::Retired;
    Arc::make_mut(&mut source.lineage)
        .successors
        .extend(into.iter().cloned());
    source.last_changed_by = by.clone();
    Ok(())
}

/// The events of one stream that are in force at (`valid_at`, `known_at`), in fold order.
///
/// This is the definition of docs/ARCHITECTURE.md ("Time"): events recorded at or before `known_at`,
/// minus those of revisions withdrawn by then, effective on or before `valid_at`,
/// in effective-date order with ties broken by log order.
/// `events` must be in log order. `None` bounds mean "no bound".
pub fn in_force(
    events: &[RecordedEvent],
    valid_at: Option<NaiveDate>,
    known_at: Option<DateTime<Utc>>,
) -> Vec<&RecordedEvent> {
    let known: Vec<&RecordedEvent> = events
        .iter()
        .filter(|e| known_at.is_none_or(|t| e.recorded_at <= t))
        .collect();
    let withdrawn: BTreeSet<&RevisionId> = known
        .iter()
        .filter_map(|e| match &e.event {
            Event::RevisionWithdrawn { withdrawn } => Some(withdrawn),
            _ => None,
        })
        .collect();
    let mut selected: Vec<&RecordedEvent> = known
        .into_iter()
        .filter(|e| !withdrawn.contains(&e.context.revision))
        .filter(|e| valid_at.is_none_or(|v| e.context.effective_from <= v))
        .collect();
    selected.sort_by_key(|e| e.context.effective_from);
    selected
}

/// The brute-force fold: the reference every faster index is checked against.
pub fn fold(events: &[&RecordedEvent]) -> Result<Snapshot, (usize, Violation)> {
    let mut state = Snapshot::default();
    for (index, event) in events.iter().enumerate() {
        apply(&mut state, &event.context, &event.event).map_err(|v| (index, v))?;
    }
    Ok(state)
}
