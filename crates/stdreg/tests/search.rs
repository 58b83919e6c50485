//! `stdreg search`, GraphQL `search` and the site's `/search` over the bundled
//! data and local examples: the same hits, in the same order, with the same
//! snippets and links; bad queries refused with one line and exit 1
//! (`BAD_USER_INPUT` over GraphQL, 400 on the site).

mod support;

use serde_json::{Value, json};
use support::{Scratch, Server, http_get};

const SEARCH: &str = r#"query($q: String!, $filter: SearchFilter, $at: Date, $known: DateTime, $history: Boolean, $first: Int, $after: String) {
  search(query: $q, filter: $filter, validAt: $at, knownAt: $known, history: $history, first: $first, after: $after) {
    edges { cursor node { jurisdiction item { id name } validFrom validUntil permalink
      snippets { field fragments { text highlighted } } } }
    pageInfo { hasNextPage endCursor } } }"#;

/// One search: CLI flags, the same search as GraphQL variables, and as the
/// site's search form sends it.
struct Case {
    flags: &'static [&'static str],
    variables: Value,
    form: &'static [(&'static str, &'static str)],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            flags: &["广播", "--valid-at", "2024-12-31"],
            variables: json!({"q": "广播", "at": "2024-12-31"}),
            form: &[("q", "广播"), ("date", "2024-12-31")],
        },
        Case {
            flags: &[
                "广播",
                "--valid-at",
                "2024-12-31",
                "--jurisdiction",
                "CN",
                "--only",
            ],
            variables: json!({"q": "广播", "at": "2024-12-31", "filter": {"jurisdiction": "CN", "includeLocalities": false}}),
            form: &[
                ("q", "广播"),
                ("date", "2024-12-31"),
                ("jurisdiction", "CN"),
                ("only", "1"),
            ],
        },
        Case {
            flags: &["叶酸", "--history"],
            variables: json!({"q": "叶酸", "history": true}),
            form: &[("q", "叶酸"), ("date", "all")],
        },
        Case {
            flags: &["广播", "--history", "--first", "2"],
            variables: json!({"q": "广播", "history": true, "first": 2}),
            form: &[("q", "广播"), ("date", "all")],
        },
        Case {
            flags: &[
                "电视 -广播",
                "--valid-at",
                "2024-12-31",
                "--field",
                "service_standard,name",
            ],
            variables: json!({"q": "电视 -广播", "at": "2024-12-31", "filter": {"fields": ["SERVICE_STANDARD", "NAME"]}}),
            form: &[
                ("q", "电视 -广播"),
                ("date", "2024-12-31"),
                ("field", "service_standard"),
                ("field", "name"),
            ],
        },
        Case {
            flags: &[
                "军人",
                "--valid-at",
                "2024-12-31",
                "--jurisdiction",
                "310000",
                "--known-at",
                "2030-01-01T00:00:00Z",
            ],
            variables: json!({"q": "军人", "at": "2024-12-31", "known": "2030-01-01T00:00:00Z", "filter": {"jurisdiction": "310000"}}),
            form: &[
                ("q", "军人"),
                ("date", "2024-12-31"),
                ("jurisdiction", "310000"),
                ("known_at", "2030-01-01T00:00:00Z"),
            ],
        },
        Case {
            flags: &["体育", "--valid-at", "2024-12-31", "--aspect", "WTFW"],
            variables: json!({"q": "体育", "at": "2024-12-31", "filter": {"aspect": "WTFW"}}),
            form: &[("q", "体育"), ("date", "2024-12-31"), ("aspect", "WTFW")],
        },
    ]
}

/// The hits of the CLI's JSON in the shape of GraphQL's edges.
fn cli_edges(results: &Value) -> Value {
    let hits = results["hits"].as_array().expect("hits");
    let edges: Vec<Value> = hits
        .iter()
        .map(|h| {
            json!({
                "cursor": h["cursor"],
                "node": {
                    "jurisdiction": h["jurisdiction"],
                    "item": { "id": h["item"], "name": h["name"] },
                    "validFrom": h["valid_from"],
                    "validUntil": h["valid_until"],
                    "permalink": h["permalink"],
                    "snippets": h["snippets"],
                }
            })
        })
        .collect();
    json!({
        "edges": edges,
        "pageInfo": { "hasNextPage": !results["next_cursor"].is_null(), "endCursor": results["next_cursor"] },
    })
}

/// The permanent links of the hits a site search page lists, in order.
fn site_permalinks(address: &str, form: &[(&str, &str)]) -> Vec<String> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(form);
    let (status, _, body) = http_get(address, &format!("/search?{}", query.finish()), &[]);
    let html = String::from_utf8(body).expect("utf-8 page");
    assert_eq!(status, 200, "{form:?}: {html}");
    html.split(r#"<h2 class="hit"><a href=""#)
        .skip(1)
        .map(|rest| {
            rest.split('"')
                .next()
                .unwrap_or_default()
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn cli_graphql_and_the_site_give_the_same_hits() {
    let scratch = Scratch::imported();
    scratch.ok(&["import", "--local-examples"]);
    let data = scratch.data().display().to_string();
    let server = Server::start(&data, &[]);
    let mut total = 0;
    for case in cases() {
        let cli = scratch.json(&[&["search"], case.flags].concat());
        let gql = server.graphql(SEARCH, case.variables.clone(), None);
        assert!(gql["errors"].is_null(), "{:?}: {gql}", case.flags);
        assert_eq!(gql["data"]["search"], cli_edges(&cli), "{:?}", case.flags);
        // The site shows 20 hits a page and no page size: the CLI's page is its first hits.
        let cli_links: Vec<String> = cli["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .filter_map(|h| h["permalink"].as_str().map(str::to_owned))
            .collect();
        let site_links = site_permalinks(&server.address, case.form);
        assert_eq!(
            site_links.get(..cli_links.len()),
            Some(&cli_links[..]),
            "{:?}",
            case.flags
        );
        if cli["next_cursor"].is_null() {
            assert_eq!(site_links.len(), cli_links.len(), "{:?}", case.flags);
        }
        total += cli["hits"].as_array().map_or(0, Vec::len);
    }
    // The cases find something: equal empty answers would prove nothing.
    assert!(total >= 15, "only {total} hits in all");
    // Page two of a paged search: the same on both sides too.
    let first = scratch.json(&["search", "广播", "--history", "--first", "2"]);
    let after = first["next_cursor"].as_str().expect("a second page");
    let cli = scratch.json(&[
        "search",
        "广播",
        "--history",
        "--first",
        "2",
        "--after",
        after,
    ]);
    let gql = server.graphql(
        SEARCH,
        json!({"q": "广播", "history": true, "first": 2, "after": after}),
        None,
    );
    assert_eq!(gql["data"]["search"], cli_edges(&cli));
    // Page one holds the national item's two versions; page two goes on with the localities.
    assert_eq!(first["hits"][1]["item"], "radio-listening");
    assert_eq!(cli["hits"][0]["jurisdiction"], "310000");
}

#[test]
fn bad_queries_are_refused_with_one_line() {
    let scratch = Scratch::imported();
    let long = "字".repeat(10 * 1024);
    let cases: [(&str, &str); 6] = [
        ("", "empty"),
        ("\"叶酸", "not closed"),
        ("AND", "AND needs"),
        ("NOT 叶酸", "only excludes"),
        (&long, "at most 200"),
        ("(叶酸", "parentheses"),
    ];
    for (query, needle) in cases {
        let message = scratch.user_error(&["search", query]);
        assert!(message.contains(needle), "{query:.20}: {message}");
        assert_eq!(message.trim().lines().count(), 1, "{message}");
    }
    let message = scratch.user_error(&["search", "叶酸", "--first", "101"]);
    assert!(message.contains("between 1 and 100"), "{message}");
    let message = scratch.user_error(&["search", "叶酸", "--jurisdiction", "110000"]);
    assert!(
        message.contains("no standard is recorded for 110000"),
        "{message}"
    );
    let data = scratch.data().display().to_string();
    let server = Server::start(&data, &[]);
    for (query, code) in [("\"叶酸", "BAD_USER_INPUT"), ("-叶酸", "BAD_USER_INPUT")] {
        let answer = server.graphql(SEARCH, json!({"q": query}), None);
        assert_eq!(answer["errors"][0]["extensions"]["code"], code, "{answer}");
    }
    let answer = server.graphql(SEARCH, json!({"q": "叶酸", "first": 0}), None);
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{answer}"
    );
    // The site refuses the same input with 400 and says what is wrong (a
    // 10 KB query is a longer address than the server takes: 414).
    let encoded: String = form_urlencoded::byte_serialize(long.as_bytes()).collect();
    let (status, _, _) = http_get(&server.address, &format!("/search?q={encoded}"), &[]);
    assert_eq!(status, 414);
    let over = "字".repeat(201);
    let site_cases: [(&[(&str, &str)], &str); 4] = [
        (&[("q", "\"叶酸")], "not closed"),
        (&[("q", &over)], "at most 200"),
        (&[("q", "叶酸"), ("field", "nope")], "nope"),
        (&[("q", "叶酸"), ("aspect", "no such")], "no such"),
    ];
    for (form, needle) in site_cases {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.extend_pairs(form);
        let (status, _, body) =
            http_get(&server.address, &format!("/search?{}", query.finish()), &[]);
        let html = String::from_utf8_lossy(&body);
        assert_eq!(status, 400, "{needle}: {html:.400}");
        assert!(html.contains(needle), "{needle}: {html:.400}");
    }
}
