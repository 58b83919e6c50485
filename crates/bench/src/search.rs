//! Full-text search on the synthetic store: the index's size and build time
//! beside the rebuild, and `Registry::search` latency for 1-, 2- and
//! 4-character words at a point and with history, beside a naive scan of
//! every edition that also checks the index's answers.

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use registry::Registry;
use registry::search::{SearchRequest, SearchResults};
use search::analyzer::is_han;
use search::{Field, SearchIndex, When};
use serde::{Deserialize, Serialize};
use timeline::{StandardTimeline, Timeline};

use crate::Error;
use crate::machine::Latency;
use crate::rng::Rng;

/// Searches timed per word length and mode.
pub const SEARCHES_PER_KIND: usize = 200;
/// Searches of 4-character words at a point also answered by the naive scan and compared in full.
pub const SEARCHES_COMPARED: usize = 20;
/// Hits per page of the timed searches.
const PAGE: usize = 20;
/// Pages read at most when collecting every hit of a compared search.
const PAGES_MAX: usize = 100_000;

/// What the search measurements found at one size.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SearchFigures {
    /// A new `SearchIndex` fed every standard's latest generation of the rebuilt timeline.
    pub index_build_seconds: f64,
    /// Estimated heap bytes of the registry's index (`SearchIndex::stats`).
    pub index_heap_bytes: u64,
    pub items: usize,
    pub terms: usize,
    pub texts: usize,
    pub postings: u64,
    pub kinds: Vec<SearchKind>,
    /// The naive scan of every standard's edition, for 4-character words at a point.
    pub naive_at_point: Latency,
    pub compared: usize,
    pub mismatches: usize,
}

/// Latency of one word length in one mode.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SearchKind {
    pub chars: usize,
    pub history: bool,
    pub latency: Latency,
    /// Mean hits on the first page (at most 20).
    pub hits_mean: f64,
}

/// Measures search on the registry the rebuild made.
pub fn measure(registry: &Registry, seed: u64) -> Result<SearchFigures, Error> {
    let mut figures = SearchFigures::default();
    let words = {
        let timeline = registry.index();
        let started = Instant::now();
        let mut index = SearchIndex::default();
        for standard in timeline.standards() {
            index.update(standard);
        }
        figures.index_build_seconds = started.elapsed().as_secs_f64();
        black_box(index);
        // The registry's index followed the log append by append, each update
        // looking only at what the append folded again; one that walks every
        // generation of the finished timeline must hold the same.
        let mut walked = SearchIndex::default();
        for standard in timeline.standards() {
            let mut instants: Vec<DateTime<Utc>> =
                standard.events().iter().map(|e| e.recorded_at).collect();
            instants.dedup();
            for t in instants {
                walked.walk_versions(standard.jurisdiction(), standard.all_versions(Some(t)));
            }
        }
        let (walked, followed) = (walked.stats(), registry.search_stats());
        figures.compared += 1;
        if (walked.items, walked.terms, walked.texts, walked.postings)
            != (
                followed.items,
                followed.terms,
                followed.texts,
                followed.postings,
            )
        {
            figures.mismatches += 1;
        }
        let standards: Vec<&StandardTimeline> = timeline.standards().collect();
        let mut rng = Rng::derive(seed, 0x5ea7);
        [1, 2, 4].map(|chars| words(&standards, chars, &mut rng))
    };
    let stats = registry.search_stats();
    figures.index_heap_bytes = stats.heap_bytes as u64;
    figures.items = stats.items;
    figures.terms = stats.terms;
    figures.texts = stats.texts;
    figures.postings = stats.postings;
    let span = record_span(&registry.index());
    let mut rng = Rng::derive(seed, 0x5ea8);
    for (n, chars) in [1, 2, 4].into_iter().enumerate() {
        for history in [false, true] {
            let mut samples = Vec::new();
            let mut hits = 0;
            for word in &words[n] {
                let when = if history {
                    When::History { known_at: None }
                } else {
                    point(&mut rng, span)
                };
                let started = Instant::now();
                let results = search(registry, word, when, PAGE, None)?;
                samples.push(started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64);
                hits += results.hits.len();
            }
            figures.kinds.push(SearchKind {
                chars,
                history,
                hits_mean: hits as f64 / samples.len().max(1) as f64,
                latency: Latency::of(&mut samples),
            });
        }
    }
    let mut naive = Vec::new();
    for word in words[2].iter().take(SEARCHES_COMPARED) {
        let when = point(&mut rng, span);
        let started = Instant::now();
        let expected = naive_scan(&registry.index(), word, when);
        naive.push(started.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64);
        let found = every_hit(registry, word, when)?;
        figures.compared += 1;
        if found != expected {
            figures.mismatches += 1;
        }
    }
    figures.naive_at_point = Latency::of(&mut naive);
    Ok(figures)
}

fn search(
    registry: &Registry,
    word: &str,
    when: When,
    first: usize,
    after: Option<String>,
) -> Result<SearchResults, Error> {
    let request = SearchRequest {
        query: word.to_owned(),
        jurisdiction: None,
        aspect: None,
        category: None,
        fields: Vec::new(),
        when,
        first,
        after,
    };
    registry
        .search(&request)
        .map_err(|e| Error::Config(format!("search {word:?}: {e}")))
}

/// Every hit of a search at a point, page after page, as (jurisdiction, item).
fn every_hit(
    registry: &Registry,
    word: &str,
    when: When,
) -> Result<BTreeSet<(String, String)>, Error> {
    let mut found = BTreeSet::new();
    let mut after = None;
    for _ in 0..PAGES_MAX {
        let page = search(registry, word, when, search::PAGE_SIZE_MAX, after)?;
        for hit in &page.hits {
            found.insert((hit.jurisdiction.to_string(), hit.item.id.to_string()));
        }
        match page.next_cursor {
            Some(next) => after = Some(next),
            None => return Ok(found),
        }
    }
    Err(Error::Config(format!(
        "search {word:?}: more than {PAGES_MAX} pages"
    )))
}

/// What a registry without a search index does: every standard's edition at the
/// point, every active item, every field searched for the word.
fn naive_scan(timeline: &Timeline, word: &str, when: When) -> BTreeSet<(String, String)> {
    let When::At { valid_at, known_at } = when else {
        return BTreeSet::new();
    };
    let mut found = BTreeSet::new();
    for standard in timeline.standards() {
        let edition = standard.edition(valid_at, known_at);
        let Some(snapshot) = edition.snapshot() else {
            continue;
        };
        for item in snapshot.items.values().filter(|i| i.is_active()) {
            let holds = Field::ALL
                .iter()
                .any(|f| f.text(item).is_some_and(|t| t.contains(word)));
            if holds {
                found.insert((standard.jurisdiction().to_string(), item.id.to_string()));
            }
        }
    }
    found
}

/// Words of `chars` Han characters cut from random item texts of the latest versions.
fn words(standards: &[&StandardTimeline], chars: usize, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    // Bounded: most draws succeed, so this ends long before the bound.
    for _ in 0..SEARCHES_PER_KIND * 20 {
        if out.len() == SEARCHES_PER_KIND || standards.is_empty() {
            break;
        }
        let standard = standards[rng.below(standards.len())];
        let Some(version) = standard.all_versions(None).last() else {
            continue;
        };
        let items: Vec<_> = version.snapshot.items.values().collect();
        let Some(item) = rng.choose(&items) else {
            continue;
        };
        let field = *rng.pick(&Field::ALL);
        let Some(text) = field.text(item) else {
            continue;
        };
        let text: Vec<char> = text.chars().collect();
        if text.len() < chars {
            continue;
        }
        let start = rng.below(text.len() - chars + 1);
        let word = &text[start..start + chars];
        if word.iter().all(|&c| is_han(c)) {
            out.push(word.iter().collect());
        }
    }
    out
}

/// The first and last record time of the log.
fn record_span(timeline: &Timeline) -> (DateTime<Utc>, DateTime<Utc>) {
    let mut first = DateTime::<Utc>::MAX_UTC;
    let mut last = DateTime::<Utc>::MIN_UTC;
    for standard in timeline.standards() {
        if let (Some(a), Some(b)) = (standard.events().first(), standard.events().last()) {
            first = first.min(a.recorded_at);
            last = last.max(b.recorded_at);
        }
    }
    (first, last.max(first))
}

/// A random point: a valid date in 2021–2027, a record time within the log's.
fn point(rng: &mut Rng, (first, last): (DateTime<Utc>, DateTime<Utc>)) -> When {
    let start = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default();
    let span = (last - first).num_seconds().max(1) as u64;
    When::At {
        valid_at: start + Duration::days(rng.below(365 * 7) as i64),
        known_at: Some(first + Duration::seconds((rng.next() % span) as i64)),
    }
}
