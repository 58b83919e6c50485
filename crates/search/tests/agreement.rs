//! The index agrees with the timeline: at every (valid_at, known_at) around
//! each version and each record instant of the bundled data, the hits of a
//! search are exactly the items of the edition at that point whose text holds
//! the word (a scan of the edition, no index); with history, exactly the
//! stretches of the versions that hold it.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use common::{bundled, recorded_at};
use search::{Field, Filter, Query, Request, SearchIndex, When};
use timeline::Timeline;

const WORDS: [&str; 8] = [
    "广播", "电视", "叶酸", "军人", "残疾", "节目", "补贴", "服务",
];

fn hits(index: &SearchIndex, timeline: &Timeline, word: &str, when: When) -> BTreeSet<String> {
    let query = Query::parse(word).expect("query");
    let filter = Filter::default();
    let mut found = BTreeSet::new();
    let mut after = None;
    for _ in 0..1_000 {
        let request = Request {
            query: &query,
            filter: &filter,
            when,
            first: 7,
            after,
        };
        let page = index.search(timeline, &request).expect("search");
        for hit in page.hits {
            found.insert(match when {
                When::At { .. } => format!("{}/{}", hit.jurisdiction, hit.item.id),
                When::History { .. } => format!(
                    "{}/{}@{}..{:?}",
                    hit.jurisdiction, hit.item.id, hit.valid_from, hit.valid_until
                ),
            });
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return found,
        }
    }
    panic!("{word}: too many pages");
}

fn holds(item: &domain::state::ItemState, word: &str) -> bool {
    Field::ALL
        .iter()
        .any(|f| f.text(item).is_some_and(|t| t.contains(word)))
}

/// Every item of the edition at the point whose text holds the word.
fn scan(
    timeline: &Timeline,
    word: &str,
    valid_at: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for standard in timeline.standards() {
        let edition = standard.edition(valid_at, known_at);
        let Some(snapshot) = edition.snapshot() else {
            continue;
        };
        for item in snapshot
            .items
            .values()
            .filter(|i| i.is_active() && holds(i, word))
        {
            found.insert(format!("{}/{}", standard.jurisdiction(), item.id));
        }
    }
    found
}

/// The stretches of valid time over which an item held the word, from editions
/// asked day by day at every version boundary (no index, no segments).
fn scan_history(
    timeline: &Timeline,
    word: &str,
    known_at: Option<DateTime<Utc>>,
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for standard in timeline.standards() {
        let starts: Vec<NaiveDate> = standard
            .all_versions(known_at)
            .iter()
            .map(|v| v.valid_from)
            .collect();
        let ids: BTreeSet<_> = standard
            .all_versions(known_at)
            .iter()
            .flat_map(|v| v.snapshot.items.keys().cloned())
            .collect();
        for id in ids {
            // (from, text) of each stretch of identical text and category.
            let mut stretches: Vec<(NaiveDate, Option<NaiveDate>, bool)> = Vec::new();
            let mut last: Option<std::sync::Arc<domain::state::ItemState>> = None;
            for &day in &starts {
                let edition = standard.edition(day, known_at);
                let item = edition
                    .snapshot()
                    .and_then(|s| s.items.get(&id).cloned())
                    .filter(|i| i.is_active());
                let same = match (&last, &item) {
                    (Some(a), Some(b)) => {
                        a.name == b.name
                            && a.name_en == b.name_en
                            && a.fields == b.fields
                            && a.placement.category == b.placement.category
                    }
                    (None, None) => true,
                    _ => false,
                };
                if !same {
                    if let Some(open) = stretches
                        .last_mut()
                        .filter(|s| s.1.is_none() && last.is_some())
                    {
                        open.1 = Some(day);
                    }
                    if let Some(item) = &item {
                        stretches.push((day, None, holds(item, word)));
                    }
                }
                last = item;
            }
            for (from, until, held) in stretches {
                if held {
                    found.insert(format!(
                        "{}/{}@{}..{:?}",
                        standard.jurisdiction(),
                        id,
                        from,
                        until
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn hits_are_the_editions_text_at_every_point() {
    let mut indexes = vec![SearchIndex::default()];
    let timeline = bundled(&mut indexes);
    let index = &indexes[0];
    let mut days: BTreeSet<NaiveDate> = BTreeSet::new();
    for standard in timeline.standards() {
        for version in standard.all_versions(None) {
            for delta in [-1, 0, 1] {
                days.insert(version.valid_from + Duration::days(delta));
            }
        }
    }
    let revisions = timeline
        .standards()
        .map(|s| s.revisions(None).len())
        .sum::<usize>();
    let mut instants: Vec<Option<DateTime<Utc>>> = vec![None];
    for n in 0..revisions {
        instants.push(Some(recorded_at(n) - Duration::microseconds(1)));
        instants.push(Some(recorded_at(n)));
    }
    let mut compared = 0;
    let mut nonempty = 0;
    for word in WORDS {
        for &known_at in &instants {
            for &valid_at in &days {
                let want = scan(&timeline, word, valid_at, known_at);
                let got = hits(index, &timeline, word, When::At { valid_at, known_at });
                assert_eq!(got, want, "{word} at {valid_at} known at {known_at:?}");
                compared += 1;
                nonempty += usize::from(!want.is_empty());
            }
            let want = scan_history(&timeline, word, known_at);
            let got = hits(index, &timeline, word, When::History { known_at });
            assert_eq!(got, want, "{word} with history known at {known_at:?}");
        }
    }
    assert!(
        nonempty * 2 > compared,
        "{nonempty} of {compared} points found something"
    );
}

/// An index kept current append by append (each update looks only at what the
/// append folded again) holds what one that walks every generation of the
/// finished timeline holds.
#[test]
fn following_each_append_indexes_what_walking_every_generation_indexes() {
    let mut indexes = vec![SearchIndex::default()];
    let timeline = bundled(&mut indexes);
    let mut walked = SearchIndex::default();
    for standard in timeline.standards() {
        let mut instants: Vec<DateTime<Utc>> =
            standard.events().iter().map(|e| e.recorded_at).collect();
        instants.dedup();
        for t in instants {
            walked.walk_versions(standard.jurisdiction(), standard.all_versions(Some(t)));
        }
    }
    let (followed, walked) = (indexes[0].stats(), walked.stats());
    assert!(followed.postings > 0);
    assert_eq!(
        (
            followed.items,
            followed.terms,
            followed.texts,
            followed.postings
        ),
        (walked.items, walked.terms, walked.texts, walked.postings)
    );
}
