//! Stylesheets and scripts compiled into the binary, and the GraphiQL page
//! that uses the bundled GraphiQL (`assets/graphiql/fetch.sh` fetched it from
//! the npm registry at pinned versions; nothing loads from another host).

use std::sync::LazyLock;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::SiteError;

/// One served file.
#[derive(Debug)]
struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "site.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/site.css"),
    },
    Asset {
        path: "print.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/print.css"),
    },
    Asset {
        path: "graphiql/start.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql-start.js"),
    },
    Asset {
        path: "graphiql/graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/graphiql.min.css"),
    },
    Asset {
        path: "graphiql/graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/graphiql.min.js"),
    },
    Asset {
        path: "graphiql/react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/react.production.min.js"),
    },
    Asset {
        path: "graphiql/react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/react-dom.production.min.js"),
    },
    Asset {
        path: "graphiql/graphql-ws.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/graphql-ws.min.js"),
    },
    Asset {
        path: "graphiql/LICENSE-graphiql",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/LICENSE-graphiql"),
    },
    Asset {
        path: "graphiql/LICENSE-react",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/LICENSE-react"),
    },
    Asset {
        path: "graphiql/LICENSE-react-dom",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/LICENSE-react-dom"),
    },
    Asset {
        path: "graphiql/LICENSE-graphql-ws",
        content_type: "text/plain; charset=utf-8",
        bytes: include_bytes!("../assets/graphiql/LICENSE-graphql-ws"),
    },
];

/// Strong entity tags of the assets, by index in [`ASSETS`], and one tag over
/// all of them that pages carry in their links and validators, so that a
/// new build is never answered from an old cache.
static DIGESTS: LazyLock<(Vec<String>, String)> = LazyLock::new(|| {
    let mut all = Sha256::new();
    let tags = ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.bytes);
            all.update(digest);
            format!("\"{}\"", hex(&digest[..8]))
        })
        .collect();
    (tags, hex(&all.finalize()[..4]))
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A short digest of every asset: pages link `/assets/site.css?v={version}`.
pub fn version() -> &'static str {
    &DIGESTS.1
}

/// `GET /assets/{*file}`.
pub async fn file(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, SiteError> {
    let Some(index) = ASSETS.iter().position(|a| a.path == path) else {
        return Err(SiteError::NoSuchAsset(path));
    };
    let asset = &ASSETS[index];
    let tag = &DIGESTS.0[index];
    let cache = (
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    let etag = (
        header::ETAG,
        HeaderValue::from_str(tag).unwrap_or_else(|_| HeaderValue::from_static("\"\"")),
    );
    if crate::conditional::matches(&headers, tag) {
        return Ok((StatusCode::NOT_MODIFIED, [cache, etag]).into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            cache,
            etag,
        ],
        asset.bytes,
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "graphiql.html")]
struct GraphiqlPage {
    version: &'static str,
}

/// `GET /graphiql`: GraphiQL on `/graphql`, every script served from `/assets/graphiql/`.
pub async fn graphiql() -> impl IntoResponse {
    GraphiqlPage { version: version() }
}
