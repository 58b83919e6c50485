//! The GraphQL time-travel API of stdreg, served over HTTP and WebSocket.
//!
//! The only crate that knows GraphQL. [`router`] builds the whole
//! surface: `POST`/`GET /graphql` (GraphQL over HTTP with content
//! negotiation), subscriptions (graphql-transport-ws) at `/graphql/ws`,
//! `/healthz`, `/readyz` and `/metrics`; [`log_request`] logs and counts each request. Reads answer from the registry's
//! in-memory timeline; writes go through `Registry::publish` with the token's
//! principal as the actor.

mod answers;
pub mod auth;
mod compliance_types;
mod connections;
mod error;
mod http;
pub mod jwt;
pub mod limits;
mod log_proofs;
mod observe;
mod scalars;
mod schema;
mod search;
mod shared;
mod types;
mod write;
mod write_inputs;

pub use connections::{ClientAddress, serve};
pub use error::{ApiError, Code};
pub use http::{AppState, Cors, router, schema};
pub use observe::{Metrics, REQUEST_ID, log_request};
pub use schema::{ApiSchema, sdl};
