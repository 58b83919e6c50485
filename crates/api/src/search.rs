//! `Query.search`: renders the registry's search results (`registry::search`),
//! which the command line and the site render too.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use domain::ids::{AspectId, CategoryId};
use registry::search::{SearchHit, SearchRequest, SearchRequestError, SearchResults};
use search::{Field, Scope, When};

use crate::error::{ApiError, ApiResult, IntoGraphql};
use crate::limits;
use crate::scalars::{Date, DateTime};
use crate::types::{ItemVersionObj, parse_jurisdiction, shared, today};

/// A searched field of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "SearchField")]
pub enum SearchFieldGql {
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

impl From<SearchFieldGql> for Field {
    fn from(value: SearchFieldGql) -> Self {
        match value {
            SearchFieldGql::Name => Field::Name,
            SearchFieldGql::NameEn => Field::NameEn,
            SearchFieldGql::ServiceTarget => Field::ServiceTarget,
            SearchFieldGql::ServiceContent => Field::ServiceContent,
            SearchFieldGql::ServiceStandard => Field::ServiceStandard,
            SearchFieldGql::ExpenditureResponsibility => Field::ExpenditureResponsibility,
            SearchFieldGql::LeadUnits => Field::LeadUnits,
        }
    }
}

/// Which items a search covers. All conditions must hold.
#[derive(Debug, Clone, Default, InputObject)]
pub struct SearchFilter {
    /// Only this standard (`CN` or a division code) ...
    pub jurisdiction: Option<String>,
    /// ... and, unless false, the standards of the divisions within it.
    #[graphql(default = true)]
    pub include_localities: bool,
    /// Only items of this aspect (e.g. `YYSY`) at the point searched.
    pub aspect: Option<String>,
    /// Only items of this category (e.g. `C21`) at the point searched.
    pub category: Option<String>,
    /// Only these fields; all when omitted or empty.
    pub fields: Option<Vec<SearchFieldGql>>,
}

/// The arguments of `Query.search`, as a request to the registry.
pub(crate) struct SearchArgs {
    pub query: String,
    pub filter: Option<SearchFilter>,
    pub valid_at: Option<Date>,
    pub known_at: Option<DateTime>,
    pub history: bool,
    pub first: Option<i32>,
    pub after: Option<String>,
}

fn request(args: SearchArgs) -> Result<SearchRequest, ApiError> {
    let filter = args.filter.unwrap_or_default();
    let known_at = args.known_at.map(|t| t.0);
    let when = match (args.history, args.valid_at) {
        (true, Some(_)) => {
            return Err(ApiError::BadInput(
                "validAt and history exclude each other: history searches every date".to_owned(),
            ));
        }
        (true, None) => When::History { known_at },
        (false, valid_at) => When::At {
            valid_at: valid_at.map_or_else(today, |d| d.0),
            known_at,
        },
    };
    let jurisdiction = match &filter.jurisdiction {
        Some(text) => {
            let scope = if filter.include_localities {
                Scope::WithLocalities
            } else {
                Scope::Only
            };
            Some((parse_jurisdiction(text)?, scope))
        }
        None => None,
    };
    let bad = |e: domain::DomainError| ApiError::BadInput(e.to_string());
    Ok(SearchRequest {
        query: args.query,
        jurisdiction,
        aspect: filter
            .aspect
            .as_deref()
            .map(AspectId::parse)
            .transpose()
            .map_err(bad)?,
        category: filter
            .category
            .as_deref()
            .map(CategoryId::parse)
            .transpose()
            .map_err(bad)?,
        fields: filter
            .fields
            .unwrap_or_default()
            .into_iter()
            .map(Field::from)
            .collect(),
        when,
        first: limits::page_size(args.first)?,
        after: args.after,
    })
}

pub(crate) fn search(ctx: &Context<'_>, args: SearchArgs) -> ApiResult<SearchConnection> {
    let request = request(args).gql()?;
    shared(ctx)
        .registry
        .search(&request)
        .map(SearchConnection)
        .map_err(|e| match e {
            SearchRequestError::UnknownJurisdiction { .. } => ApiError::NotFound(e.to_string()),
            other => ApiError::BadInput(other.to_string()),
        })
        .gql()
}

/// A page of search hits.
#[derive(Debug)]
pub struct SearchConnection(SearchResults);

#[Object]
impl SearchConnection {
    async fn edges(&self) -> Vec<SearchEdge<'_>> {
        self.0.hits.iter().map(SearchEdge).collect()
    }

    async fn page_info(&self) -> SearchPageInfo {
        SearchPageInfo {
            has_next_page: self.0.next_cursor.is_some(),
            end_cursor: self.0.next_cursor.clone(),
        }
    }

    /// The date searched; `null` with `history`.
    async fn valid_at(&self) -> Option<Date> {
        self.0.valid_at.map(Date)
    }

    /// The record time searched; `null`: as the registry stands now.
    async fn known_at(&self) -> Option<DateTime> {
        self.0.known_at.map(DateTime)
    }

    /// Items looked at for this page. A page stops after 20,000 even when it
    /// is not full; `pageInfo.endCursor` then goes on from there.
    async fn examined(&self) -> usize {
        self.0.examined
    }
}

/// Where the next page starts.
#[derive(Debug, SimpleObject)]
pub struct SearchPageInfo {
    has_next_page: bool,
    /// Pass to `after` for the next page.
    end_cursor: Option<String>,
}

pub struct SearchEdge<'a>(&'a SearchHit);

#[Object]
impl SearchEdge<'_> {
    /// Opaque; pass to `after` to go on after this hit.
    async fn cursor(&self) -> &str {
        &self.0.cursor
    }

    async fn node(&self) -> SearchHitObj<'_> {
        SearchHitObj(self.0)
    }
}

/// One item version whose text holds the words.
pub struct SearchHitObj<'a>(&'a SearchHit);

#[Object(name = "SearchHit")]
impl SearchHitObj<'_> {
    async fn jurisdiction(&self) -> &str {
        self.0.jurisdiction.as_str()
    }

    /// The item as it stood in this version.
    async fn item(&self) -> ItemVersionObj {
        ItemVersionObj(registry::view::ItemView::new(
            &self.0.item,
            &self.0.snapshot,
        ))
    }

    /// First day this text of the item was in force (as recorded by `knownAt`).
    async fn valid_from(&self) -> Date {
        Date(self.0.valid_from)
    }

    /// First day it no longer was; `null` while it still is.
    async fn valid_until(&self) -> Option<Date> {
        self.0.valid_until.map(Date)
    }

    /// The fields that hold a searched word, shortened around it, the words marked.
    async fn snippets(&self) -> Vec<SearchSnippet> {
        self.0
            .snippets
            .iter()
            .map(|s| SearchSnippet {
                field: s.field.to_owned(),
                text: s.marked("", ""),
                fragments: s
                    .fragments
                    .iter()
                    .map(|f| SnippetFragment {
                        text: f.text.clone(),
                        highlighted: f.highlighted,
                    })
                    .collect(),
            })
            .collect()
    }

    /// The site's page of the item at this point (`/{jurisdiction}/{date}/items/{item}`,
    /// with `?known_at=` when `knownAt` was given).
    async fn permalink(&self) -> &str {
        &self.0.permalink
    }
}

/// A field holding a searched word.
#[derive(Debug, SimpleObject)]
pub struct SearchSnippet {
    /// The field's stored name, e.g. `service_standard`.
    field: String,
    /// The snippet as plain text (`…` marks text left out).
    text: String,
    /// The same text in pieces; `highlighted` pieces are searched words.
    fragments: Vec<SnippetFragment>,
}

#[derive(Debug, SimpleObject)]
pub struct SnippetFragment {
    text: String,
    highlighted: bool,
}
