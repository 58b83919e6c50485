//! A standard, and the point in both times a question is asked at.

use async_graphql::{Context, ID, InputObject, Object};
use domain::ids::Jurisdiction;
use registry::query::Point;

use super::change::{DiffObj, ItemObj};
use super::edition::{EditionObj, VersionObj};
use super::revision::RevisionObj;
use super::{parse_item, shared, today};
use crate::compliance_types::{self, ComplianceHistoryObj, ComplianceReportObj};
use crate::error::{ApiResult, IntoGraphql};
use crate::scalars::{Date, DateTime};

/// One standard: the national one (`CN`) or a locality's own.
#[derive(Debug, Clone)]
pub(crate) struct StandardObj {
    pub jurisdiction: Jurisdiction,
}

/// The point `validAt` (default: today in China Standard Time), `knownAt` (default: now).
pub(crate) fn point(valid_at: Option<Date>, known_at: Option<DateTime>) -> Point {
    Point::new(valid_at.map_or_else(today, |d| d.0), known_at.map(|t| t.0))
}

#[Object(name = "Standard")]
impl StandardObj {
    /// `CN` for the national standard, or a six-digit administrative division code.
    async fn jurisdiction(&self) -> &str {
        self.jurisdiction.as_str()
    }

    async fn is_national(&self) -> bool {
        self.jurisdiction.is_national()
    }

    /// Number of events recorded for this standard: pass it as
    /// `publishRevision(expectedVersion:)` to publish only if nobody else did first.
    async fn stream_version(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        shared(ctx)
            .registry
            .stream_version(&self.jurisdiction)
            .gql()
    }

    /// The consolidated standard in force on `validAt` (default: today in China
    /// Standard Time), as the registry stood at `knownAt` (default: now).
    async fn edition(
        &self,
        ctx: &Context<'_>,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
    ) -> ApiResult<EditionObj> {
        shared(ctx)
            .registry
            .edition(&self.jurisdiction, point(valid_at, known_at))
            .map(EditionObj::new)
            .gql()
    }

    /// Every point in valid time at which the consolidated text changed, as recorded by `knownAt`.
    async fn versions(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<VersionObj>> {
        let versions = shared(ctx)
            .registry
            .versions(&self.jurisdiction, known_at.map(|t| t.0))
            .gql()?;
        Ok(versions.into_iter().map(VersionObj).collect())
    }

    /// Revisions recorded by `knownAt`, not withdrawn, that take effect after
    /// `validAt` (default: today).
    async fn pending(
        &self,
        ctx: &Context<'_>,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<RevisionObj>> {
        let shared = shared(ctx);
        let views = shared
            .registry
            .pending(&self.jurisdiction, point(valid_at, known_at), today())
            .gql()?;
        views
            .iter()
            .map(|r| RevisionObj::at(shared, &r.info.id, r.withdrawn_by.clone()))
            .collect()
    }

    /// Every revision recorded by `knownAt` (default: now), in the order recorded,
    /// with its withdrawal as known then.
    async fn revisions(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Vec<RevisionObj>> {
        let shared = shared(ctx);
        let views = shared
            .registry
            .revisions(&self.jurisdiction, known_at.map(|t| t.0), today())
            .gql()?;
        views
            .iter()
            .map(|r| RevisionObj::at(shared, &r.info.id, r.withdrawn_by.clone()))
            .collect()
    }

    /// One service item of this standard across time: its versions, history and
    /// lineage. `null` with a `NOT_FOUND` error when the standard never had it.
    async fn item(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<ItemObj>> {
        let item = parse_item(&id).gql()?;
        let registry = &shared(ctx).registry;
        if registry.has_item(&self.jurisdiction, &item).gql()? {
            Ok(Some(ItemObj {
                jurisdiction: self.jurisdiction.clone(),
                id: item,
            }))
        } else {
            Err(registry::query::QueryError::NoSuchItem {
                jurisdiction: self.jurisdiction.clone(),
                item,
            })
            .gql()
        }
    }

    /// Compliance of this local standard's locality at `validAt` (default:
    /// today) as the registry stood at `knownAt` (default: now), against the
    /// national edition in force and the standards above it (docs/compliance.md).
    /// `null` for `CN`, the reference every locality is measured against.
    async fn compliance(
        &self,
        ctx: &Context<'_>,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Option<ComplianceReportObj>> {
        if self.jurisdiction.is_national() {
            return Ok(None);
        }
        compliance_types::report(ctx, &self.jurisdiction, valid_at, known_at).map(Some)
    }

    /// The dates on which this locality's compliance status or findings changed,
    /// as recorded by `knownAt` (default: now). `null` for `CN`.
    async fn compliance_changes(
        &self,
        ctx: &Context<'_>,
        known_at: Option<DateTime>,
    ) -> ApiResult<Option<ComplianceHistoryObj>> {
        if self.jurisdiction.is_national() {
            return Ok(None);
        }
        compliance_types::history(ctx, &self.jurisdiction, known_at).map(Some)
    }

    /// What changed from one point to another (both default to today, as known
    /// now). `from` must not lie after `to` (`BAD_USER_INPUT`: swap them).
    async fn diff(
        &self,
        ctx: &Context<'_>,
        from: PointInput,
        to: PointInput,
    ) -> ApiResult<DiffObj> {
        shared(ctx)
            .registry
            .diff(&self.jurisdiction, from.point(), to.point())
            .map(DiffObj::new)
            .gql()
    }
}

/// A point in both times: valid time (`validAt`, default today) and record
/// time (`knownAt`, default: as the registry stands now).
#[derive(Debug, Clone, InputObject)]
pub(crate) struct PointInput {
    pub valid_at: Option<Date>,
    pub known_at: Option<DateTime>,
}

impl PointInput {
    fn point(&self) -> Point {
        point(self.valid_at, self.known_at)
    }
}

/// A point in both times.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PointObj(pub Point);

#[Object(name = "Point")]
impl PointObj {
    async fn valid_at(&self) -> Date {
        Date(self.0.valid_at)
    }

    /// `null`: as the registry stands now.
    async fn known_at(&self) -> Option<DateTime> {
        self.0.known_at.map(DateTime)
    }
}
