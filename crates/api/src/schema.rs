//! The root types: queries, the mutation and the subscription.

use std::collections::VecDeque;
use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, Schema, SimpleObject, Subscription};
use futures::Stream;

use crate::compliance_types::{self, ComplianceReportObj, ComplianceSummaryObj};
use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::limits;
use crate::log_proofs;
use crate::scalars::{Date, DateTime};
use crate::shared::{Shared, cursor, parse_cursor};
use crate::types::{
    EventObj, RevisionKind, RevisionObj, StandardObj, parse_jurisdiction, parse_revision, shared,
};
pub use crate::write::Mutation;

/// The schema served at `/graphql`.
pub type ApiSchema = Schema<Query, Mutation, SubscriptionRoot>;

/// Builds the schema once, with its limits; every request reuses it.
pub fn build_schema(shared: Arc<Shared>) -> ApiSchema {
    Schema::build(Query, Mutation, SubscriptionRoot)
        .data(shared)
        .limit_depth(limits::DEPTH_MAX)
        .limit_complexity(limits::COMPLEXITY_MAX)
        .limit_recursive_depth(limits::RECURSIVE_DEPTH_MAX)
        .limit_directives(limits::DIRECTIVES_MAX)
        .finish()
}

/// The schema's SDL, as committed in `docs/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query, Mutation, SubscriptionRoot)
        .finish()
        .sdl()
}

/// Read access to the registry at any point in valid and record time.
#[derive(Debug, Default)]
pub struct Query;

#[Object]
impl Query {
    /// Every standard recorded: the national one and local ones.
    async fn standards(&self, ctx: &Context<'_>) -> Vec<StandardObj> {
        shared(ctx)
            .registry
            .standards(crate::types::today(), None)
            .into_iter()
            .map(|s| StandardObj {
                jurisdiction: s.jurisdiction,
            })
            .collect()
    }

    /// One standard: `CN` for the national one, or a six-digit division code.
    /// `null` with a `NOT_FOUND` error when none is recorded for it.
    async fn standard(
        &self,
        ctx: &Context<'_>,
        jurisdiction: String,
    ) -> ApiResult<Option<StandardObj>> {
        let jurisdiction = parse_jurisdiction(&jurisdiction).gql()?;
        shared(ctx).registry.has_standard(&jurisdiction).gql()?;
        Ok(Some(StandardObj { jurisdiction }))
    }

    /// One revision by id. `null` with a `NOT_FOUND` error when it is not recorded.
    async fn revision(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<RevisionObj>> {
        let id = parse_revision(&id).gql()?;
        RevisionObj::now(shared(ctx), &id).map(Some)
    }

    /// The global log, oldest first, as a Relay connection: `first` 1 to 100
    /// (default 20), `after` a cursor from a previous page.
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<EventFilter>,
    ) -> ApiResult<EventConnection> {
        let size = limits::page_size(first).gql()?;
        let after = after.as_deref().map(parse_cursor).transpose().gql()?;
        let selection = filter.unwrap_or_default().selection().gql()?;
        let page = shared(ctx)
            .registry
            .events(&selection, after.unwrap_or(0), size + 1);
        let has_next_page = page.len() > size;
        let edges: Vec<EventEdge> = page
            .into_iter()
            .take(size)
            .map(|f| EventEdge {
                cursor: cursor(f.event.global_position),
                node: EventObj {
                    jurisdiction: f.jurisdiction,
                    event: f.event,
                },
            })
            .collect();
        Ok(EventConnection {
            page_info: PageInfo {
                has_next_page,
                has_previous_page: after.is_some_and(|a| a > 0),
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
        })
    }

    /// Compliance of one locality (a six-digit division code) at `validAt`
    /// (default: today) as the registry stood at `knownAt` (default: now),
    /// whether or not a standard is on record for it: a province with none
    /// past the deadline is `IMPLEMENTATION_MISSING`. `CN` is refused
    /// (`BAD_USER_INPUT`): it is the reference; a code in none of the 31
    /// provincial-level divisions is `NOT_FOUND`.
    async fn compliance(
        &self,
        ctx: &Context<'_>,
        jurisdiction: String,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
    ) -> ApiResult<ComplianceReportObj> {
        let jurisdiction = parse_jurisdiction(&jurisdiction).gql()?;
        compliance_types::report(ctx, &jurisdiction, valid_at, known_at)
    }

    /// One line of compliance per locality below `parent` (`CN`: every
    /// provincial-level division, and every city and county with a standard on
    /// record) at `validAt` (default: today), as the registry stood at `knownAt`.
    async fn compliance_summary(
        &self,
        ctx: &Context<'_>,
        parent: String,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
    ) -> ApiResult<ComplianceSummaryObj> {
        let parent = parse_jurisdiction(&parent).gql()?;
        compliance_types::summary(ctx, &parent, valid_at, known_at)
    }

    /// The latest checkpoint this server signed: the log's size and Merkle
    /// root under its key (docs/verification.md). `null` when the server signs
    /// no checkpoints (no data directory) or has signed none yet.
    async fn checkpoint(&self, ctx: &Context<'_>) -> Option<log_proofs::Checkpoint> {
        log_proofs::checkpoint(shared(ctx))
    }

    /// Proof that the event at global `position` is in the tree of `treeSize`
    /// events (default: every event indexed), to check against a signed
    /// checkpoint of that size. `BAD_USER_INPUT` when the position is not in
    /// that tree or the size is beyond the log.
    async fn inclusion_proof(
        &self,
        ctx: &Context<'_>,
        position: i64,
        tree_size: Option<i64>,
    ) -> ApiResult<Option<log_proofs::InclusionProof>> {
        log_proofs::inclusion_proof(shared(ctx), position, tree_size)
            .map(Some)
            .gql()
    }

    /// Proof that the tree of `fromSize` events (a checkpoint saved earlier) is
    /// a prefix of the tree of `toSize` events (default: every event indexed):
    /// nothing recorded before was changed. `BAD_USER_INPUT` unless
    /// 1 <= fromSize <= toSize <= the log's size.
    async fn consistency_proof(
        &self,
        ctx: &Context<'_>,
        from_size: i64,
        to_size: Option<i64>,
    ) -> ApiResult<Option<log_proofs::ConsistencyProof>> {
        log_proofs::consistency_proof(shared(ctx), from_size, to_size)
            .map(Some)
            .gql()
    }

    /// Words and phrases in item names and the five fields of every standard:
    /// the text in force on `validAt` (default: today) as recorded at `knownAt`,
    /// or with `history` every version that ever held them, with its dates.
    /// Words: `AND` (or a space), `OR`, `NOT` (or `-word`), "phrases", parentheses.
    #[allow(clippy::too_many_arguments)]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        filter: Option<crate::search::SearchFilter>,
        valid_at: Option<Date>,
        known_at: Option<DateTime>,
        history: Option<bool>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<crate::search::SearchConnection> {
        let history = history.unwrap_or(false);
        let args = crate::search::SearchArgs {
            query,
            filter,
            valid_at,
            known_at,
            history,
            first,
            after,
        };
        crate::search::search(ctx, args)
    }

    /// Global position of the last event this server has indexed. As a cursor
    /// (its decimal form) it lets a subscriber miss nothing recorded after it.
    async fn indexed_position(&self, ctx: &Context<'_>) -> u64 {
        *shared(ctx).registry.indexed().borrow()
    }
}

/// Which events to return. All conditions must hold.
#[derive(Debug, Clone, Default, InputObject)]
pub struct EventFilter {
    /// Only events of this standard.
    pub jurisdiction: Option<String>,
    /// Only events of revisions of these kinds.
    pub kinds: Option<Vec<RevisionKind>>,
    /// Only events of this revision.
    pub revision: Option<ID>,
    /// Only events recorded at or after this instant.
    pub recorded_from: Option<DateTime>,
    /// Only events recorded before this instant.
    pub recorded_before: Option<DateTime>,
}

impl EventFilter {
    fn selection(&self) -> Result<registry::query::EventFilter, ApiError> {
        Ok(registry::query::EventFilter {
            jurisdiction: self
                .jurisdiction
                .as_deref()
                .map(parse_jurisdiction)
                .transpose()?,
            kinds: self
                .kinds
                .as_ref()
                .map(|k| k.iter().map(|k| (*k).into()).collect()),
            revision: self
                .revision
                .as_deref()
                .map(|r| parse_revision(r))
                .transpose()?,
            recorded_from: self.recorded_from.map(|t| t.0),
            recorded_before: self.recorded_before.map(|t| t.0),
        })
    }
}

/// A page of the global log.
#[derive(Debug, SimpleObject)]
pub struct EventConnection {
    edges: Vec<EventEdge>,
    page_info: PageInfo,
}

#[derive(Debug, SimpleObject)]
pub struct EventEdge {
    /// Opaque; pass to `after`.
    cursor: String,
    node: EventObj,
}

/// Relay page information.
#[derive(Debug, SimpleObject)]
pub struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

/// Live updates, over WebSocket at `/graphql/ws` (graphql-transport-ws).
#[derive(Debug, Default)]
pub struct SubscriptionRoot;

struct Follow {
    /// Counts the subscription against the caps while it runs.
    _permit: Option<crate::connections::Permit>,
    shared: Arc<Shared>,
    indexed: tokio::sync::watch::Receiver<u64>,
    selection: registry::query::EventFilter,
    after: u64,
    ready: VecDeque<EventObj>,
}

/// Counts a subscription against the caps of the server it runs on (none
/// when the schema runs without one).
fn admit_subscription(ctx: &Context<'_>) -> Result<Option<crate::connections::Permit>, ApiError> {
    let Some(admission) = ctx.data_opt::<Arc<crate::connections::Admission>>() else {
        return Ok(None);
    };
    let address = ctx
        .data_opt::<crate::connections::ClientAddress>()
        .copied()
        .unwrap_or(crate::connections::ClientAddress::UNKNOWN);
    let defaults = crate::limits::Limits::default();
    let limits = ctx.data_opt::<crate::limits::Limits>().unwrap_or(&defaults);
    admission
        .admit(crate::connections::Kind::Subscription, address.0, limits)
        .map(Some)
        .map_err(|whose| {
            ApiError::TooManySubscriptions(format!(
                "{whose} already runs as many subscriptions as allowed; stop one, or try again later"
            ))
        })
}

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Events as they are recorded, oldest first. Without `after`, from the
    /// moment of subscribing; with `after` (a cursor, or `Query.indexedPosition`),
    /// every event after it, so that a client that reconnects misses nothing.
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        after: Option<String>,
    ) -> Result<impl Stream<Item = EventObj> + use<>, async_graphql::Error> {
        let selection = filter.unwrap_or_default().selection().gql()?;
        let permit = admit_subscription(ctx).gql()?;
        let shared = Arc::clone(shared(ctx));
        let indexed = shared.registry.indexed();
        let after = match after {
            Some(text) => parse_cursor(&text).gql()?,
            None => *indexed.borrow(),
        };
        let state = Follow {
            _permit: permit,
            shared,
            indexed,
            selection,
            after,
            ready: VecDeque::new(),
        };
        Ok(futures::stream::unfold(state, |mut state| async move {
            loop {
                if let Some(next) = state.ready.pop_front() {
                    return Some((next, state));
                }
                // Marked seen before reading, so an append after the read wakes the wait below.
                state.indexed.borrow_and_update();
                let page = state.shared.registry.events(
                    &state.selection,
                    state.after,
                    limits::SUBSCRIPTION_BATCH,
                );
                if let Some(last) = page.last() {
                    state.after = last.event.global_position;
                    state.ready.extend(page.into_iter().map(|f| EventObj {
                        jurisdiction: f.jurisdiction,
                        event: f.event,
                    }));
                    continue;
                }
                // The registry is gone (shutdown): end the stream.
                state.indexed.changed().await.ok()?;
            }
        }))
    }
}
