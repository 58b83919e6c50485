//! `stdreg search`: renders the registry's answer, nothing more.

use chrono::Utc;
use clap::Args;
use domain::ids::{AspectId, CategoryId};
use registry::Registry;
use registry::search::{SEARCH_PAGE_DEFAULT, SearchRequest, SearchRequestError, SearchResults};
use search::{Field, Scope, When};

use crate::commands::{Failure, output, parse_date, parse_jurisdiction, parse_known_at};

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words and "quoted phrases"; AND (or a space), OR, NOT (or -word), parentheses.
    pub query: String,
    /// Only this standard (CN or a division code) and the localities below it.
    #[arg(long)]
    pub jurisdiction: Option<String>,
    /// With --jurisdiction: that standard alone, without the localities below it.
    #[arg(long, requires = "jurisdiction")]
    pub only: bool,
    /// Only items of this aspect (e.g. YYSY).
    #[arg(long)]
    pub aspect: Option<String>,
    /// Only items of this category (e.g. C21).
    #[arg(long)]
    pub category: Option<String>,
    /// Only these fields (comma-separated): name, name_en, service_target, service_content,
    /// service_standard, expenditure_responsibility, lead_units.
    #[arg(long, value_delimiter = ',')]
    pub field: Vec<String>,
    /// Date in force (YYYY-MM-DD); default: today.
    #[arg(long, conflicts_with = "history")]
    pub valid_at: Option<String>,
    /// Record time (RFC 3339); default: as the registry stands now.
    #[arg(long)]
    pub known_at: Option<String>,
    /// Every version that ever held the words, with the dates its text was in force.
    #[arg(long)]
    pub history: bool,
    /// Hits per page, 1 to 100.
    #[arg(long, default_value_t = SEARCH_PAGE_DEFAULT)]
    pub first: usize,
    /// The cursor printed after a page, for the next one.
    #[arg(long)]
    pub after: Option<String>,
}

/// The request the arguments describe, as every front end builds it.
pub fn request(args: &SearchArgs) -> Result<SearchRequest, Failure> {
    let known_at = parse_known_at(args.known_at.as_deref())?;
    let when = if args.history {
        When::History { known_at }
    } else {
        let valid_at = match &args.valid_at {
            Some(text) => parse_date(text, "--valid-at")?,
            None => registry::today(Utc::now()),
        };
        When::At { valid_at, known_at }
    };
    let jurisdiction = match &args.jurisdiction {
        Some(text) => {
            let scope = if args.only {
                Scope::Only
            } else {
                Scope::WithLocalities
            };
            Some((parse_jurisdiction(text)?, scope))
        }
        None => None,
    };
    let user = |e: domain::DomainError| Failure::User(e.to_string());
    Ok(SearchRequest {
        query: args.query.clone(),
        jurisdiction,
        aspect: args
            .aspect
            .as_deref()
            .map(AspectId::parse)
            .transpose()
            .map_err(user)?,
        category: args
            .category
            .as_deref()
            .map(CategoryId::parse)
            .transpose()
            .map_err(user)?,
        fields: args
            .field
            .iter()
            .map(|f| f.parse::<Field>())
            .collect::<Result<_, _>>()
            .map_err(|e| Failure::User(e.to_string()))?,
        when,
        first: args.first,
        after: args.after.clone(),
    })
}

pub fn run(registry: &Registry, args: &SearchArgs, json: bool) -> Result<(), Failure> {
    let results = registry
        .search(&request(args)?)
        .map_err(|e: SearchRequestError| Failure::User(e.to_string()))?;
    output(json, &results, render)
}

fn render(results: &SearchResults) -> String {
    let mut out = match results.valid_at {
        Some(valid_at) => format!("{:?} in force on {valid_at}", results.query),
        None => format!("{:?} at any time", results.query),
    };
    if let Some(known_at) = results.known_at {
        out.push_str(&format!(", as recorded at {}", known_at.to_rfc3339()));
    }
    out.push_str(&format!(": {} hit(s)\n", results.hits.len()));
    for hit in &results.hits {
        let until = hit.valid_until.map_or(String::from("…"), |d| d.to_string());
        out.push_str(&format!(
            "\n{} {} {}  [{} – {})\n  {}\n",
            hit.jurisdiction,
            hit.item.id,
            hit.name.as_deref().unwrap_or("(name not on record)"),
            hit.valid_from,
            until,
            hit.permalink
        ));
        for snippet in &hit.snippets {
            out.push_str(&format!(
                "  {}: {}\n",
                snippet.field,
                snippet.marked("【", "】")
            ));
        }
    }
    if let Some(cursor) = &results.next_cursor {
        out.push_str(&format!("\nmore: --after {cursor}\n"));
    }
    out
}
