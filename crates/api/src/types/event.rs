//! One event of the global log.

use async_graphql::{Context, ID, Json, Object};
use domain::event::RecordedEvent;
use domain::ids::Jurisdiction;

use super::revision::RevisionObj;
use super::{sees_actors, shared};
use crate::error::ApiResult;
use crate::log_proofs;
use crate::scalars::{Date, DateTime};
use crate::shared::cursor;

/// One event of the global log.
#[derive(Debug, Clone)]
pub(crate) struct EventObj {
    pub jurisdiction: Jurisdiction,
    pub event: RecordedEvent,
}

#[Object(name = "Event")]
impl EventObj {
    /// The event's id.
    async fn id(&self) -> ID {
        ID(self.event.event_id.to_string())
    }

    /// Position in the global log (1-based, gapless).
    async fn global_position(&self) -> u64 {
        self.event.global_position
    }

    /// The cursor of this event for `events(after:)` and the subscription.
    async fn cursor(&self) -> String {
        cursor(self.event.global_position)
    }

    /// The event's leaf in the log's Merkle tree, base64 of SHA-256(0x00 ‖ its
    /// canonical bytes) (docs/verification.md): what `inclusionProof` proves.
    /// `null` only for an event the server has not indexed yet.
    async fn leaf_hash(&self, ctx: &Context<'_>) -> Option<String> {
        log_proofs::leaf_hash(shared(ctx), self.event.global_position)
    }

    /// The event's type, e.g. `revision_published`, `item_amended`.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        self.event.event.type_name()
    }

    /// The standard the event belongs to.
    async fn jurisdiction(&self) -> &str {
        self.jurisdiction.as_str()
    }

    async fn revision_id(&self) -> ID {
        ID(self.event.context.revision.to_string())
    }

    /// The revision the event belongs to.
    async fn revision(&self, ctx: &Context<'_>) -> ApiResult<RevisionObj> {
        RevisionObj::now(shared(ctx), &self.event.context.revision)
    }

    /// Valid time: from when the change is in force.
    async fn effective_from(&self) -> Date {
        Date(self.event.context.effective_from)
    }

    /// Record time.
    async fn recorded_at(&self) -> DateTime {
        DateTime(self.event.recorded_at)
    }

    /// The reason given for the change.
    async fn reason(&self) -> &str {
        &self.event.context.reason
    }

    /// Who recorded it; visible to editors and auditors, `null` for the
    /// public and when this copy of the log does not know it.
    async fn actor(&self, ctx: &Context<'_>) -> Option<String> {
        sees_actors(ctx)
            .then(|| registry::view::known_actor(&self.event.context.actor))
            .flatten()
    }

    /// Items whose state the event changes.
    async fn items(&self) -> Vec<ID> {
        self.event
            .event
            .items_touched()
            .into_iter()
            .map(|i| ID(i.to_string()))
            .collect()
    }

    /// The event's payload as stored (its JSON form, with `type`).
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(serde_json::to_value(&self.event.event).unwrap_or_default())
    }
}
