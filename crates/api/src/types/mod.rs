//! GraphQL object types: thin wrappers over the read model's views
//! (`registry::view`). They render what the registry answers; they never sort,
//! filter or fold. The domain itself knows nothing of GraphQL.

use std::sync::Arc;

use async_graphql::Context;
use chrono::{NaiveDate, Utc};
use domain::ids::{ItemId, Jurisdiction, RevisionId};
use domain::model::Known;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::shared::Shared;

mod change;
mod edition;
mod event;
mod revision;
mod standard;

pub(crate) use edition::{Comparator, ItemVersionObj, LevelObj, Period, ServiceStandardObj};
pub(crate) use event::EventObj;
pub(crate) use revision::{RevisionKind, RevisionObj};
pub(crate) use standard::{StandardObj, point};

pub(crate) fn shared<'a>(ctx: &Context<'a>) -> &'a Arc<Shared> {
    ctx.data_unchecked::<Arc<Shared>>()
}

/// Editors and auditors see who recorded what; the public does not.
pub(crate) fn sees_actors(ctx: &Context<'_>) -> bool {
    ctx.data_opt::<Caller>().is_some_and(Caller::sees_actors)
}

pub(crate) fn parse_jurisdiction(text: &str) -> Result<Jurisdiction, ApiError> {
    Jurisdiction::parse(text).map_err(|e| ApiError::BadInput(e.to_string()))
}

pub(crate) fn parse_item(id: &str) -> Result<ItemId, ApiError> {
    ItemId::parse(id).map_err(|e| ApiError::BadInput(e.to_string()))
}

pub(crate) fn parse_revision(id: &str) -> Result<RevisionId, ApiError> {
    RevisionId::parse(id).map_err(|e| ApiError::BadInput(e.to_string()))
}

pub(crate) fn today() -> NaiveDate {
    registry::today(Utc::now())
}

pub(crate) fn known<T: Clone>(value: &Known<T>) -> Option<T> {
    value.as_known().cloned()
}
