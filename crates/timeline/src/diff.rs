//! Differences between the standard at two points.

use domain::event::FieldChange;
use domain::ids::{AspectId, CategoryId, ItemId};
use domain::model::Placement;
use domain::state::Snapshot;

use crate::history::field_diff;

#[derive(Debug, Clone, PartialEq)]
pub enum ItemChange {
    Added,
    Retired,
    /// Retired into the named item by a merge.
    MergedInto(ItemId),
    /// Retired by a split into the named items.
    SplitInto(Vec<ItemId>),
    /// Added by a merge of the named items.
    MergedFrom(Vec<ItemId>),
    /// Added by a split of the named item.
    SplitFrom(ItemId),
    /// Present at both points; fields or placement differ.
    Changed,
}

/// Field-level before/after of one item.
pub type FieldDiff = FieldChange;

#[derive(Debug, Clone, PartialEq)]
pub struct ItemDiff {
    pub item: ItemId,
    pub change: ItemChange,
    pub fields: Vec<FieldChange>,
    /// Set when the item was renumbered or moved.
    pub placement: Option<(Placement, Placement)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StructureChange {
    AspectAdded(AspectId),
    AspectRenamed {
        aspect: AspectId,
        before: String,
        after: String,
    },
    AspectRetired(AspectId),
    CategoryAdded(CategoryId),
    CategoryRenamed {
        category: CategoryId,
        before: String,
        after: String,
    },
    CategoryRetired(CategoryId),
}

/// What kind of change a [`StructureChange`] is, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StructureKind {
    AspectAdded,
    AspectRenamed,
    AspectRetired,
    CategoryAdded,
    CategoryRenamed,
    CategoryRetired,
}

impl StructureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StructureKind::AspectAdded => "aspect_added",
            StructureKind::AspectRenamed => "aspect_renamed",
            StructureKind::AspectRetired => "aspect_retired",
            StructureKind::CategoryAdded => "category_added",
            StructureKind::CategoryRenamed => "category_renamed",
            StructureKind::CategoryRetired => "category_retired",
        }
    }
}

impl StructureChange {
    /// The kind of change, the aspect or category it is about, and for a rename the names before and after.
    pub fn parts(&self) -> (StructureKind, &str, Option<(&str, &str)>) {
        match self {
            StructureChange::AspectAdded(id) => (StructureKind::AspectAdded, id.as_str(), None),
            StructureChange::AspectRenamed {
                aspect,
                before,
                after,
            } => (
                StructureKind::AspectRenamed,
                aspect.as_str(),
                Some((before.as_str(), after.as_str())),
            ),
            StructureChange::AspectRetired(id) => (StructureKind::AspectRetired, id.as_str(), None),
            StructureChange::CategoryAdded(id) => (StructureKind::CategoryAdded, id.as_str(), None),
            StructureChange::CategoryRenamed {
                category,
                before,
                after,
            } => (
                StructureKind::CategoryRenamed,
                category.as_str(),
                Some((before.as_str(), after.as_str())),
            ),
            StructureChange::CategoryRetired(id) => {
                (StructureKind::CategoryRetired, id.as_str(), None)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diff {
    pub items: Vec<ItemDiff>,
    pub structure: Vec<StructureChange>,
    pub declared_item_count: Option<(Option<u32>, Option<u32>)>,
}

impl Diff {
    /// Differences from `from` to `to`; a missing side is an empty standard.
    pub fn between(from: Option<&Snapshot>, to: Option<&Snapshot>) -> Diff {
        let empty = Snapshot::default();
        let a = from.unwrap_or(&empty);
        let b = to.unwrap_or(&empty);
        let mut diff = Diff::default();
        structure(a, b, &mut diff.structure);
        if a.declared_item_count != b.declared_item_count {
            diff.declared_item_count = Some((a.declared_item_count, b.declared_item_count));
        }
        let active_in = |s: &Snapshot, id: &ItemId| s.items.get(id).is_some_and(|i| i.is_active());
        let ids: std::collections::BTreeSet<&ItemId> =
            a.items.keys().chain(b.items.keys()).collect();
        for id in ids {
            let (in_a, in_b) = (active_in(a, id), active_in(b, id));
            let change = match (in_a, in_b) {
                (false, false) => continue,
                (true, false) => {
                    let successors = b
                        .items
                        .get(id)
                        .map(|i| i.lineage.successors.clone())
                        .unwrap_or_default();
                    match successors.as_slice() {
                        [] => ItemChange::Retired,
                        [one] => ItemChange::MergedInto(one.clone()),
                        _ => ItemChange::SplitInto(successors),
                    }
                }
                (false, true) => {
                    let item = &b.items[id];
                    let new_preds: Vec<ItemId> = item
                        .lineage
                        .predecessors
                        .iter()
                        .filter(|p| active_in(a, p))
                        .cloned()
                        .collect();
                    match new_preds.as_slice() {
                        [] => ItemChange::Added,
                        [one]
                            if b.items
                                .get(one)
                                .is_some_and(|p| p.lineage.successors.len() > 1) =>
                        {
                            ItemChange::SplitFrom(one.clone())
                        }
                        _ => ItemChange::MergedFrom(new_preds),
                    }
                }
                (true, true) => {
                    let (ia, ib) = (&a.items[id], &b.items[id]);
                    if std::sync::Arc::ptr_eq(ia, ib) || ia == ib {
                        continue;
                    }
                    let fields = field_diff(ia, ib);
                    let placement = (ia.placement != ib.placement)
                        .then(|| (ia.placement.clone(), ib.placement.clone()));
                    let merged: Vec<ItemId> = ib
                        .lineage
                        .predecessors
                        .iter()
                        .filter(|p| !ia.lineage.predecessors.contains(p))
                        .cloned()
                        .collect();
                    if fields.is_empty() && placement.is_none() && merged.is_empty() {
                        continue;
                    }
                    diff.items.push(ItemDiff {
                        item: id.clone(),
                        change: if merged.is_empty() {
                            ItemChange::Changed
                        } else {
                            ItemChange::MergedFrom(merged)
                        },
                        fields,
                        placement,
                    });
                    continue;
                }
            };
            let fields = match (&change, b.items.get(id)) {
                (
                    ItemChange::Added | ItemChange::MergedFrom(_) | ItemChange::SplitFrom(_),
                    Some(item),
                ) => {
                    let mut blank = item.as_ref().clone();
                    blank.name = Default::default();
                    blank.name_en = Default::default();
                    blank.fields = Default::default();
                    field_diff(&blank, item)
                }
                _ => Vec::new(),
            };
            diff.items.push(ItemDiff {
                item: id.clone(),
                change,
                fields,
                placement: None,
            });
        }
        diff
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.structure.is_empty() && self.declared_item_count.is_none()
    }
}

fn structure(a: &Snapshot, b: &Snapshot, out: &mut Vec<StructureChange>) {
    let active = |s: domain::state::Status| s == domain::state::Status::Active;
    for (id, asp) in &b.aspects {
        match a.aspects.get(id) {
            Some(old) if active(old.status) && active(asp.status) && old.name != asp.name => out
                .push(StructureChange::AspectRenamed {
                    aspect: id.clone(),
                    before: old.name.clone(),
                    after: asp.name.clone(),
                }),
            Some(old) if active(old.status) && !active(asp.status) => {
                out.push(StructureChange::AspectRetired(id.clone()))
            }
            Some(old) if active(old.status) || !active(asp.status) => {}
            _ if active(asp.status) => out.push(StructureChange::AspectAdded(id.clone())),
            _ => {}
        }
    }
    for (id, cat) in &b.categories {
        match a.categories.get(id) {
            Some(old) if active(old.status) && active(cat.status) && old.name != cat.name => out
                .push(StructureChange::CategoryRenamed {
                    category: id.clone(),
                    before: old.name.clone(),
                    after: cat.name.clone(),
                }),
            Some(old) if active(old.status) && !active(cat.status) => {
                out.push(StructureChange::CategoryRetired(id.clone()))
            }
            Some(old) if active(old.status) || !active(cat.status) => {}
            _ if active(cat.status) => out.push(StructureChange::CategoryAdded(id.clone())),
            _ => {}
        }
    }
    // Gone entirely from `to`: retired, unless already retired at `from`.
    for (id, _) in a
        .aspects
        .iter()
        .filter(|(id, old)| active(old.status) && !b.aspects.contains_key(*id))
    {
        out.push(StructureChange::AspectRetired(id.clone()));
    }
    for (id, _) in a
        .categories
        .iter()
        .filter(|(id, old)| active(old.status) && !b.categories.contains_key(*id))
    {
        out.push(StructureChange::CategoryRetired(id.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_name_the_kind_the_node_and_a_rename() {
        let category = CategoryId::parse("C21").expect("id");
        let aspect = AspectId::parse("WTFW").expect("id");
        let cases = [
            (
                StructureChange::CategoryRenamed {
                    category: category.clone(),
                    before: "公共文化服务".into(),
                    after: "公共文化".into(),
                },
                (
                    "category_renamed",
                    "C21",
                    Some(("公共文化服务", "公共文化")),
                ),
            ),
            (
                StructureChange::AspectRetired(aspect.clone()),
                ("aspect_retired", "WTFW", None),
            ),
            (
                StructureChange::CategoryAdded(category),
                ("category_added", "C21", None),
            ),
        ];
        for (change, (kind, id, rename)) in cases {
            let (got_kind, got_id, got_rename) = change.parts();
            assert_eq!((got_kind.as_str(), got_id, got_rename), (kind, id, rename));
        }
    }
}
