//! The bench in its small configuration: it runs, the index answers what the
//! naive fold answers, and the workload exercises what it claims to. How fast
//! anything is does not matter here.
#![allow(clippy::unwrap_used)]

use bench::synthetic::{self, GlobalLog, SYNTHETIC_ACTOR, SYNTHETIC_LABEL, Workload};
use bench::{Config, run};
use domain::event::Event;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quick_bench_runs_and_the_index_agrees_with_the_naive_fold() {
    let temp = tempfile::tempdir().unwrap();
    let mut config = Config::quick();
    config.temp_root = Some(temp.path().to_owned());
    let report = run(&config, &mut |_| {})
        .await
        .expect("the quick bench runs");

    assert_eq!(report.sizes.len(), 1);
    let size = &report.sizes[0];
    assert!(size.events >= 2_000, "{size:?}");
    assert!(size.compared >= 100, "{size:?}");
    assert_eq!(size.mismatches, 0, "{size:?}");
    assert!(size.edition_naive_store.samples > 0, "{size:?}");
    assert_eq!(size.edition.samples, config.queries);
    assert_eq!(report.append.len(), 1);
    assert!(report.append[0].stdreg_commits_per_second > 0.0);
    assert!(report.append[0].raw_batch_events_per_second > 0.0);

    // The HTTP part in its smoke form: the router in process, two connections
    // for one second, every answer checked.
    let http = report.http.as_ref().expect("the quick bench measures HTTP");
    assert_eq!(http.runs.len(), 1);
    let load = &http.runs[0].loads[0];
    assert!(load.requests > 0, "{load:?}");
    assert_eq!(load.errors.total(), 0, "{load:?}");
    assert!(load.seconds < 2.0, "{load:?}");
    assert!(http.runs[0].expected_items > 0, "{:?}", http.runs[0]);
    assert!(report.sizes[0].national_edition_items.is_some(), "{size:?}");

    let coverage = &report.generation.coverage;
    for kind in [
        "local_implementation",
        "comprehensive_revision",
        "adjustment",
        "correction",
        "withdrawal",
    ] {
        assert!(
            coverage.revisions_by_kind.get(kind) > Some(&0),
            "{kind}: {coverage:?}"
        );
    }
    for event in ["items_merged", "item_split", "item_moved", "item_amended"] {
        assert!(
            coverage.events_by_type.get(event) > Some(&0),
            "{event}: {coverage:?}"
        );
    }
    assert!(
        coverage.retroactive > 0 && coverage.future_dated > 0,
        "{coverage:?}"
    );
    // Nothing is left behind in the temporary folder.
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
}

#[test]
fn the_workload_is_deterministic_and_labelled_synthetic() {
    let workload = Workload {
        seed: 7,
        standards: 2,
        revisions_per_standard: 8,
    };
    let once = synthetic::generate(workload, 2).unwrap();
    let again = synthetic::generate(workload, 1).unwrap();
    let bytes = |g: &synthetic::Generated| -> Vec<Vec<u8>> {
        g.standards
            .iter()
            .flat_map(|s| s.appends.iter())
            .flat_map(|a| a.events.iter().map(|e| e.data.clone()))
            .collect()
    };
    assert_eq!(bytes(&once), bytes(&again));

    let mut log = GlobalLog::new(&once.standards);
    let mut published = 0;
    while let Some(chunk) = log.next_chunk(100) {
        for stored in &chunk {
            let (_, event) = registry::codec::decode(stored).unwrap();
            assert_eq!(event.context.actor, SYNTHETIC_ACTOR);
            if let Event::RevisionPublished { revision } = &event.event {
                assert!(
                    revision.title.starts_with(SYNTHETIC_LABEL),
                    "{}",
                    revision.title
                );
                published += 1;
            }
        }
    }
    assert!(published >= 2);
}
