//! The public disclosure site of stdreg: server-rendered pages for people,
//! Atom feeds, CSV and JSON downloads, citations, and GraphiQL with its
//! assets bundled.
//!
//! The only crate that knows HTML. Every page handler asks the registry's read
//! model one question and renders the view it gets; sorting, filtering and
//! folding live in `registry::query`, never here. Pages work with JavaScript
//! off and load nothing from another host: every stylesheet and script is
//! compiled into the binary, and the pages use the reader's installed fonts.
//! The paths are a public contract, documented in `docs/site.md`.

mod assets;
mod atom;
mod cite;
mod conditional;
mod download;
mod error;
mod format;
mod pages;
mod params;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use registry::Registry;
use registry::verifiable::Checkpoints;

pub use error::SiteError;

/// What the site reads: the registry, and the signed checkpoints of its log
/// when it has a data directory (cited on item and revision pages).
#[derive(Debug, Clone)]
pub struct SiteState {
    pub registry: Arc<Registry>,
    /// `None`: no checkpoint is signed; citations say so.
    pub checkpoints: Option<Arc<Checkpoints>>,
}

impl SiteState {
    pub fn new(registry: Arc<Registry>) -> Self {
        Self {
            registry,
            checkpoints: None,
        }
    }

    /// Cites the latest checkpoint signed by `checkpoints`.
    pub fn with_checkpoints(mut self, checkpoints: Arc<Checkpoints>) -> Self {
        self.checkpoints = Some(checkpoints);
        self
    }
}

/// Every path of the site. Merged beside the GraphQL router on one port: the
/// two share no path (`/graphql`, `/healthz` and `/readyz` are the API's).
pub fn router(state: SiteState) -> Router {
    Router::new()
        .route("/", get(pages::home::page))
        .route("/graphiql", get(assets::graphiql))
        .route("/assets/{*file}", get(assets::file))
        .route("/feed.atom", get(pages::feeds::all))
        .route("/{jurisdiction}/feed.atom", get(pages::feeds::standard))
        .route(
            "/compliance/{code}/{date}",
            get(pages::compliance::locality),
        )
        .route(
            "/compliance/summary/{parent}/{date}",
            get(pages::compliance::summary),
        )
        .route("/search", get(pages::search::page))
        .route("/revisions/{id}", get(pages::revision::page))
        .route("/{jurisdiction}", get(pages::standard::today))
        .route("/{jurisdiction}/{date}", get(pages::standard::page))
        .route(
            "/{jurisdiction}/{date}/items/{item}",
            get(pages::item::page),
        )
        .route("/{jurisdiction}/compare", get(pages::compare::form))
        .route(
            "/{jurisdiction}/compare/{from}/{to}",
            get(pages::compare::page),
        )
        .fallback(error::fallback)
        .with_state(state)
}
