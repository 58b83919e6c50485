//! The index: terms to sets of item keys, kept current from the timeline.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use domain::ids::{ItemId, Jurisdiction};
use domain::state::{ItemState, Snapshot};
use domain::text::Text;
use roaring::RoaringBitmap;
use rustc_hash::{FxHashMap, FxHashSet};
use timeline::{StandardTimeline, Timeline, Version};

use crate::analyzer::{Analyzer, Grams, Matching, Term, holds};
use crate::hits::{Segment, segments, snippets};
use crate::query::Query;
use crate::{
    Cursor, Field, Filter, Hit, ITEMS_EXAMINED_MAX, PAGE_SIZE_MAX, Page, Request, Scope,
    SearchError, When,
};

/// The search index of a registry.
#[derive(Debug)]
pub struct SearchIndex {
    pub(crate) analyzer: Box<dyn Analyzer>,
    pub(crate) standards: Vec<StandardEntry>,
    pub(crate) standard_keys: FxHashMap<Jurisdiction, u32>,
    pub(crate) items: Vec<ItemEntry>,
    pub(crate) item_keys: FxHashMap<(u32, ItemId), u32>,
    pub(crate) terms: FxHashMap<Term, u32>,
    /// Per term, the items whose text held it in some version.
    pub(crate) postings: Vec<RoaringBitmap>,
}

#[derive(Debug)]
pub(crate) struct StandardEntry {
    pub(crate) jurisdiction: Jurisdiction,
    pub(crate) items: RoaringBitmap,
    /// The versions indexed last by a full walk, to find where the next generation differs.
    pub(crate) indexed: Vec<Arc<Snapshot>>,
    /// The standard's ingest (`Refolded::ingest`) the index has seen.
    pub(crate) ingest: u64,
}

#[derive(Debug)]
pub(crate) struct ItemEntry {
    pub(crate) standard: u32,
    pub(crate) id: ItemId,
    /// Texts already indexed for this item: each distinct text is analysed once.
    pub(crate) seen: FxHashSet<Text>,
}

/// What one ingest of a standard brings to the index ([`SearchIndex::changes`]).
#[derive(Debug)]
pub struct Changes {
    jurisdiction: Jurisdiction,
    ingest: u64,
    items: Vec<ItemChange>,
}

#[derive(Debug)]
struct ItemChange {
    id: ItemId,
    /// Texts of the item the index had not seen.
    texts: Vec<Text>,
    /// Their terms, sorted, without repeats.
    terms: Vec<Term>,
}

/// Sizes of the index, for the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    pub standards: usize,
    pub items: usize,
    pub terms: usize,
    /// Item keys over all posting sets.
    pub postings: u64,
    /// Distinct texts indexed (per item).
    pub texts: usize,
    /// Estimated heap bytes of the index (posting sets, tables, per-item text sets).
    pub heap_bytes: usize,
}

impl Default for SearchIndex {
    fn default() -> Self {
        Self::new(Box::new(Grams))
    }
}

impl SearchIndex {
    /// An empty index analysing text with `analyzer` ([`Grams`] in production).
    pub fn new(analyzer: Box<dyn Analyzer>) -> Self {
        Self {
            analyzer,
            standards: Vec::new(),
            standard_keys: FxHashMap::default(),
            items: Vec::new(),
            item_keys: FxHashMap::default(),
            terms: FxHashMap::default(),
            postings: Vec::new(),
        }
    }

    pub fn analyzer(&self) -> &dyn Analyzer {
        self.analyzer.as_ref()
    }

    /// Indexes what the standard's latest generation holds that the index has not
    /// seen. Call it after every ingest of the standard (the registry does);
    /// it is [`SearchIndex::changes`] then [`SearchIndex::apply`].
    pub fn update(&mut self, standard: &StandardTimeline) {
        let changes = self.changes(standard);
        self.apply(changes, standard);
    }

    /// What the standard's last ingest brings to the index, worked out
    /// without changing it, so that several standards can be worked out at
    /// once: the items the ingest's events touched, in the versions it folded
    /// again ([`timeline::Refolded`]), each with its texts the index has not
    /// seen and their terms. Every other item of those versions is the one of
    /// the version before, which an index that saw every earlier ingest holds.
    pub fn changes(&self, standard: &StandardTimeline) -> Changes {
        let refolded = standard.refolded();
        let versions = standard.all_versions(None);
        let standard_key = self.standard_keys.get(standard.jurisdiction()).copied();
        let mut items: Vec<ItemChange> = Vec::new();
        let mut last: Option<*const ItemState> = None;
        for (version, id) in &refolded.touched {
            let Some(item) = versions
                .get(*version)
                .and_then(|v| v.snapshot.items.get(id))
            else {
                continue;
            };
            // Several events of one date group often touch the same item.
            if last == Some(Arc::as_ptr(item)) {
                continue;
            }
            last = Some(Arc::as_ptr(item));
            let seen = standard_key
                .and_then(|s| self.item_keys.get(&(s, id.clone())))
                .map(|&k| &self.items[k as usize].seen);
            let mut change = ItemChange {
                id: id.clone(),
                texts: Vec::new(),
                terms: Vec::new(),
            };
            for text in item_texts(item) {
                if !seen.is_some_and(|s| s.contains(text)) && !change.texts.contains(text) {
                    change.texts.push(text.clone());
                    self.analyzer.index_terms(text, &mut change.terms);
                }
            }
            change.terms.sort_unstable();
            change.terms.dedup();
            items.push(change);
        }
        Changes {
            jurisdiction: standard.jurisdiction().clone(),
            ingest: refolded.ingest,
            items,
        }
    }

    /// Adds what [`SearchIndex::changes`] found. Changes of one standard must
    /// come in the order of its ingests; when the index missed one (an index
    /// started on a timeline already built), it walks `standard` instead: the
    /// versions that differ from those it indexed last and, in them, the
    /// items that differ from the version before.
    pub fn apply(&mut self, changes: Changes, standard: &StandardTimeline) {
        let key = self.standard_key(&changes.jurisdiction);
        let entry = &self.standards[key as usize];
        if entry.ingest >= changes.ingest {
            return;
        }
        if entry.ingest + 1 != changes.ingest {
            self.walk(key, standard.all_versions(None));
            self.standards[key as usize].ingest = standard.refolded().ingest;
            return;
        }
        for change in changes.items {
            let item_key = self.item_key(key, &change.id);
            let seen = &mut self.items[item_key as usize].seen;
            for text in change.texts {
                seen.insert(text);
            }
            self.post(item_key, change.terms);
        }
        let entry = &mut self.standards[key as usize];
        entry.ingest = changes.ingest;
        // A later walk starts from nothing rather than from versions kept stale.
        entry.indexed.clear();
    }

    fn standard_key(&mut self, jurisdiction: &Jurisdiction) -> u32 {
        match self.standard_keys.entry(jurisdiction.clone()) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let key = self.standards.len() as u32;
                self.standards.push(StandardEntry {
                    jurisdiction: jurisdiction.clone(),
                    items: RoaringBitmap::new(),
                    indexed: Vec::new(),
                    ingest: 0,
                });
                *e.insert(key)
            }
        }
    }

    fn item_key(&mut self, standard: u32, id: &ItemId) -> u32 {
        match self.item_keys.entry((standard, id.clone())) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let key = self.items.len() as u32;
                self.items.push(ItemEntry {
                    standard,
                    id: id.clone(),
                    seen: FxHashSet::default(),
                });
                self.standards[standard as usize].items.insert(key);
                *e.insert(key)
            }
        }
    }

    /// Adds the item to the posting set of each term.
    fn post(&mut self, item_key: u32, terms: Vec<Term>) {
        for term in terms {
            let next = self.postings.len() as u32;
            let key = *self.terms.entry(term).or_insert(next);
            if key == next {
                self.postings.push(RoaringBitmap::new());
            }
            self.postings[key as usize].insert(item_key);
        }
    }

    /// Indexes the items of `versions` (a standard's versions as one
    /// generation holds them) that differ from the version before, skipping
    /// the versions this standard's last walk shared with them. Walking every
    /// generation of a timeline in record order indexes what following it
    /// append by append indexes.
    pub fn walk_versions(&mut self, jurisdiction: &Jurisdiction, versions: &[Version]) {
        let key = self.standard_key(jurisdiction);
        self.walk(key, versions);
    }

    fn walk(&mut self, key: u32, versions: &[Version]) {
        let indexed = &self.standards[key as usize].indexed;
        let unchanged = versions
            .iter()
            .zip(indexed)
            .take_while(|(v, old)| Arc::ptr_eq(&v.snapshot, old))
            .count();
        let mut terms = Vec::new();
        for i in unchanged..versions.len() {
            let snapshot = &versions[i].snapshot;
            let before = i.checked_sub(1).map(|b| &versions[b].snapshot);
            for (id, item) in &snapshot.items {
                let same = before
                    .and_then(|b| b.items.get(id))
                    .is_some_and(|old| Arc::ptr_eq(old, item));
                if !same {
                    self.index_item(key, item, &mut terms);
                }
            }
        }
        self.standards[key as usize].indexed =
            versions.iter().map(|v| Arc::clone(&v.snapshot)).collect();
    }

    fn index_item(&mut self, standard: u32, item: &ItemState, terms: &mut Vec<Term>) {
        let item_key = self.item_key(standard, &item.id);
        terms.clear();
        let entry = &mut self.items[item_key as usize];
        for text in item_texts(item) {
            if !entry.seen.contains(text) {
                entry.seen.insert(text.clone());
                self.analyzer.index_terms(text, terms);
            }
        }
        terms.sort_unstable();
        terms.dedup();
        let terms = std::mem::take(terms);
        self.post(item_key, terms);
    }

    pub fn stats(&self) -> IndexStats {
        let postings: u64 = self.postings.iter().map(RoaringBitmap::len).sum();
        let posting_bytes: usize = self
            .postings
            .iter()
            .map(|p| p.serialized_size() + std::mem::size_of::<RoaringBitmap>())
            .sum();
        let texts: usize = self.items.iter().map(|i| i.seen.len()).sum();
        let set_bytes: usize = self
            .items
            .iter()
            .map(|i| i.seen.capacity() * (std::mem::size_of::<Text>() + 1))
            .sum();
        let word_bytes: usize = self
            .terms
            .keys()
            .map(|t| match t {
                Term::Word(w) => w.len(),
                Term::Gram(_) => 0,
            })
            .sum();
        let heap_bytes = posting_bytes
            + set_bytes
            + word_bytes
            + self.terms.capacity() * (std::mem::size_of::<(Term, u32)>() + 1)
            + self.items.capacity() * std::mem::size_of::<ItemEntry>()
            + self.item_keys.capacity() * (std::mem::size_of::<((u32, ItemId), u32)>() + 1)
            + self
                .standards
                .iter()
                .map(|s| s.items.serialized_size() + s.indexed.capacity() * 8)
                .sum::<usize>();
        IndexStats {
            standards: self.standards.len(),
            items: self.items.len(),
            terms: self.terms.len(),
            postings,
            texts,
            heap_bytes,
        }
    }

    /// One page of hits for `request`, read against the timeline the index was kept from.
    pub fn search(&self, timeline: &Timeline, request: &Request<'_>) -> Result<Page, SearchError> {
        if request.first == 0 || request.first > PAGE_SIZE_MAX {
            return Err(SearchError::PageSize {
                first: request.first,
                max: PAGE_SIZE_MAX,
            });
        }
        let Some(mut candidates) = self.candidates(request.query) else {
            return Err(SearchError::OnlyExclusions);
        };
        if let Some(within) = self.standards_within(request.filter) {
            candidates = Cow::Owned(candidates.as_ref() & &within);
        }
        let fields: &[Field] = if request.filter.fields.is_empty() {
            &Field::ALL
        } else {
            &request.filter.fields
        };
        let start = request.after.map_or(0, |c| c.item);
        let mut page = Page::default();
        let mut editions: FxHashMap<u32, Option<Arc<Snapshot>>> = FxHashMap::default();
        for key in candidates.range(start..) {
            if page.examined == ITEMS_EXAMINED_MAX {
                // Stopped before looking at `key`: go on from the item before it.
                page.next = Some(Cursor {
                    item: key - 1,
                    version: u32::MAX,
                });
                return Ok(page);
            }
            page.examined += 1;
            let entry = &self.items[key as usize];
            let jurisdiction = &self.standards[entry.standard as usize].jurisdiction;
            let Some(standard) = timeline.standard(jurisdiction) else {
                continue;
            };
            let skip_before = match request.after {
                Some(c) if c.item == key => Some(c.version),
                _ => None,
            };
            let found = match request.when {
                When::At { valid_at, known_at } => {
                    let edition = editions.entry(entry.standard).or_insert_with(|| {
                        standard
                            .edition(valid_at, known_at)
                            .version
                            .map(|v| v.snapshot)
                    });
                    if skip_before.is_some() {
                        continue;
                    }
                    let Some(snapshot) = edition.as_ref() else {
                        continue;
                    };
                    let Some(item) = snapshot.items.get(&entry.id).filter(|i| i.is_active()) else {
                        continue;
                    };
                    if !self.admits(request, fields, snapshot, item) {
                        continue;
                    }
                    let versions = standard.all_versions(known_at);
                    let segment = segments(versions, &entry.id)
                        .into_iter()
                        .find(|s| s.contains(valid_at))
                        .unwrap_or_else(|| Segment::single(valid_at, item, snapshot));
                    vec![(0, segment)]
                }
                When::History { known_at } => {
                    let versions = standard.all_versions(known_at);
                    segments(versions, &entry.id)
                        .into_iter()
                        .enumerate()
                        .map(|(n, s)| (n as u32, s))
                        .filter(|(n, _)| skip_before.is_none_or(|after| *n > after))
                        .filter(|(_, s)| self.admits(request, fields, &s.snapshot, &s.item))
                        .collect()
                }
            };
            let mut found = found.into_iter().peekable();
            while let Some((version, segment)) = found.next() {
                let cursor = Cursor { item: key, version };
                page.hits
                    .push(self.hit(request, fields, jurisdiction, segment, cursor));
                if page.hits.len() == request.first {
                    let more =
                        found.peek().is_some() || candidates.range(key + 1..).next().is_some();
                    page.next = more.then_some(cursor);
                    return Ok(page);
                }
            }
        }
        Ok(page)
    }

    /// Items that may match: those whose text ever held every term the query needs.
    /// `None` for a query that only excludes (the parser refuses those).
    fn candidates(&self, query: &Query) -> Option<Cow<'_, RoaringBitmap>> {
        match query {
            Query::Term(term) => {
                let mut terms = Vec::new();
                self.analyzer.query_terms(term, &mut terms);
                let mut sets = terms
                    .iter()
                    .map(|t| self.terms.get(t).map(|&k| &self.postings[k as usize]));
                let mut result: Cow<'_, RoaringBitmap> = match sets.next() {
                    Some(Some(first)) => Cow::Borrowed(first),
                    _ => return Some(Cow::Owned(RoaringBitmap::new())),
                };
                for set in sets {
                    let Some(set) = set else {
                        return Some(Cow::Owned(RoaringBitmap::new()));
                    };
                    result = Cow::Owned(result.as_ref() & set);
                }
                Some(result)
            }
            Query::Not(_) => None,
            Query::And(parts) => {
                let mut result: Option<Cow<'_, RoaringBitmap>> = None;
                for part in parts {
                    if let Some(set) = self.candidates(part) {
                        result = Some(match result {
                            None => set,
                            Some(r) => Cow::Owned(r.as_ref() & set.as_ref()),
                        });
                    }
                }
                result
            }
            Query::Or(parts) => {
                let mut result = RoaringBitmap::new();
                for part in parts {
                    result |= self.candidates(part)?.as_ref();
                }
                Some(Cow::Owned(result))
            }
        }
    }

    /// Items of the standards the filter admits; `None` when it admits every standard.
    fn standards_within(&self, filter: &Filter) -> Option<RoaringBitmap> {
        let (code, scope) = filter.jurisdiction.as_ref()?;
        let mut items = RoaringBitmap::new();
        for standard in &self.standards {
            let admitted = &standard.jurisdiction == code
                || (*scope == Scope::WithLocalities
                    && standard.jurisdiction.ancestors().contains(code));
            if admitted {
                items |= &standard.items;
            }
        }
        Some(items)
    }

    /// Whether an item as it stood in `snapshot` passes the filter and holds the query.
    fn admits(
        &self,
        request: &Request<'_>,
        fields: &[Field],
        snapshot: &Snapshot,
        item: &ItemState,
    ) -> bool {
        let category = item.placement.category.as_known();
        if let Some(wanted) = &request.filter.category
            && category != Some(wanted)
        {
            return false;
        }
        if let Some(wanted) = &request.filter.aspect {
            let aspect = category
                .and_then(|c| snapshot.categories.get(c))
                .map(|c| &c.aspect);
            if aspect != Some(wanted) {
                return false;
            }
        }
        self.holds(request.query, item, fields)
    }

    fn holds(&self, query: &Query, item: &ItemState, fields: &[Field]) -> bool {
        match query {
            Query::Term(term) => fields.iter().any(|f| {
                f.text(item)
                    .is_some_and(|text| self.text_holds(&text, term))
            }),
            Query::And(parts) => parts.iter().all(|p| self.holds(p, item, fields)),
            Query::Or(parts) => parts.iter().any(|p| self.holds(p, item, fields)),
            Query::Not(part) => !self.holds(part, item, fields),
        }
    }

    fn text_holds(&self, text: &str, term: &str) -> bool {
        match self.analyzer.matching() {
            Matching::Occurrence => holds(text, term),
            Matching::Terms => {
                let mut wanted = Vec::new();
                self.analyzer.query_terms(term, &mut wanted);
                let mut present = Vec::new();
                self.analyzer.index_terms(text, &mut present);
                !wanted.is_empty() && wanted.iter().all(|t| present.contains(t))
            }
        }
    }

    fn hit(
        &self,
        request: &Request<'_>,
        fields: &[Field],
        jurisdiction: &Jurisdiction,
        segment: Segment,
        cursor: Cursor,
    ) -> Hit {
        let category = segment.item.placement.category.as_known().cloned();
        let aspect = category
            .as_ref()
            .and_then(|c| segment.snapshot.categories.get(c))
            .map(|c| c.aspect.clone());
        let terms = request.query.positive_terms();
        Hit {
            jurisdiction: jurisdiction.clone(),
            snippets: snippets(&segment.item, fields, &terms),
            item: segment.item,
            snapshot: segment.snapshot,
            category,
            aspect,
            valid_from: segment.from,
            valid_until: segment.until,
            cursor,
        }
    }
}

/// Every searched text of an item.
fn item_texts(item: &ItemState) -> impl Iterator<Item = &Text> {
    let fields = &item.fields;
    [
        item.name.as_known(),
        item.name_en.as_known(),
        fields.service_target.as_known(),
        fields.service_content.as_known(),
        fields.service_standard.as_known().map(|s| &s.text),
        fields.expenditure_responsibility.as_known(),
    ]
    .into_iter()
    .flatten()
    .chain(
        fields
            .lead_units
            .as_known()
            .into_iter()
            .flat_map(|u| u.iter()),
    )
}
