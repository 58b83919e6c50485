//! The mutations. Each turns its arguments into one revision in the import
//! format and records it through [`publish`], the one place that checks the
//! caller's token, role and jurisdiction and calls the registry.

use async_graphql::{Context, ID, Json, Object, SimpleObject};
use domain::command::PublishRevision;
use registry::Published;
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::scalars::{Date, DateTime};
use crate::shared::Shared;
use crate::types::{EventObj, RevisionObj, parse_revision, shared};
use crate::write_inputs::{CorrectionInput, Document, PublishRevisionInput, WithdrawalInput};

/// Writes. Every mutation needs `Authorization: Bearer TOKEN`: a national
/// editor's for `CN`, a local editor's for that jurisdiction or one below
/// it; the token's principal is recorded as the actor. With
/// `expectedVersion` (`Standard.streamVersion` as read) nothing is recorded
/// when someone else published first (`CONFLICT`).
#[derive(Debug, Default)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// Publishes one revision: its document and either the whole standard
    /// (`whole`) or its `changes`. The fields are those of the import format
    /// (docs/import-format.md), checked by the same rules; an error names the
    /// input field at fault (`input.changes[2].amendItem`).
    async fn publish_revision(
        &self,
        ctx: &Context<'_>,
        input: PublishRevisionInput,
        expected_version: Option<u32>,
    ) -> ApiResult<PublishResult> {
        publish(ctx, expected_version, |_| {
            let document = Document::publish(&input).map_err(ApiError::BadInput)?;
            read_typed(document)
        })
        .await
    }

    /// Publishes one revision given as a JSON document in the import format
    /// (docs/import-format.md): the object `{"revision": {...}, "content":
    /// {...}}` that `stdreg import --print-bundled` prints inside `revisions`.
    /// For clients that hold files; `publishRevision` takes the same typed.
    async fn publish_revision_document(
        &self,
        ctx: &Context<'_>,
        document: Json<Value>,
        expected_version: Option<u32>,
    ) -> ApiResult<PublishResult> {
        publish(ctx, expected_version, |_| {
            serde_path_to_error::deserialize(document.0).map_err(|e| {
                ApiError::BadInput(format!(
                    "`document` is not a revision in the import format: at {}: {}",
                    match e.path().to_string().as_str() {
                        "." => "the top level".to_owned(),
                        path => domain::input::quote(path),
                    },
                    domain::input::quote(&e.inner().to_string())
                ))
            })
        })
        .await
    }

    /// Withdraws revision `id` before it takes effect, for `reason`: records a
    /// withdrawal of its standard. `withdrawal` describes the withdrawal
    /// notice where one is on record; by default its id is `ID-withdrawal`,
    /// its title the reason and its `effectiveFrom` that of the withdrawn
    /// revision. A revision already in force cannot be withdrawn (`REJECTED`):
    /// publish a correction.
    async fn withdraw_revision(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        expected_version: Option<u32>,
        withdrawal: Option<WithdrawalInput>,
    ) -> ApiResult<PublishResult> {
        publish(ctx, expected_version, |shared| {
            let (jurisdiction, effective_from) = target(shared, &id)?;
            let document = Document::withdrawal(
                &withdrawal.unwrap_or_default(),
                &id,
                &reason,
                &jurisdiction,
                effective_from,
            );
            read_typed(document)
        })
        .await
    }

    /// Corrects the record of revision `id`: records a correction of its
    /// standard with `input.changes`, effective by default from the corrected
    /// revision's `effectiveFrom` (retroactive).
    async fn correct_revision(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: CorrectionInput,
        expected_version: Option<u32>,
    ) -> ApiResult<PublishResult> {
        publish(ctx, expected_version, |shared| {
            let (jurisdiction, effective_from) = target(shared, &id)?;
            read_typed(Document::correction(
                &input,
                &id,
                &jurisdiction,
                effective_from,
            ))
        })
        .await
    }
}

/// Records the revision `command` makes, as the caller: the one write path
/// of every mutation. The caller is checked first (a write without a known
/// token learns nothing of its input), then its role and jurisdiction against
/// the revision's standard.
async fn publish(
    ctx: &Context<'_>,
    expected_version: Option<u32>,
    command: impl FnOnce(&Shared) -> Result<PublishRevision, ApiError>,
) -> ApiResult<PublishResult> {
    let shared = shared(ctx);
    // Without the log's key nothing recorded here could be signed: every
    // caller learns why, and where to write instead.
    if let Some(reason) = shared.checkpoints.as_deref().and_then(|c| c.read_only()) {
        return Err(ApiError::Forbidden(format!(
            "this server is read-only ({reason}); send writes to a server that holds the log's signing key"
        )))
        .gql();
    }
    let anonymous = Caller::Anonymous;
    let caller = ctx.data_opt::<Caller>().unwrap_or(&anonymous);
    let principal = caller.principal().gql()?;
    let command = command(shared).gql()?;
    principal
        .may_publish(&command.revision.jurisdiction)
        .gql()?;
    let published = shared
        .registry
        .publish(&command, &principal.name, expected_version.map(u64::from))
        .await
        .gql()?;
    PublishResult::new(shared, published)
}

/// Reads a typed input, in the import format's shape, as the import format.
fn read_typed(document: Document) -> Result<PublishRevision, ApiError> {
    serde_path_to_error::deserialize(&document.value).map_err(|e| {
        ApiError::BadInput(format!(
            "at {}: {}",
            document.graphql_path(e.path()),
            domain::input::quote(&e.inner().to_string())
        ))
    })
}

/// The standard and effective date of the revision a correction or
/// withdrawal names.
fn target(shared: &Shared, id: &str) -> Result<(String, Date), ApiError> {
    let id = parse_revision(id)?;
    let entry = shared.registry.revision_entry(&id)?;
    Ok((
        entry.info.jurisdiction.to_string(),
        Date(entry.info.effective_from),
    ))
}

/// What a mutation recorded.
#[derive(Debug, SimpleObject)]
pub struct PublishResult {
    revision: RevisionObj,
    jurisdiction: String,
    /// Events appended.
    event_count: usize,
    /// The standard's stream version after the append (the next `expectedVersion`).
    stream_version: u64,
    /// Global position of the last event appended.
    last_global_position: u64,
    /// Record time of the append: instants before it see the registry without this revision.
    recorded_at: DateTime,
    /// The events appended, in log order.
    events: Vec<EventObj>,
}

impl PublishResult {
    fn new(shared: &Shared, published: Published) -> ApiResult<Self> {
        let first = published
            .last_global_position
            .saturating_sub(published.event_count as u64);
        let only_this = registry::query::EventFilter {
            jurisdiction: Some(published.jurisdiction.clone()),
            revision: Some(published.revision.clone()),
            ..Default::default()
        };
        let events = shared
            .registry
            .events(&only_this, first, published.event_count)
            .into_iter()
            .map(|f| EventObj {
                jurisdiction: f.jurisdiction,
                event: f.event,
            })
            .collect();
        Ok(Self {
            revision: RevisionObj::now(shared, &published.revision)?,
            jurisdiction: published.jurisdiction.to_string(),
            event_count: published.event_count,
            stream_version: published.stream_version,
            last_global_position: published.last_global_position,
            recorded_at: DateTime(published.recorded_at),
            events,
        })
    }
}
