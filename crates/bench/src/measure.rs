//! Rebuild and time travel on one store file, meant to run in a process of its
//! own so that its peak memory is the rebuild's alone.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::event::RecordedEvent;
use domain::ids::{ItemId, Jurisdiction};
use domain::state::{Snapshot, fold, in_force};
use event_store::{EventStore, READ_PAGE_MAX};
use registry::Registry;
use registry::view::{EditionView, ItemView};
use serde::{Deserialize, Serialize};
use store_sqlite::SqliteStore;
use timeline::{Edition, StandardTimeline, Version};

use crate::Error;
use crate::machine::{Latency, peak_rss_kib};
use crate::rng::Rng;

/// Versions, states and item states the timeline holds (see `timeline::Held`).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct HeldFigures {
    pub version_entries: u64,
    pub snapshots: u64,
    pub item_states: u64,
}

/// What one size measured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SizeFigures {
    pub events: u64,
    pub standards: usize,
    /// `SqliteStore::open` + `Registry::open`: read, decode and index the whole log.
    pub rebuild_seconds: f64,
    /// Peak resident memory of the process once the index is built.
    pub rebuild_peak_rss_kib: u64,
    /// Events the timeline's folds applied while indexing the log (an event
    /// folded again by a later retroactive or earlier-dated append counts again).
    #[serde(default)]
    pub applied: u64,
    /// What the timeline holds once built, each shared allocation counted
    /// once (`StandardTimeline::held`, summed over the standards).
    #[serde(default)]
    pub held: HeldFigures,
    /// Reading and decoding the whole log again, without indexing it.
    pub decode_seconds: f64,
    /// Reading the whole log and only parsing its JSON (into nothing): the
    /// floor of any rebuild from this log that decodes every event.
    #[serde(default)]
    pub parse_seconds: f64,
    /// Stored payload bytes of the whole log: what an index holding every
    /// event's content in memory holds at least.
    #[serde(default)]
    pub payload_bytes: u64,
    /// `StandardTimeline::edition` alone.
    pub edition_lookup: Latency,
    /// `StandardTimeline::edition` + `EditionView::new`.
    pub edition: Latency,
    /// `fold(&in_force(..))` alone.
    pub edition_naive_fold: Latency,
    /// `fold(&in_force(..))` + `EditionView::new`.
    pub edition_naive: Latency,
    /// One item at a point through the index, with its `ItemView`.
    pub item: Latency,
    /// The same item by the naive fold, with its `ItemView`.
    pub item_naive: Latency,
    /// The full edition as a registry without projections answers it: read the
    /// standard's stream from the store, decode it, `fold(&in_force(..))`, `EditionView`.
    #[serde(default)]
    pub edition_naive_store: Latency,
    /// Points answered both ways and compared.
    pub compared: usize,
    /// Points where the index and the naive fold disagree (must be 0).
    pub mismatches: usize,
    /// Items the HTTP edition query must return on this log.
    #[serde(default)]
    pub national_edition_items: Option<usize>,
    /// Full-text search: the index and query latency (mismatches count above too).
    #[serde(default)]
    pub search: Option<crate::search::SearchFigures>,
}

impl SizeFigures {
    pub fn rebuild_events_per_second(&self) -> f64 {
        self.events as f64 / self.rebuild_seconds.max(f64::EPSILON)
    }

    pub fn decode_events_per_second(&self) -> f64 {
        self.events as f64 / self.decode_seconds.max(f64::EPSILON)
    }

    pub fn parse_events_per_second(&self) -> f64 {
        self.events as f64 / self.parse_seconds.max(f64::EPSILON)
    }
}

/// One time-travel point.
struct Point {
    standard: usize,
    valid_at: NaiveDate,
    known_at: DateTime<Utc>,
    item: Option<ItemId>,
}

/// Opens the registry on the log in `path` and runs `queries` time-travel queries,
/// the first `naive_queries` of them also by the naive fold.
pub async fn measure_store(
    path: &Path,
    queries: usize,
    naive_queries: usize,
    seed: u64,
) -> Result<SizeFigures, Error> {
    let started = Instant::now();
    let store = Arc::new(SqliteStore::open(path).await?);
    let registry = Registry::open(store.clone()).await?;
    let rebuild_seconds = started.elapsed().as_secs_f64();
    let rebuild_peak_rss_kib = peak_rss_kib();

    let events = store.head_position().await?;
    let (mut figures, from_store) = {
        let timeline = registry.index();
        let standards: Vec<&StandardTimeline> = timeline.standards().collect();
        let points = points(&standards, queries, seed);
        let figures = time_travel(&standards, &points, naive_queries)?;
        // What the index answered, to compare with the store's answers below.
        let from_store: Vec<StorePoint> = points
            .iter()
            .take(naive_queries.min(NAIVE_STORE_QUERIES_MAX))
            .map(|p| {
                let standard = standards[p.standard];
                StorePoint {
                    jurisdiction: standard.jurisdiction().clone(),
                    valid_at: p.valid_at,
                    known_at: p.known_at,
                    index: standard
                        .edition(p.valid_at, Some(p.known_at))
                        .version
                        .map(|v| v.snapshot),
                }
            })
            .collect();
        (figures, from_store)
    };
    let (latency, mismatches) = naive_from_store(store.as_ref(), &from_store).await?;
    figures.edition_naive_store = latency;
    let search = crate::search::measure(&registry, seed)?;
    figures.compared += search.compared;
    figures.mismatches += search.mismatches;
    figures.search = Some(search);
    figures.compared += from_store.len();
    figures.mismatches += mismatches;
    figures.events = events;
    figures.standards = registry.index().standards().count();
    figures.national_edition_items = crate::http::expected_items(&registry.index());
    figures.rebuild_seconds = rebuild_seconds;
    figures.rebuild_peak_rss_kib = rebuild_peak_rss_kib;
    figures.applied = registry.index().standards().map(|s| s.applied()).sum();
    figures.held =
        registry
            .index()
            .standards()
            .map(|s| s.held())
            .fold(HeldFigures::default(), |sum, h| HeldFigures {
                version_entries: sum.version_entries + h.version_entries,
                snapshots: sum.snapshots + h.snapshots,
                item_states: sum.item_states + h.item_states,
            });
    drop(registry);
    figures.decode_seconds = decode_only(store.as_ref()).await?;
    (figures.parse_seconds, figures.payload_bytes) = parse_only(store.as_ref()).await?;
    Ok(figures)
}

/// Most points answered by reading the stream from the store: each reads ~1,000 events.
const NAIVE_STORE_QUERIES_MAX: usize = 100;

/// A point to answer from the store, with the index's answer.
struct StorePoint {
    jurisdiction: Jurisdiction,
    valid_at: NaiveDate,
    known_at: DateTime<Utc>,
    index: Option<Arc<Snapshot>>,
}

/// The full edition at each point with no projection at all: the standard's
/// events read from the store and decoded, then folded. Returns the latency
/// and how many answers differ from the index's.
async fn naive_from_store(
    store: &dyn EventStore,
    points: &[StorePoint],
) -> Result<(Latency, usize), Error> {
    let mut samples = Vec::with_capacity(points.len());
    let mut mismatches = 0;
    for point in points {
        let t0 = Instant::now();
        let stream = registry::codec::stream_for(&point.jurisdiction);
        let mut events: Vec<RecordedEvent> = Vec::new();
        loop {
            let page = store
                .read_stream(&stream, events.len() as u64, READ_PAGE_MAX)
                .await?;
            let full = page.len() == READ_PAGE_MAX;
            for stored in &page {
                events.push(registry::codec::decode(stored)?.1);
            }
            if !full {
                break;
            }
        }
        let selected = in_force(&events, Some(point.valid_at), Some(point.known_at));
        let folded = fold(&selected).ok().filter(|s| s.established_on.is_some());
        let edition = Edition {
            jurisdiction: point.jurisdiction.clone(),
            valid_at: point.valid_at,
            known_at: Some(point.known_at),
            version: folded.clone().map(|snapshot| Version {
                valid_from: selected
                    .last()
                    .map_or(point.valid_at, |e| e.context.effective_from),
                snapshot: Arc::new(snapshot),
                revisions: Arc::new([]),
                changes_text: true,
            }),
        };
        black_box(EditionView::new(&edition));
        samples.push(nanos(t0));
        if folded.as_ref() != point.index.as_deref() {
            mismatches += 1;
        }
    }
    Ok((Latency::of(&mut samples), mismatches))
}

/// Seconds to read the whole log and parse every payload as JSON without
/// building anything, and the payloads' total size.
async fn parse_only(store: &dyn EventStore) -> Result<(f64, u64), Error> {
    let started = Instant::now();
    let mut next = 1;
    let mut bytes = 0u64;
    loop {
        let page = store.read_all(next, READ_PAGE_MAX).await?;
        let Some(last) = page.last() else { break };
        next = last.global_position + 1;
        for stored in &page {
            bytes += stored.data.len() as u64;
            serde_json::from_slice::<serde::de::IgnoredAny>(&stored.data)
                .map_err(|e| Error::NotJson(stored.global_position, e))?;
        }
    }
    Ok((started.elapsed().as_secs_f64(), bytes))
}

/// Seconds to read and decode the whole log, page by page as a catch-up does.
async fn decode_only(store: &dyn EventStore) -> Result<f64, Error> {
    let started = Instant::now();
    let mut next = 1;
    loop {
        let page = store.read_all(next, READ_PAGE_MAX).await?;
        let Some(last) = page.last() else { break };
        next = last.global_position + 1;
        black_box(registry::decode_batches(&page)?);
    }
    Ok(started.elapsed().as_secs_f64())
}

fn points(standards: &[&StandardTimeline], queries: usize, seed: u64) -> Vec<Point> {
    let mut rng = Rng::derive(seed, 0x7157);
    let first_day = NaiveDate::from_ymd_opt(2020, 6, 1).unwrap_or_default();
    let mut out = Vec::with_capacity(queries);
    if standards.is_empty() {
        return out;
    }
    for _ in 0..queries {
        let standard = rng.below(standards.len());
        let events = standards[standard].events();
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            continue;
        };
        let span = (last.recorded_at - first.recorded_at).num_seconds().max(1) as u64;
        let known_at = first.recorded_at + Duration::seconds((rng.next() % span) as i64);
        let valid_at = first_day + Duration::days(rng.below(365 * 22) as i64);
        let items: Vec<&ItemId> = standards[standard]
            .all_versions(None)
            .last()
            .map(|v| v.snapshot.items.keys().collect())
            .unwrap_or_default();
        let item = rng.choose(&items).map(|i| (*i).clone());
        out.push(Point {
            standard,
            valid_at,
            known_at,
            item,
        });
    }
    out
}

fn nanos(since: Instant) -> u64 {
    since.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64
}

/// The edition the naive fold gives: the fold of every event in force, as a version
/// starting on the last effective date among them.
fn naive_edition(
    standard: &StandardTimeline,
    point: &Point,
    selected: &[&RecordedEvent],
    folded: Option<Snapshot>,
) -> Edition {
    let version = folded
        .filter(|s| s.established_on.is_some())
        .map(|snapshot| Version {
            valid_from: selected
                .last()
                .map_or(point.valid_at, |e| e.context.effective_from),
            snapshot: Arc::new(snapshot),
            revisions: Vec::new().into(),
            changes_text: true,
        });
    Edition {
        jurisdiction: standard.jurisdiction().clone(),
        valid_at: point.valid_at,
        known_at: Some(point.known_at),
        version,
    }
}

fn time_travel(
    standards: &[&StandardTimeline],
    points: &[Point],
    naive_queries: usize,
) -> Result<SizeFigures, Error> {
    let mut lookup = Vec::with_capacity(points.len());
    let mut full = Vec::with_capacity(points.len());
    let mut item = Vec::with_capacity(points.len());
    let mut naive_fold = Vec::new();
    let mut naive_full = Vec::new();
    let mut naive_item = Vec::new();
    let mut mismatches = 0;
    let mut compared = 0;
    for (i, point) in points.iter().enumerate() {
        let standard = standards[point.standard];
        let t0 = Instant::now();
        let edition = standard.edition(point.valid_at, Some(point.known_at));
        lookup.push(nanos(t0));
        black_box(EditionView::new(&edition));
        full.push(nanos(t0));

        let t0 = Instant::now();
        let fast_item = point.item.as_ref().and_then(|id| {
            let edition = standard.edition(point.valid_at, Some(point.known_at));
            let snapshot = &edition.version.as_ref()?.snapshot;
            let state = snapshot.items.get(id)?;
            Some((state.as_ref().clone(), ItemView::new(state, snapshot)))
        });
        item.push(nanos(t0));

        if i >= naive_queries {
            continue;
        }
        let t0 = Instant::now();
        let selected = in_force(
            standard.events(),
            Some(point.valid_at),
            Some(point.known_at),
        );
        let folded = fold(&selected).ok();
        naive_fold.push(nanos(t0));
        let naive = naive_edition(standard, point, &selected, folded);
        black_box(EditionView::new(&naive));
        naive_full.push(nanos(t0));

        let t0 = Instant::now();
        let naive_item_state = point.item.as_ref().and_then(|id| {
            let selected = in_force(
                standard.events(),
                Some(point.valid_at),
                Some(point.known_at),
            );
            let snapshot = std::sync::Arc::new(fold(&selected).ok()?);
            snapshot.established_on?;
            let state = snapshot.items.get(id)?;
            Some((state.as_ref().clone(), ItemView::new(state, &snapshot)))
        });
        naive_item.push(nanos(t0));

        compared += 1;
        let same_edition = edition.snapshot() == naive.snapshot();
        let same_item = fast_item.map(|(s, _)| s) == naive_item_state.map(|(s, _)| s);
        if !(same_edition && same_item) {
            mismatches += 1;
        }
    }
    Ok(SizeFigures {
        events: 0,
        standards: 0,
        rebuild_seconds: 0.0,
        rebuild_peak_rss_kib: 0,
        applied: 0,
        held: HeldFigures::default(),
        decode_seconds: 0.0,
        parse_seconds: 0.0,
        payload_bytes: 0,
        edition_lookup: Latency::of(&mut lookup),
        edition: Latency::of(&mut full),
        edition_naive_fold: Latency::of(&mut naive_fold),
        edition_naive: Latency::of(&mut naive_full),
        edition_naive_store: Latency::default(),
        item: Latency::of(&mut item),
        item_naive: Latency::of(&mut naive_item),
        compared,
        mismatches,
        national_edition_items: None,
        search: None,
    })
}
