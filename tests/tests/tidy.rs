//! The layering of docs/ARCHITECTURE.md ("Invariants"), checked on the
//! workspace's resolved dependency graph (`cargo metadata`), so that a
//! dependency that breaks a rule fails `cargo test` instead of waiting for
//! a reviewer to notice it.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// The crates that do no I/O: they must test fast, run anywhere and give the
/// same answer twice (docs/ARCHITECTURE.md, "Invariants").
const PURE: &[&str] = &["domain", "timeline", "compliance", "search"];

/// Crates that do I/O, or exist to: none may be among the normal
/// dependencies, direct or transitive, of a crate in [`PURE`].
/// (Dev-dependencies are free: tests may use a temporary folder.)
const DOES_IO: &[(&str, &str)] = &[
    ("tokio", "async runtime: sockets, files, timers"),
    ("mio", "the event loop under tokio: sockets"),
    ("async-std", "async runtime: sockets, files"),
    ("smol", "async runtime: sockets, files"),
    ("futures-io", "async reading and writing"),
    ("rusqlite", "SQLite database files"),
    ("libsqlite3-sys", "SQLite database files"),
    ("sqlx", "database connections"),
    ("sqlx-core", "database connections"),
    ("tokio-postgres", "database connections"),
    ("postgres", "database connections"),
    ("kurrentdb", "KurrentDB connections"),
    ("axum", "HTTP server"),
    ("hyper", "HTTP client and server"),
    ("hyper-util", "HTTP client and server"),
    ("h2", "HTTP/2 connections"),
    ("reqwest", "HTTP client"),
    ("ureq", "HTTP client"),
    ("isahc", "HTTP client"),
    ("surf", "HTTP client"),
    ("attohttpc", "HTTP client"),
    ("curl", "HTTP client"),
    ("tonic", "gRPC client and server"),
    ("tungstenite", "WebSocket connections"),
    ("tokio-tungstenite", "WebSocket connections"),
    ("socket2", "sockets"),
    ("tempfile", "creates files and folders"),
    ("memmap2", "maps files into memory"),
    ("walkdir", "reads folders"),
    ("notify", "watches files"),
    ("tracing-subscriber", "writes logs"),
];

/// The front ends: they render what the registry's query layer answers and
/// must not reach around it into the index (docs/ARCHITECTURE.md).
const FRONT_ENDS: &[&str] = &["api", "grpc", "stdreg", "bench", "site"];

/// The one front end that reaches the index itself: the bench times index
/// lookups against the naive fold, through registry's `index-access` feature.
/// Every other front end asks `registry::query`.
const MEASURES_THE_INDEX: &[&str] = &["bench"];

struct Graph {
    /// Package id to name.
    names: HashMap<String, String>,
    /// Package id to the ids of its normal (not dev, not build) dependencies.
    normal: HashMap<String, Vec<String>>,
    /// Workspace package name to its id.
    members: HashMap<String, String>,
}

/// The platform the tests run on: dependencies of other platforms (a web
/// browser's, say) do not count.
fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_owned()
}

fn metadata() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", &host()])
        .args(["--manifest-path", manifest])
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let str_of = |v: &Value| v.as_str().expect("a string").to_owned();
    let names: HashMap<String, String> = json["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (str_of(&p["id"]), str_of(&p["name"])))
        .collect();
    let members = json["workspace_members"]
        .as_array()
        .expect("workspace members")
        .iter()
        .map(|id| (names[&str_of(id)].clone(), str_of(id)))
        .collect();
    let normal = json["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .expect("dep kinds")
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|dep| str_of(&dep["pkg"]))
                .collect();
            (str_of(&node["id"]), deps)
        })
        .collect();
    Graph {
        names,
        normal,
        members,
    }
}

impl Graph {
    fn id(&self, member: &str) -> &str {
        self.members
            .get(member)
            .unwrap_or_else(|| panic!("{member} is not a workspace member"))
    }

    /// Every normal dependency of `member`, direct or transitive, with the
    /// chain that brings it in.
    fn reachable(&self, member: &str) -> HashMap<String, Vec<String>> {
        let start = self.id(member).to_owned();
        let mut paths: HashMap<String, Vec<String>> = HashMap::new();
        let mut stack = vec![(start.clone(), vec![member.to_owned()])];
        let mut seen = BTreeSet::from([start]);
        while let Some((id, path)) = stack.pop() {
            for dep in self.normal.get(&id).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    let mut chain = path.clone();
                    chain.push(self.names[dep].clone());
                    paths.insert(self.names[dep].clone(), chain.clone());
                    stack.push((dep.clone(), chain));
                }
            }
        }
        paths
    }

    fn direct(&self, member: &str) -> BTreeSet<String> {
        self.normal
            .get(self.id(member))
            .into_iter()
            .flatten()
            .map(|id| self.names[id].clone())
            .collect()
    }
}

#[test]
fn pure_crates_depend_on_nothing_that_does_io() {
    let graph = metadata();
    let mut broken = Vec::new();
    for member in PURE {
        let reachable = graph.reachable(member);
        for (name, why) in DOES_IO {
            if let Some(chain) = reachable.get(*name) {
                broken.push(format!("{} ({why})", chain.join(" -> ")));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "domain, timeline and compliance do no I/O (docs/ARCHITECTURE.md), but depend on:\n{}",
        broken.join("\n")
    );
}

#[test]
fn front_ends_use_the_query_layer_not_the_index() {
    let graph = metadata();
    let on_timeline: BTreeSet<&str> = FRONT_ENDS
        .iter()
        .copied()
        .filter(|f| graph.members.contains_key(*f))
        .filter(|f| graph.direct(f).contains("timeline"))
        .collect();
    let allowed: BTreeSet<&str> = MEASURES_THE_INDEX.iter().copied().collect();
    let new: Vec<&&str> = on_timeline.difference(&allowed).collect();
    assert!(
        new.is_empty(),
        "front ends must ask registry's query layer, not depend on timeline: {new:?}"
    );
    let moved: Vec<&&str> = allowed.difference(&on_timeline).collect();
    assert!(
        moved.is_empty(),
        "{moved:?} no longer depend on timeline: remove them from MEASURES_THE_INDEX"
    );
}

#[test]
fn only_the_bench_opens_the_index() {
    // `Registry::index` hands out the timeline; only what measures it may enable it.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--no-deps"])
        .args(["--manifest-path", manifest])
        .output()
        .expect("run cargo metadata");
    assert!(out.status.success(), "cargo metadata failed");
    let json: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let mut opening: Vec<String> = Vec::new();
    for package in json["packages"].as_array().expect("packages") {
        for dependency in package["dependencies"].as_array().expect("dependencies") {
            let enables = dependency["features"]
                .as_array()
                .expect("features")
                .iter()
                .any(|f| f == "index-access");
            if dependency["name"] == "registry" && enables {
                opening.push(package["name"].as_str().expect("name").to_owned());
            }
        }
    }
    opening.sort();
    opening.dedup();
    assert_eq!(
        opening, MEASURES_THE_INDEX,
        "only the bench may enable registry's index-access feature"
    );
}

#[test]
fn fixtures_are_for_tests_only() {
    // Test builders panic on bad literals: they must never reach a build.
    let graph = metadata();
    let fixtures = graph.id("fixtures").to_owned();
    let users: Vec<&String> = graph
        .members
        .iter()
        .filter(|(_, id)| {
            graph
                .normal
                .get(*id)
                .is_some_and(|deps| deps.contains(&fixtures))
        })
        .map(|(name, _)| name)
        .collect();
    assert!(
        users.is_empty(),
        "fixtures is a dev-dependency only, but {users:?} depend on it"
    );
    let members: BTreeSet<String> = graph
        .direct("fixtures")
        .into_iter()
        .filter(|name| graph.members.contains_key(name))
        .collect();
    assert_eq!(
        members,
        BTreeSet::from(["domain".to_owned()]),
        "fixtures builds on domain alone"
    );
}

#[test]
fn the_graph_is_read_as_intended() {
    // Guards the two tests above against passing on a misread graph.
    let graph = metadata();
    assert!(graph.reachable("compliance").contains_key("domain"));
    assert!(graph.reachable("registry").contains_key("tokio"));
    assert!(graph.direct("stdreg").contains("registry"));
    assert!(
        !graph.direct("domain").contains("proptest"),
        "a dev-dependency"
    );
}
