//! Full-text search of every version of every standard, as in force on any date.
//!
//! The index maps terms (see [`analyzer`]) to the *items* whose text held them
//! in any version ever recorded: one compressed set of item keys per term. It
//! answers which items may match; whether an item matches at a point is then
//! decided on the item's text in the timeline's edition at that point, so a hit
//! is always text in force then, as recorded then, and never disagrees with the
//! edition. With `history`, every stretch of valid time over which an item's
//! text stayed the same is checked, and each matching one is a hit with its dates.
//!
//! Pure: no I/O, no clock. The registry keeps the index current as it indexes
//! the log ([`SearchIndex::update`] after each `Timeline::ingest`).

pub mod analyzer;
mod hits;
mod image;
mod index;
pub mod query;

pub use hits::{Fragment, Snippet};
pub use image::{IMAGE_VERSION, ImageError};
pub use index::{Changes, IndexStats, SearchIndex};
pub use query::Query;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use domain::ids::{AspectId, CategoryId, Jurisdiction};
use domain::state::{ItemState, Snapshot};

/// Most hits on one page.
pub const PAGE_SIZE_MAX: usize = 100;
/// Items one page looks at before it stops, whether or not the page is full;
/// the cursor it returns goes on from there.
pub const ITEMS_EXAMINED_MAX: usize = 20_000;

/// Why a search was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    #[error("the query is empty: give a word or phrase to look for")]
    EmptyQuery,
    #[error("the query has {chars} characters; at most {max} are allowed: shorten it")]
    QueryTooLong { chars: usize, max: usize },
    #[error("the query has {count} words and phrases; at most {max} are allowed: remove some")]
    TooManyTerms { count: usize, max: usize },
    #[error("the query nests parentheses or NOT more than {max} deep: simplify it")]
    TooDeep { max: usize },
    #[error(
        "the quote at character {at} of the query is not closed: close the phrase with another \""
    )]
    UnbalancedQuote { at: usize },
    #[error("the query's parentheses do not match: close every ( with a )")]
    UnbalancedParenthesis,
    #[error("the query has empty parentheses: put a word between them or remove them")]
    EmptyParentheses,
    #[error("{operator} needs a word or phrase after it")]
    MissingOperand { operator: String },
    #[error(
        "the query only excludes words: add a word to look for (NOT and - only narrow what other words find)"
    )]
    OnlyExclusions,
    #[error("\"{term}\" has no letter, digit or Chinese character to look for")]
    NothingToFind { term: String },
    #[error("first must be between 1 and {max}, not {first}")]
    PageSize { first: usize, max: usize },
    #[error("the cursor {0:?} was not given by a search: pass the cursor of a hit unchanged")]
    BadCursor(String),
    #[error("{0:?} is not a field; fields are {fields}", fields = Field::names())]
    UnknownField(String),
}

/// The searched fields of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The official (Chinese) name.
    Name,
    /// The descriptive English name.
    NameEn,
    ServiceTarget,
    ServiceContent,
    ServiceStandard,
    ExpenditureResponsibility,
    LeadUnits,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::Name,
        Field::NameEn,
        Field::ServiceTarget,
        Field::ServiceContent,
        Field::ServiceStandard,
        Field::ExpenditureResponsibility,
        Field::LeadUnits,
    ];

    /// The stored name of the field, as in events and views.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::NameEn => "name_en",
            Field::ServiceTarget => "service_target",
            Field::ServiceContent => "service_content",
            Field::ServiceStandard => "service_standard",
            Field::ExpenditureResponsibility => "expenditure_responsibility",
            Field::LeadUnits => "lead_units",
        }
    }

    fn names() -> String {
        Field::ALL.map(Field::as_str).join(", ")
    }

    /// The field's text in an item; lead units joined by `、`. `None` when not on record.
    pub fn text(self, item: &ItemState) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        let text = match self {
            Field::Name => item.name.as_known(),
            Field::NameEn => item.name_en.as_known(),
            Field::ServiceTarget => item.fields.service_target.as_known(),
            Field::ServiceContent => item.fields.service_content.as_known(),
            Field::ServiceStandard => item.fields.service_standard.as_known().map(|s| &s.text),
            Field::ExpenditureResponsibility => item.fields.expenditure_responsibility.as_known(),
            Field::LeadUnits => {
                return item
                    .fields
                    .lead_units
                    .as_known()
                    .map(|units| match &units[..] {
                        [one] => Cow::Borrowed(one.as_str()),
                        many => Cow::Owned(
                            many.iter()
                                .map(|u| u.as_str())
                                .collect::<Vec<_>>()
                                .join("、"),
                        ),
                    });
            }
        };
        text.map(|t| Cow::Borrowed(t.as_str()))
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Field {
    type Err = SearchError;
    /// Stored names (`service_target`) and GraphQL names (`SERVICE_TARGET`, `serviceTarget`).
    fn from_str(s: &str) -> Result<Self, SearchError> {
        let flat: String = s
            .chars()
            .filter(|c| *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        Field::ALL
            .into_iter()
            .find(|f| f.as_str().replace('_', "") == flat)
            .ok_or_else(|| SearchError::UnknownField(s.to_owned()))
    }
}

/// Which standards a search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// Only the standard of the given code.
    #[default]
    Only,
    /// The standard of the code and those of the divisions within it
    /// (`310000` takes in `3101xx` and `3101xx`'s counties; `CN` takes in every locality).
    WithLocalities,
}

/// What to search, beyond the words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub jurisdiction: Option<(Jurisdiction, Scope)>,
    pub aspect: Option<AspectId>,
    pub category: Option<CategoryId>,
    /// Fields searched; empty means all of them.
    pub fields: Vec<Field>,
}

/// When the searched text must have been in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// In force on `valid_at`, as recorded by `known_at` (now when `None`).
    At {
        valid_at: NaiveDate,
        known_at: Option<DateTime<Utc>>,
    },
    /// At any time, as recorded by `known_at`: every version that held the words.
    History { known_at: Option<DateTime<Utc>> },
}

impl When {
    pub fn known_at(self) -> Option<DateTime<Utc>> {
        match self {
            When::At { known_at, .. } | When::History { known_at } => known_at,
        }
    }
}

/// A position in the order of hits: the item's key in the index and the
/// number of its text version (0 for a search at a point). Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cursor {
    pub item: u32,
    pub version: u32,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.item, self.version)
    }
}

impl FromStr for Cursor {
    type Err = SearchError;
    fn from_str(s: &str) -> Result<Self, SearchError> {
        let bad = || SearchError::BadCursor(s.chars().take(40).collect());
        let (item, version) = s.split_once('.').ok_or_else(bad)?;
        Ok(Cursor {
            item: item.parse().map_err(|_| bad())?,
            version: version.parse().map_err(|_| bad())?,
        })
    }
}

/// One search.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub query: &'a Query,
    pub filter: &'a Filter,
    pub when: When,
    /// Page size, 1..=[`PAGE_SIZE_MAX`].
    pub first: usize,
    /// Hits after this cursor; from the first hit when `None`.
    pub after: Option<Cursor>,
}

/// One item version whose text holds the query.
#[derive(Debug, Clone)]
pub struct Hit {
    pub jurisdiction: Jurisdiction,
    /// The item as it stood in this version (shared with the timeline).
    pub item: Arc<ItemState>,
    /// The standard as it stood on `valid_from` (or on the date searched).
    pub snapshot: Arc<Snapshot>,
    pub category: Option<CategoryId>,
    pub aspect: Option<AspectId>,
    /// First day this text of the item was in force (as recorded by the search's `known_at`).
    pub valid_from: NaiveDate,
    /// First day it no longer was; `None` while it still is, as far as recorded.
    pub valid_until: Option<NaiveDate>,
    /// The fields that hold a searched word, with the words marked.
    pub snippets: Vec<Snippet>,
    pub cursor: Cursor,
}

/// One page of hits, in a fixed order: items in the order the log first
/// recorded them, each item's versions along valid time.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub hits: Vec<Hit>,
    /// Where the next page starts; `None` when nothing is left.
    pub next: Option<Cursor>,
    /// Items looked at for this page (at most [`ITEMS_EXAMINED_MAX`]).
    pub examined: usize,
}
