//! Reading the log: pages and their limits, the head, subscriptions, following.

use super::*;

/// Reads start where asked, stop at the limit, page without overlap or loss.
pub async fn paging_and_limits(store: &dyn EventStore) {
    let a = stream("standard-A");
    let b = stream("standard-B");
    // Interleaved so stream positions and global positions differ.
    for i in 0..25usize {
        store
            .append(&a, ExpectedVersion::Any, events(1, "a"))
            .await
            .expect("append a");
        if i % 2 == 0 {
            store
                .append(&b, ExpectedVersion::Any, events(1, "b"))
                .await
                .expect("append b");
        }
    }
    let head = store.head_position().await.expect("head");
    assert_eq!(head, 38);

    // (from, limit, expected global positions)
    let all_cases: [(u64, usize, std::ops::Range<u64>); 9] = [
        (1, 10, 1..11),
        (11, 10, 11..21),
        (31, 10, 31..39),
        (0, 3, 1..4),
        (38, 5, 38..39),
        (39, 5, 0..0),
        (u64::MAX, 5, 0..0),
        (1, 0, 0..0),
        (1, usize::MAX, 1..39),
    ];
    for (from, limit, want) in all_cases {
        let got: Vec<u64> = store
            .read_all(from, limit)
            .await
            .expect("read_all")
            .iter()
            .map(|e| e.global_position)
            .collect();
        assert_eq!(
            got,
            want.collect::<Vec<_>>(),
            "read_all(from {from}, limit {limit})"
        );
    }

    // (stream, from, limit, expected stream positions)
    let stream_cases: [(&StreamId, u64, usize, std::ops::Range<u64>); 8] = [
        (&a, 0, 10, 0..10),
        (&a, 10, 10, 10..20),
        (&a, 20, 10, 20..25),
        (&a, 25, 10, 0..0),
        (&a, u64::MAX, 10, 0..0),
        (&a, 0, 0, 0..0),
        (&b, 5, usize::MAX, 5..13),
        (&stream("standard-none"), 0, 10, 0..0),
    ];
    for (s, from, limit, want) in stream_cases {
        let page = store
            .read_stream(s, from, limit)
            .await
            .expect("read_stream");
        assert!(page.iter().all(|e| &e.stream == s), "only {s} is read");
        let got: Vec<u64> = page.iter().map(|e| e.stream_position).collect();
        assert_eq!(
            got,
            want.collect::<Vec<_>>(),
            "read_stream({s}, from {from}, limit {limit})"
        );
    }

    // Paging with an odd page size visits every event once, in order.
    let mut paged = Vec::new();
    for _ in 0..=head {
        let page = store
            .read_all(paged.len() as u64 + 1, 7)
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 7);
        paged.extend(page);
    }
    assert_eq!(paged, read_everything(store).await);

    let mut paged_a = Vec::new();
    for _ in 0..=head {
        let page = store
            .read_stream(&a, paged_a.len() as u64, 4)
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        paged_a.extend(page);
    }
    let whole_a = store.read_stream(&a, 0, READ_PAGE_MAX).await.expect("a");
    assert_eq!(paged_a, whole_a);
    assert_eq!(paged_a.len(), 25);
}

/// No read returns more than [`READ_PAGE_MAX`] events, whatever the limit.
pub async fn limit_is_capped_at_page_max(store: &dyn EventStore) {
    let s = stream("standard-big");
    let total = READ_PAGE_MAX + 5;
    let batch = 2_000;
    let mut appended = 0;
    while appended < total {
        let size = batch.min(total - appended);
        store
            .append(&s, ExpectedVersion::Any, events(size, "big"))
            .await
            .expect("append");
        appended += size;
    }
    for limit in [READ_PAGE_MAX, READ_PAGE_MAX + 1, usize::MAX] {
        let page = store.read_all(1, limit).await.expect("read_all");
        assert_eq!(page.len(), READ_PAGE_MAX, "read_all with limit {limit}");
        let page = store.read_stream(&s, 0, limit).await.expect("read_stream");
        assert_eq!(page.len(), READ_PAGE_MAX, "read_stream with limit {limit}");
    }
    let rest = store
        .read_all(READ_PAGE_MAX as u64 + 1, usize::MAX)
        .await
        .expect("rest");
    assert_eq!(rest.len(), 5);
    assert_eq!(
        rest.last().map(|e| e.global_position),
        Some(total as u64),
        "the second page ends at the head"
    );
}

/// Head and stream versions count events; stream names are compared exactly.
pub async fn head_and_stream_version(store: &dyn EventStore) {
    let names = [
        "standard-CN",
        "standard-cn",
        "standard-CN-2",
        "standard-CN ",
        "标准-国标",
    ];
    let streams: Vec<StreamId> = names.iter().map(|n| stream(n)).collect();
    assert_eq!(store.head_position().await.expect("head"), 0);
    for s in &streams {
        assert_eq!(store.stream_version(s).await.expect("version"), 0);
    }

    let mut head = 0;
    for (i, s) in streams.iter().enumerate() {
        let count = i + 1;
        store
            .append(s, ExpectedVersion::Exact(0), events(count, s.as_str()))
            .await
            .expect("append");
        head += count as u64;
        assert_eq!(store.head_position().await.expect("head"), head);
    }
    for (i, s) in streams.iter().enumerate() {
        assert_eq!(
            store.stream_version(s).await.expect("version"),
            i as u64 + 1,
            "version of {s:?}"
        );
    }
    assert_eq!(
        store
            .stream_version(&stream("standard"))
            .await
            .expect("version"),
        0,
        "a prefix of a stream name is another, empty stream"
    );
}

/// The watch holds the head: current when subscribing, moved on by appends.
pub async fn subscribe_reports_head(store: &dyn EventStore) {
    let s = stream("standard-CN");
    let mut early = store.subscribe();
    assert_eq!(*early.borrow_and_update(), 0, "empty log, head 0");

    let outcome = store
        .append(&s, ExpectedVersion::Any, events(3, "first"))
        .await
        .expect("append");
    tokio::time::timeout(PATIENCE, early.changed())
        .await
        .expect("the watch changes after an append")
        .expect("the store keeps the watch open");
    assert_eq!(*early.borrow_and_update(), outcome.last_global_position);

    let mut late = store.subscribe();
    assert_eq!(
        *late.borrow_and_update(),
        3,
        "a new subscriber sees the head"
    );

    let outcome = store
        .append(&s, ExpectedVersion::Exact(3), events(2, "second"))
        .await
        .expect("append");
    for rx in [&mut early, &mut late] {
        let head = tokio::time::timeout(PATIENCE, rx.wait_for(|h| *h >= 5))
            .await
            .expect("the watch reaches the new head")
            .map(|h| *h)
            .expect("the store keeps the watch open");
        assert_eq!(head, outcome.last_global_position);
    }

    let failed = store
        .append(&s, ExpectedVersion::Exact(0), events(1, "conflict"))
        .await;
    assert!(failed.is_err());
    assert_eq!(*early.borrow(), 5, "a failed append leaves the head alone");
}

/// A follower that catches up with `read_all` and then awaits the watch sees
/// every event exactly once, in order, while a writer appends concurrently.
pub async fn follower_sees_every_event_once_in_order(store: Arc<dyn EventStore>) {
    const APPENDS: usize = 150;
    let batch_size = |i: usize| i % 3 + 1;
    let total: u64 = (0..APPENDS).map(|i| batch_size(i) as u64).sum();

    let follower = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            // Subscribe before reading, so no append slips between the last
            // read and the wait.
            let mut head = store.subscribe();
            let mut seen: Vec<StoredEvent> = Vec::new();
            // Each wait is woken by at least one append, each read round makes progress.
            for _ in 0..=(2 * total) {
                head.mark_unchanged();
                loop {
                    let page = store
                        .read_all(seen.len() as u64 + 1, 16)
                        .await
                        .expect("follower read");
                    if page.is_empty() {
                        break;
                    }
                    seen.extend(page);
                }
                if seen.len() as u64 >= total {
                    return seen;
                }
                tokio::time::timeout(PATIENCE, head.changed())
                    .await
                    .expect("the watch changes while the writer appends")
                    .expect("the store keeps the watch open");
            }
            panic!("follower did not catch up after {} rounds", 2 * total);
        }
    });

    let writer = tokio::spawn({
        let store = Arc::clone(&store);
        async move {
            let streams = [stream("standard-A"), stream("standard-B"), stream("标准-C")];
            for i in 0..APPENDS {
                store
                    .append(
                        &streams[i % streams.len()],
                        ExpectedVersion::Any,
                        events(batch_size(i), "live"),
                    )
                    .await
                    .expect("writer append");
                // Give the follower turns to catch up mid-stream.
                tokio::task::yield_now().await;
            }
        }
    });

    writer.await.expect("writer task");
    let seen = tokio::time::timeout(PATIENCE, follower)
        .await
        .expect("follower finishes")
        .expect("follower task");
    assert_eq!(seen.len() as u64, total, "every event seen exactly once");
    for (i, e) in seen.iter().enumerate() {
        assert_eq!(e.global_position, i as u64 + 1, "in global order");
    }
    assert_eq!(seen, read_everything(&*store).await);
}
