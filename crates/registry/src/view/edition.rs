//! The consolidated standard at a point, and the versions of a standard.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{ItemId, Jurisdiction};
use domain::state::{CategoryState, ItemState, Snapshot, Status};
use serde::Serialize;
use timeline::{Edition, Version};

use super::{ItemView, RevisionLink, item_order};

#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    pub id: String,
    /// The aspect the category belongs to.
    pub aspect: String,
    pub number: u32,
    pub name: String,
    pub name_en: Option<String>,
    /// Items in force in the category, in display order.
    pub items: Vec<ItemView>,
}

impl CategoryView {
    pub(crate) fn new(category: &CategoryState, snapshot: &Arc<Snapshot>) -> Self {
        Self::with_items(category, snapshot, &active_items(snapshot))
    }

    /// `items`: the snapshot's active items in display order.
    fn with_items(
        category: &CategoryState,
        snapshot: &Arc<Snapshot>,
        items: &[&Arc<ItemState>],
    ) -> Self {
        Self {
            id: category.id.to_string(),
            aspect: category.aspect.to_string(),
            number: category.number,
            name: category.name.clone(),
            name_en: category.name_en.clone(),
            items: items
                .iter()
                .filter(|i| i.placement.category.as_known() == Some(&category.id))
                .map(|i| ItemView::new(i, snapshot))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AspectView {
    pub id: String,
    pub order: u32,
    pub name: String,
    pub name_en: Option<String>,
    pub categories: Vec<CategoryView>,
}

/// The consolidated standard at (`valid_at`, `known_at`): aspects in printed
/// order, their categories by number, their items by number (see
/// [`item_order`](super::item_order)), then the items no source places.
#[derive(Debug, Clone, Serialize)]
pub struct EditionView {
    pub jurisdiction: String,
    pub valid_at: NaiveDate,
    /// `null`: as the registry stands now.
    pub known_at: Option<DateTime<Utc>>,
    /// False when no revision was in force at that point (as known then).
    pub in_force: bool,
    pub declared_item_count: Option<u32>,
    pub item_count: usize,
    /// The version in force: since when, and by which revisions.
    pub version_valid_from: Option<NaiveDate>,
    pub version_revisions: Vec<RevisionLink>,
    pub aspects: Vec<AspectView>,
    /// Items no source places in a category.
    pub unplaced_items: Vec<ItemView>,
}

/// Active items of a snapshot in display order.
pub fn active_items(snapshot: &Snapshot) -> Vec<&Arc<ItemState>> {
    let mut items: Vec<&Arc<ItemState>> =
        snapshot.items.values().filter(|i| i.is_active()).collect();
    items.sort_by(|a, b| item_order(a, b));
    items
}

impl EditionView {
    pub fn new(edition: &Edition) -> Self {
        Self::of_version(
            &edition.jurisdiction,
            edition.valid_at,
            edition.known_at,
            edition.version.as_ref(),
        )
    }

    /// The standard as one version states it, asked about on `valid_at`.
    pub fn of_version(
        jurisdiction: &Jurisdiction,
        valid_at: NaiveDate,
        known_at: Option<DateTime<Utc>>,
        version: Option<&Version>,
    ) -> Self {
        let snapshot = version.map_or_else(Arc::default, |v| Arc::clone(&v.snapshot));
        let snapshot = &snapshot;
        let items = active_items(snapshot);
        let mut aspects: Vec<_> = snapshot
            .aspects
            .values()
            .filter(|a| a.status == Status::Active)
            .collect();
        aspects.sort_by(|a, b| (a.order, &a.id).cmp(&(b.order, &b.id)));
        let aspects = aspects
            .into_iter()
            .map(|a| {
                let mut categories: Vec<_> = snapshot
                    .categories
                    .values()
                    .filter(|c| c.aspect == a.id && c.status == Status::Active)
                    .collect();
                categories.sort_by(|x, y| (x.number, &x.id).cmp(&(y.number, &y.id)));
                AspectView {
                    id: a.id.to_string(),
                    order: a.order,
                    name: a.name.clone(),
                    name_en: a.name_en.clone(),
                    categories: categories
                        .into_iter()
                        .map(|c| CategoryView::with_items(c, snapshot, &items))
                        .collect(),
                }
            })
            .collect();
        let placed = |i: &ItemState| {
            i.placement.category.as_known().is_some_and(|c| {
                snapshot
                    .categories
                    .get(c)
                    .is_some_and(|c| c.status == Status::Active)
            })
        };
        Self {
            jurisdiction: jurisdiction.to_string(),
            valid_at,
            known_at,
            in_force: version.is_some(),
            declared_item_count: snapshot.declared_item_count,
            item_count: items.len(),
            version_valid_from: version.map(|v| v.valid_from),
            version_revisions: version.map_or_else(Vec::new, |v| {
                v.revisions
                    .iter()
                    .map(|r| RevisionLink::lookup(snapshot, r))
                    .collect()
            }),
            aspects,
            unplaced_items: items
                .iter()
                .filter(|i| !placed(i))
                .map(|i| ItemView::new(i, snapshot))
                .collect(),
        }
    }

    /// Every item in force in display order: placed ones by aspect and category, then the unplaced.
    pub fn items(&self) -> impl Iterator<Item = &ItemView> {
        self.aspects
            .iter()
            .flat_map(|a| &a.categories)
            .flat_map(|c| &c.items)
            .chain(&self.unplaced_items)
    }

    /// One item in force in this edition.
    pub fn item(&self, id: &ItemId) -> Option<&ItemView> {
        self.items().find(|i| &i.item.id == id)
    }
}

/// One point at which the consolidated text changed.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub valid_from: NaiveDate,
    pub revisions: Vec<RevisionLink>,
    pub item_count: usize,
    #[serde(skip)]
    jurisdiction: Jurisdiction,
    #[serde(skip)]
    known_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    version: Version,
}

impl VersionView {
    pub fn new(
        jurisdiction: &Jurisdiction,
        known_at: Option<DateTime<Utc>>,
        version: &Version,
    ) -> Self {
        Self {
            valid_from: version.valid_from,
            revisions: version
                .revisions
                .iter()
                .map(|r| RevisionLink::lookup(&version.snapshot, r))
                .collect(),
            item_count: active_items(&version.snapshot).len(),
            jurisdiction: jurisdiction.clone(),
            known_at,
            version: version.clone(),
        }
    }

    /// The standard as this version states it.
    pub fn edition(&self) -> EditionView {
        EditionView::of_version(
            &self.jurisdiction,
            self.valid_from,
            self.known_at,
            Some(&self.version),
        )
    }
}
