//! Revisions: the documents that change a standard, with their legal basis.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object};
use domain::ids::RevisionId;
use registry::query::RevisionEntry;
use registry::view::RevisionStatus as Status;

use super::{sees_actors, today};
use crate::error::{ApiResult, IntoGraphql};
use crate::scalars::{Date, DateTime};
use crate::shared::Shared;

/// The kinds of published change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "domain::model::RevisionKind")]
pub(crate) enum RevisionKind {
    /// The five-yearly edition; states the whole standard.
    ComprehensiveRevision,
    /// A mid-term dynamic adjustment of some items.
    Adjustment,
    /// Fixes the record of an earlier revision; usually retroactive.
    Correction,
    /// A locality's own standard, implementing a national edition.
    LocalImplementation,
    /// Cancels a published revision that has not yet taken effect.
    Withdrawal,
}

/// A revision's status on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub(crate) enum RevisionStatus {
    InForce,
    /// Recorded, takes effect later.
    Pending,
    Withdrawn,
}

/// A published change to a standard (a document) and its legal basis.
#[derive(Debug, Clone)]
pub(crate) struct RevisionObj {
    meta: Arc<RevisionEntry>,
    /// As known at the record time the revision was asked about.
    withdrawn_by: Option<RevisionId>,
}

impl RevisionObj {
    /// The revision as the registry stands now.
    pub fn now(shared: &Shared, id: &RevisionId) -> ApiResult<Self> {
        let meta = shared.registry.revision_entry(id).gql()?;
        Ok(Self {
            withdrawn_by: meta.withdrawn_by.clone(),
            meta,
        })
    }

    /// The revision with its withdrawal as known at some record time.
    pub fn at(
        shared: &Shared,
        id: &RevisionId,
        withdrawn_by: Option<RevisionId>,
    ) -> ApiResult<Self> {
        let mut revision = Self::now(shared, id)?;
        revision.withdrawn_by = withdrawn_by;
        Ok(revision)
    }
}

#[Object(name = "Revision")]
impl RevisionObj {
    /// Identity of the revision, unique in the registry (e.g. `cn-2021`).
    async fn id(&self) -> ID {
        ID(self.meta.info.id.to_string())
    }

    /// The standard it revises.
    async fn jurisdiction(&self) -> &str {
        self.meta.info.jurisdiction.as_str()
    }

    async fn kind(&self) -> RevisionKind {
        self.meta.info.kind.into()
    }

    async fn title(&self) -> &str {
        &self.meta.info.title
    }

    /// Document number, e.g. 发改社会〔2021〕443号; `null`: not on record.
    async fn document_no(&self) -> Option<&str> {
        self.meta.info.document_no.as_known().map(String::as_str)
    }

    /// Issuing bodies; `null`: not on record.
    async fn issuers(&self) -> Option<&str> {
        self.meta.info.issuers.as_known().map(String::as_str)
    }

    /// Day the document was issued; `null`: not on record.
    async fn issued_on(&self) -> Option<Date> {
        self.meta.info.issued_on.as_known().copied().map(Date)
    }

    /// Valid time: the day the revision's text takes effect.
    async fn effective_from(&self) -> Date {
        Date(self.meta.info.effective_from)
    }

    /// Number of items the document says the standard has; `null`: the document does not say.
    async fn declared_item_count(&self) -> Option<u32> {
        self.meta.info.declared_item_count
    }

    /// For a local implementation: the national revision it implements.
    async fn implements(&self) -> Option<ID> {
        self.meta
            .info
            .implements
            .as_ref()
            .map(|r| ID(r.to_string()))
    }

    /// For a correction or withdrawal: the revision it corrects or withdraws.
    async fn target(&self) -> Option<ID> {
        self.meta.info.target.as_ref().map(|r| ID(r.to_string()))
    }

    /// Where the text of this revision comes from (citations, addresses).
    async fn sources(&self) -> &[String] {
        &self.meta.info.sources
    }

    /// Record time: when the registry recorded the revision.
    async fn recorded_at(&self) -> DateTime {
        DateTime(self.meta.recorded_at)
    }

    /// Who recorded it (the token's principal). Visible to editors and
    /// auditors; `null` for the public and when this copy of the log does
    /// not know it.
    async fn actor(&self, ctx: &Context<'_>) -> Option<&str> {
        sees_actors(ctx)
            .then_some(self.meta.actor.as_deref())
            .flatten()
    }

    /// The withdrawal that cancelled it, as known at the record time asked about; `null`: none.
    async fn withdrawn_by(&self) -> Option<ID> {
        self.withdrawn_by.as_ref().map(|r| ID(r.to_string()))
    }

    /// Its status on `validAt` (default: today).
    async fn status(&self, valid_at: Option<Date>) -> RevisionStatus {
        let day = valid_at.map_or_else(today, |d| d.0);
        match Status::on(&self.meta.info, self.withdrawn_by.as_ref(), day) {
            Status::Withdrawn => RevisionStatus::Withdrawn,
            Status::Pending => RevisionStatus::Pending,
            Status::InForce => RevisionStatus::InForce,
        }
    }
}
