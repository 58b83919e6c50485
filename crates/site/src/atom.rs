//! Atom 1.0 (RFC 4287) feeds of revisions, newest recorded first, paged
//! with RFC 5005 links. Written from an askama template, which escapes
//! every text for XML; an entry's content is the HTML of its effects.

use askama::Template;
use chrono::{DateTime, Utc};
use registry::page::FeedPage;
use registry::view::RevisionDetail;

use crate::error::SiteError;

/// Revisions per page of a feed.
pub const PAGE_SIZE: usize = 20;

#[derive(Template)]
#[template(path = "feed.xml")]
struct Feed<'a> {
    id: String,
    title: &'a str,
    updated: String,
    base: &'a str,
    path: &'a str,
    html_path: &'a str,
    page: usize,
    pages: usize,
    entries: Vec<Entry>,
}

struct Entry {
    id: String,
    title: String,
    updated: String,
    link: String,
    kind: &'static str,
    summary: String,
    content: String,
}

#[derive(Template)]
#[template(path = "feed_entry.html")]
struct EntryContent<'a> {
    view: &'a RevisionDetail,
    base: &'a str,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A stable IRI for a name: a name-based UUID, the same on every server.
fn urn(name: &str) -> String {
    format!(
        "urn:uuid:{}",
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("stdreg:{name}").as_bytes()
        )
    )
}

/// The feed document of one page. `path` is the feed's own path, `html_path`
/// the page for people it follows.
pub fn write(
    feed: &FeedPage,
    title: &str,
    base: &str,
    path: &str,
    html_path: &str,
) -> Result<Vec<u8>, SiteError> {
    let entries = feed
        .entries
        .iter()
        .map(|view| {
            let info = &view.revision.info;
            Ok(Entry {
                id: urn(&format!("revision:{}", info.id)),
                title: info.title.clone(),
                updated: stamp(view.revision.recorded_at),
                link: format!("{base}/revisions/{}", info.id),
                kind: info.kind.as_str(),
                summary: format!(
                    "{} · {} 起施行 · {} · 影响 {} 项",
                    crate::format::kind(&info.kind),
                    info.effective_from,
                    crate::format::status(view.revision.status),
                    view.effects.len()
                ),
                content: EntryContent { view, base }.render()?,
            })
        })
        .collect::<Result<Vec<_>, SiteError>>()?;
    let document = Feed {
        id: urn(&format!("feed:{path}")),
        title,
        updated: stamp(feed.updated.unwrap_or_default()),
        base,
        path,
        html_path,
        page: feed.page,
        pages: feed.pages,
        entries,
    };
    Ok(document.render()?.into_bytes())
}
