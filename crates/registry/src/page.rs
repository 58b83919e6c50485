//! Answers composed for one page of a front end: what a reader needs around
//! an edition or an item, and the change feed of revisions. Each is one
//! question to the read model, so a page handler renders and never sorts,
//! filters or folds.

use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{ItemId, Jurisdiction};
use serde::Serialize;

use crate::Registry;
use crate::query::{Point, QueryError};
use crate::view::{
    EditionView, HistoryView, ItemAtPoint, RevisionDetail, RevisionView, VersionView,
};

/// The consolidated standard at a point, with every version (to step to the
/// previous and next one) and the revisions pending or withdrawn, as recorded
/// by the point's record time.
#[derive(Debug, Clone, Serialize)]
pub struct EditionPage {
    pub edition: EditionView,
    pub versions: Vec<VersionView>,
    /// First day of the version before the one in force (before the first one: none).
    pub previous: Option<NaiveDate>,
    /// First day of the version after the one in force (or of the first, before it).
    pub next: Option<NaiveDate>,
    /// Revisions recorded, not withdrawn, taking effect after the day shown.
    pub pending: Vec<RevisionView>,
    /// Revisions cancelled by a withdrawal.
    pub withdrawn: Vec<RevisionView>,
}

/// One item at a point and its whole history, as recorded by the point's record time.
#[derive(Debug, Clone, Serialize)]
pub struct ItemPage {
    pub item: ItemAtPoint,
    pub history: HistoryView,
}

/// One page of the change feed: revisions, newest recorded first, each with
/// its effects.
#[derive(Debug, Clone, Serialize)]
pub struct FeedPage {
    pub entries: Vec<RevisionDetail>,
    /// From 1.
    pub page: usize,
    /// At least 1, also when there is no revision.
    pub pages: usize,
    /// Record time of the newest revision in the feed (on any page).
    pub updated: Option<DateTime<Utc>>,
}

impl Registry {
    /// The edition at `at` and what surrounds it (see [`EditionPage`]).
    pub fn edition_page(
        &self,
        jurisdiction: &Jurisdiction,
        at: Point,
        today: NaiveDate,
    ) -> Result<EditionPage, QueryError> {
        let edition = self.edition(jurisdiction, at)?;
        let versions = self.versions(jurisdiction, at.known_at)?;
        let current = edition.version_valid_from;
        let previous = current.and_then(|from| {
            versions
                .iter()
                .map(|v| v.valid_from)
                .filter(|d| *d < from)
                .max()
        });
        let next = versions
            .iter()
            .map(|v| v.valid_from)
            .filter(|d| *d > current.unwrap_or(at.valid_at) && *d > at.valid_at)
            .min();
        let revisions = self.revisions(jurisdiction, at.known_at, today)?;
        let (withdrawn, rest): (Vec<RevisionView>, Vec<RevisionView>) = revisions
            .into_iter()
            .partition(|r| r.withdrawn_by.is_some());
        let pending = rest
            .into_iter()
            .filter(|r| r.info.effective_from > at.valid_at)
            .collect();
        Ok(EditionPage {
            edition,
            versions,
            previous,
            next,
            pending,
            withdrawn,
        })
    }

    /// The item at `at` and its history as recorded by `at.known_at`.
    pub fn item_page(
        &self,
        jurisdiction: &Jurisdiction,
        item: &ItemId,
        at: Point,
        today: NaiveDate,
    ) -> Result<ItemPage, QueryError> {
        Ok(ItemPage {
            item: self.item(Some(jurisdiction), item, at, today)?,
            history: self.history(Some(jurisdiction), item, at.known_at)?,
        })
    }

    /// Page `page` (from 1) of the revisions of one standard, or of all, as
    /// the registry stands now; `per_page` entries a page.
    pub fn feed(
        &self,
        jurisdiction: Option<&Jurisdiction>,
        today: NaiveDate,
        page: usize,
        per_page: usize,
    ) -> Result<FeedPage, QueryError> {
        let per_page = per_page.max(1);
        let mut revisions: Vec<RevisionView> = match jurisdiction {
            Some(j) => self.revisions(j, None, today)?,
            None => {
                let mut all = Vec::new();
                for standard in self.standards(today, None) {
                    all.extend(self.revisions(&standard.jurisdiction, None, today)?);
                }
                all
            }
        };
        revisions.sort_by(|a, b| (b.recorded_at, &b.info.id).cmp(&(a.recorded_at, &a.info.id)));
        let pages = revisions.len().div_ceil(per_page).max(1);
        let entries = revisions
            .iter()
            .skip(page.saturating_sub(1).saturating_mul(per_page))
            .take(per_page)
            .map(|r| self.revision(&r.info.id, None, today))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(FeedPage {
            entries,
            page,
            pages,
            updated: revisions.first().map(|r| r.recorded_at),
        })
    }
}
