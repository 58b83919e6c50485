//! What every resolver shares: the registry and its checkpoints.

use std::sync::Arc;

use registry::Registry;
use registry::verifiable::Checkpoints;

use crate::error::ApiError;

#[derive(Debug)]
pub(crate) struct Shared {
    pub registry: Arc<Registry>,
    pub checkpoints: Option<Arc<Checkpoints>>,
}

impl Shared {
    pub fn new(registry: Arc<Registry>, checkpoints: Option<Arc<Checkpoints>>) -> Self {
        Self {
            registry,
            checkpoints,
        }
    }
}

pub(crate) fn parse_cursor(text: &str) -> Result<u64, ApiError> {
    text.trim().parse::<u64>().map_err(|_| {
        ApiError::BadInput(format!(
            "'{}' is not a cursor: pass a cursor from `edges.cursor` or `pageInfo.endCursor`",
            domain::input::quote(text)
        ))
    })
}

pub(crate) fn cursor(position: u64) -> String {
    position.to_string()
}
