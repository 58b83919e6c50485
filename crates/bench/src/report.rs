//! The human form of a report: every figure with its unit, baseline and target.

use std::fmt;

use crate::http::{Breakdown, HttpRun};
use crate::machine::Latency;
use crate::search::SearchFigures;
use crate::{AppendFigures, Report};

fn micros(ns: u64) -> String {
    let us = ns as f64 / 1_000.0;
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1_000.0)
    } else if us >= 100.0 {
        format!("{us:.0} µs")
    } else {
        format!("{us:.1} µs")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn ratio(slow: u64, fast: u64) -> String {
    format!("{:.0}×", slow as f64 / (fast.max(1)) as f64)
}

fn latency(f: &mut fmt::Formatter<'_>, name: &str, fast: &Latency, naive: &Latency) -> fmt::Result {
    writeln!(
        f,
        "    {name:<34} p50 {:>9}  p99 {:>9}   naive p50 {:>9}  p99 {:>9}   naive/index p50 {:>7}",
        micros(fast.p50_ns),
        micros(fast.p99_ns),
        micros(naive.p50_ns),
        micros(naive.p99_ns),
        ratio(naive.p50_ns, fast.p50_ns),
    )
}

fn search_figures(
    f: &mut fmt::Formatter<'_>,
    s: &SearchFigures,
    payload_bytes: u64,
) -> fmt::Result {
    writeln!(
        f,
        "    search index (in the rebuild above)   {} est. heap, {:.0} % of the stored payload (target ≤ 50 %); {} items, {} terms, {} texts, {} postings",
        mib(s.index_heap_bytes / 1024),
        100.0 * s.index_heap_bytes as f64 / payload_bytes.max(1) as f64,
        s.items,
        s.terms,
        s.texts,
        s.postings
    )?;
    writeln!(
        f,
        "    search index built alone from the rebuilt timeline's latest generations: {:.2} s",
        s.index_build_seconds
    )?;
    for kind in &s.kinds {
        writeln!(
            f,
            "    search, {} char(s), {:<10} p50 {:>9}  p99 {:>9}  (first page of 20, {:.1} hits on average; target p50 ≤ 5 ms)",
            kind.chars,
            if kind.history {
                "history"
            } else {
                "at a point"
            },
            micros(kind.latency.p50_ns),
            micros(kind.latency.p99_ns),
            kind.hits_mean
        )?;
    }
    writeln!(
        f,
        "    search naive (scan every edition), 4 chars at a point: p50 {}  p99 {}; every hit compared with the index's for {} searches: {} mismatches",
        micros(s.naive_at_point.p50_ns),
        micros(s.naive_at_point.p99_ns),
        s.compared,
        s.mismatches
    )
}

fn append(f: &mut fmt::Formatter<'_>, a: &AppendFigures) -> fmt::Result {
    writeln!(
        f,
        "  {} ({} rounds, raw and stdreg interleaved)",
        a.backend, a.rounds
    )?;
    writeln!(
        f,
        "    single-event durable commits   stdreg {:>9.0}/s   raw {:>9.0}/s   stdreg/raw {:>5.1}%   (target ≥ 80%)",
        a.stdreg_commits_per_second,
        a.raw_commits_per_second,
        a.single_ratio() * 100.0
    )?;
    writeln!(
        f,
        "    events in {}-event appends   stdreg {:>9.0}/s   raw {:>9.0}/s   stdreg/raw {:>5.1}%   (target ≥ 80%)",
        a.batch_events / a.rounds.max(1),
        a.stdreg_batch_events_per_second,
        a.raw_batch_events_per_second,
        a.batch_ratio() * 100.0
    )
}

fn http_run(f: &mut fmt::Formatter<'_>, run: &HttpRun) -> fmt::Result {
    writeln!(
        f,
        "  {} ({} events; {} items, {} bytes per answer; server ready {:.2} s after start)",
        run.data, run.events, run.expected_items, run.response_bytes, run.server_start_seconds
    )?;
    writeln!(f, "    {}", run.placement)?;
    for l in &run.loads {
        writeln!(
            f,
            "    {:>4} connections {:>5.1} s  {:>8.0} req/s   p50 {:>9}  p99 {:>9}  max {:>9}   errors {} (connect {}, transport {}, status {}, body {})   (target ≥ 10,000 req/s, p99 ≤ 10 ms)",
            l.connections,
            l.seconds,
            l.requests_per_second,
            micros(l.latency.p50_ns),
            micros(l.latency.p99_ns),
            micros(l.max_ns),
            l.errors.total(),
            l.errors.connect,
            l.errors.transport,
            l.errors.status,
            l.errors.body,
        )?;
    }
    Ok(())
}

fn breakdown(f: &mut fmt::Formatter<'_>, b: &Breakdown) -> fmt::Result {
    writeln!(
        f,
        "  one request step by step, in this process, one at a time ({}, {} bytes)",
        b.data, b.response_bytes
    )?;
    for (name, l) in [
        ("edition lookup (index)", &b.edition_lookup),
        ("execute { __typename }", &b.execute_trivial),
        (
            "execute edition, no lastChangedBy",
            &b.execute_without_provenance,
        ),
        ("execute edition query", &b.execute_full),
        ("answer to JSON (via Value, as served)", &b.serialise),
        ("answer to JSON (direct)", &b.serialise_direct),
        ("over HTTP, 1 keep-alive connection", &b.http_one_connection),
    ] {
        writeln!(
            f,
            "    {name:<40} p50 {:>9}  p99 {:>9}",
            micros(l.p50_ns),
            micros(l.p99_ns)
        )?;
    }
    Ok(())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.machine;
        writeln!(
            f,
            "stdreg bench: SYNTHETIC workload (seed {}), not real data",
            self.seed
        )?;
        writeln!(
            f,
            "machine: {} | {} cores | {} memory | {}",
            m.cpu_model,
            m.cores,
            mib(m.memory_kib),
            m.os
        )?;
        let g = &self.generation;
        writeln!(
            f,
            "workload: {} standards, {} events, {} revisions ({} rejected commands), generated in {:.1} s",
            g.standards,
            g.events,
            g.coverage.revisions_accepted,
            g.coverage.commands_rejected,
            g.seconds
        )?;
        writeln!(
            f,
            "  revisions by kind: {}",
            g.coverage
                .revisions_by_kind
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(
            f,
            "  retroactive {} | future-dated {} | merges {} | splits {}",
            g.coverage.retroactive,
            g.coverage.future_dated,
            g.coverage.events_by_type.get("items_merged").unwrap_or(&0),
            g.coverage.events_by_type.get("item_split").unwrap_or(&0),
        )?;
        writeln!(f)?;
        writeln!(f, "append")?;
        for a in &self.append {
            append(f, a)?;
        }
        for s in &self.sizes {
            writeln!(f)?;
            writeln!(f, "{} events in {} standards", s.events, s.standards)?;
            writeln!(
                f,
                "    rebuild (open store + Registry::open)  {:>7.2} s  {:>10.0} events/s (target ≥ 1,000,000)  peak RSS {} (target ≤ 2048 MiB at ~3M)",
                s.rebuild_seconds,
                s.rebuild_events_per_second(),
                mib(s.rebuild_peak_rss_kib)
            )?;
            writeln!(
                f,
                "    of which read + decode alone          {:>7.2} s  {:>10.0} events/s",
                s.decode_seconds,
                s.decode_events_per_second()
            )?;
            writeln!(
                f,
                "    read + JSON parse into nothing         {:>7.2} s  {:>10.0} events/s  (one core; the floor of decoding this log)",
                s.parse_seconds,
                s.parse_events_per_second()
            )?;
            writeln!(
                f,
                "    stored payload of the log             {} ({:.0} bytes per event): the least an index holding every event's content keeps",
                mib(s.payload_bytes / 1024),
                s.payload_bytes as f64 / s.events.max(1) as f64
            )?;
            let per_event = |n: u64| n as f64 / s.events.max(1) as f64;
            writeln!(
                f,
                "    events applied by the folds            {:>10}  {:.2} per event logged (retroactive and earlier-dated appends fold later events again)",
                s.applied,
                per_event(s.applied)
            )?;
            writeln!(
                f,
                "    item states held by the timeline       {:>10}  {:.2} per event logged (one per item an event changes, per version; a refold keeps the equal ones)",
                s.held.item_states,
                per_event(s.held.item_states)
            )?;
            writeln!(
                f,
                "    versions held                          {:>10}  {:.3} states and {:.2} version-list entries per event logged",
                s.held.snapshots,
                per_event(s.held.snapshots),
                per_event(s.held.version_entries)
            )?;
            latency(
                f,
                "edition lookup (index only)",
                &s.edition_lookup,
                &s.edition_naive_fold,
            )?;
            latency(
                f,
                "full edition (index + EditionView)",
                &s.edition,
                &s.edition_naive,
            )?;
            latency(
                f,
                "full edition, naive from the store",
                &s.edition,
                &s.edition_naive_store,
            )?;
            latency(f, "one item (index + ItemView)", &s.item, &s.item_naive)?;
            // Not run per point (seconds each at scale): its floor is measured above.
            writeln!(
                f,
                "    naive from the start of the log: at least the read + decode above, {:.2} s per question: {} the full edition",
                s.decode_seconds,
                ratio(
                    (s.decode_seconds * 1e9).min(u64::MAX as f64) as u64,
                    s.edition.p50_ns
                )
            )?;
            writeln!(
                f,
                "    index and naive answers compared at {} points: {} mismatches",
                s.compared, s.mismatches
            )?;
            if let Some(search) = &s.search {
                search_figures(f, search, s.payload_bytes)?;
            }
        }
        if let Some(h) = &self.http {
            writeln!(f)?;
            writeln!(f, "HTTP: POST /graphql, closed loop, keep-alive, loopback")?;
            writeln!(f, "  query: {}", h.query)?;
            if let Some(b) = &h.breakdown {
                breakdown(f, b)?;
            }
            for run in &h.runs {
                http_run(f, run)?;
            }
        }
        if let Some(p) = &self.pages {
            pages(f, p)?;
        }
        if let Some(c) = &self.cold_start {
            let runs = |s: &crate::Starts| {
                s.runs_seconds
                    .iter()
                    .map(|s| format!("{s:.2} s"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            writeln!(f)?;
            writeln!(
                f,
                "cold start with {} events on disk, indexing the whole log: median {:.2} s (runs: {}) (target ≤ 10 s)",
                c.events,
                c.rebuilt.median_seconds,
                runs(&c.rebuilt)
            )?;
            writeln!(
                f,
                "cold start with {} events on disk, from the index snapshot ({:.1} MiB): median {:.2} s (runs: {}) (target ≤ 5 s)",
                c.events,
                c.snapshot_bytes as f64 / (1024.0 * 1024.0),
                c.from_snapshot.median_seconds,
                runs(&c.from_snapshot)
            )?;
        }
        if !self.left_out.is_empty() {
            writeln!(f)?;
            for reason in &self.left_out {
                writeln!(f, "left out: {reason}")?;
            }
        }
        Ok(())
    }
}

/// The site's pages beside the GraphQL answer with the same content.
fn pages(f: &mut fmt::Formatter<'_>, p: &crate::PagesFigures) -> fmt::Result {
    writeln!(f)?;
    writeln!(
        f,
        "site pages beside the GraphQL edition query ({}; target: a page costs at most 2x the GraphQL answer)",
        p.placement
    )?;
    writeln!(
        f,
        "  {:<48} {:>5} {:>9} {:>10} {:>10} {:>9} {:>7} {:>7}",
        "target", "conns", "bytes", "req/s", "p50", "p99", "errors", "cost"
    )?;
    let mut graphql_rps = None;
    for t in &p.targets {
        if t.target.starts_with("POST") {
            graphql_rps = Some(t.requests_per_second);
        }
        let cost = graphql_rps
            .filter(|g| t.requests_per_second > 0.0 && *g > 0.0)
            .map_or_else(
                || "-".to_owned(),
                |g| format!("{:.2}x", g / t.requests_per_second),
            );
        writeln!(
            f,
            "  {:<48} {:>5} {:>9} {:>10.0} {:>10} {:>9} {:>7} {:>7}",
            t.target,
            t.connections,
            t.response_bytes,
            t.requests_per_second,
            micros(t.latency.p50_ns),
            micros(t.latency.p99_ns),
            t.errors.total(),
            cost
        )?;
    }
    Ok(())
}
