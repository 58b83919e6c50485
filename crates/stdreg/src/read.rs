//! The read commands: parse the flags, ask the registry's query layer one
//! question, print the view it returns.

use chrono::Utc;
use domain::ids::ItemId;
use registry::Registry;
use registry::query::{Point, QueryError};

use crate::cli::PointArgs;
use crate::commands::{
    Failure, output, parse_date, parse_jurisdiction, parse_known_at, parse_point,
};
use crate::render;

impl From<QueryError> for Failure {
    fn from(error: QueryError) -> Self {
        let hint = match &error {
            QueryError::NoSuchStandard { .. } => {
                "; run `stdreg import` to load the national standard, or check the code"
            }
            QueryError::AmbiguousItem { .. } => " with --jurisdiction",
            QueryError::ReversedDiff { .. } => " (--from and --to)",
            _ => "",
        };
        Failure::User(format!("{error}{hint}"))
    }
}

fn today() -> chrono::NaiveDate {
    registry::today(Utc::now())
}

/// The point the flags name; `--valid-at` defaults to today.
pub(crate) fn point(args: &PointArgs) -> Result<Point, Failure> {
    let valid_at = match &args.valid_at {
        Some(text) => parse_date(text, "--valid-at")?,
        None => today(),
    };
    Ok(Point::new(
        valid_at,
        parse_known_at(args.known_at.as_deref())?,
    ))
}

fn item_id(text: &str) -> Result<ItemId, Failure> {
    ItemId::parse(text).map_err(|e| Failure::User(e.to_string()))
}

pub fn edition(
    registry: &Registry,
    jurisdiction: &str,
    at: &PointArgs,
    json: bool,
) -> Result<(), Failure> {
    let view = registry.edition(&parse_jurisdiction(jurisdiction)?, point(at)?)?;
    output(json, &view, render::edition)
}

pub fn item(
    registry: &Registry,
    item: &str,
    jurisdiction: Option<&str>,
    at: &PointArgs,
    json: bool,
) -> Result<(), Failure> {
    let jurisdiction = jurisdiction.map(parse_jurisdiction).transpose()?;
    let view = registry.item(jurisdiction.as_ref(), &item_id(item)?, point(at)?, today())?;
    output(json, &view, render::item_at_point)
}

pub fn versions(
    registry: &Registry,
    jurisdiction: &str,
    known_at: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    let views = registry.versions(
        &parse_jurisdiction(jurisdiction)?,
        parse_known_at(known_at)?,
    )?;
    output(json, &views, render::versions)
}

pub fn revisions(
    registry: &Registry,
    jurisdiction: &str,
    known_at: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    let views = registry.revisions(
        &parse_jurisdiction(jurisdiction)?,
        parse_known_at(known_at)?,
        today(),
    )?;
    output(json, &views, render::revisions)
}

pub fn history(
    registry: &Registry,
    item: &str,
    jurisdiction: Option<&str>,
    known_at: Option<&str>,
    json: bool,
) -> Result<(), Failure> {
    let jurisdiction = jurisdiction.map(parse_jurisdiction).transpose()?;
    let view = registry.history(
        jurisdiction.as_ref(),
        &item_id(item)?,
        parse_known_at(known_at)?,
    )?;
    output(json, &view, render::history)
}

pub fn diff(
    registry: &Registry,
    jurisdiction: &str,
    from: &str,
    to: &str,
    json: bool,
) -> Result<(), Failure> {
    let jurisdiction = parse_jurisdiction(jurisdiction)?;
    let view = registry.diff(
        &jurisdiction,
        parse_point(from, "--from")?,
        parse_point(to, "--to")?,
    )?;
    output(json, &view, render::diff)
}
