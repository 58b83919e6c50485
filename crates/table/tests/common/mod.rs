//! A registry with the bundled national data and local examples, in memory.
#![allow(clippy::unwrap_used, dead_code)]

use std::sync::Arc;

use chrono::NaiveDate;
use domain::command::{PublishRevision, RevisionContent, WholeStandard};
use domain::ids::{Jurisdiction, RevisionId};
use domain::model::{Known, RevisionInfo, RevisionKind};
use event_store::MemoryStore;
use registry::Registry;
use registry::import::ImportFile;
use registry::query::Point;
use registry::view::EditionView;

pub async fn empty() -> Registry {
    Registry::open(Arc::new(MemoryStore::new())).await.unwrap()
}

/// The bundled national revisions, and the local examples when `local`.
pub async fn bundled(local: bool) -> Registry {
    let registry = empty().await;
    let national = registry::bundled::national_revisions().unwrap();
    registry
        .import(&ImportFile::new(national), "test")
        .await
        .unwrap();
    if local {
        let local = registry::bundled_local::local_revisions().unwrap();
        registry
            .import(&ImportFile::new(local), "test")
            .await
            .unwrap();
    }
    registry
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub fn edition(registry: &Registry, jurisdiction: &str, valid_at: &str) -> EditionView {
    registry
        .edition(
            &Jurisdiction::parse(jurisdiction).unwrap(),
            Point::new(date(valid_at), None),
        )
        .unwrap()
}

/// The national edition a local standard on `valid_at` implements: the one in force then.
pub fn national_for(
    registry: &Registry,
    jurisdiction: &str,
    valid_at: &str,
) -> Option<EditionView> {
    (jurisdiction != "CN").then(|| edition(registry, "CN", valid_at))
}

/// A whole-standard revision of `whole` effective on `valid_at`.
pub fn restatement(
    id: &str,
    jurisdiction: &str,
    valid_at: &str,
    implements: Option<&RevisionId>,
    whole: WholeStandard,
) -> PublishRevision {
    let jurisdiction = Jurisdiction::parse(jurisdiction).unwrap();
    PublishRevision {
        revision: RevisionInfo {
            id: RevisionId::parse(id).unwrap(),
            kind: if jurisdiction.is_national() {
                RevisionKind::ComprehensiveRevision
            } else {
                RevisionKind::LocalImplementation
            },
            jurisdiction,
            title: "restated from a table".into(),
            document_no: Known::Unknown,
            issuers: Known::Unknown,
            issued_on: Known::Unknown,
            effective_from: date(valid_at),
            declared_item_count: None,
            implements: implements.cloned(),
            target: None,
            sources: Vec::new(),
        },
        content: RevisionContent::Whole(whole),
    }
}

/// The national revision in force on a day: what a local standard then implements.
pub fn national_revision(valid_at: &str) -> RevisionId {
    RevisionId::parse(if valid_at < "2023-08-09" {
        registry::bundled::REVISION_2021
    } else {
        registry::bundled::REVISION_2023
    })
    .unwrap()
}
