//! Errors of the API and the stable `extensions.code` each maps to.

use async_graphql::ErrorExtensions;
use compliance::ComplianceError;
use registry::RegistryError;
use registry::query::QueryError;

/// The stable codes clients branch on (`errors[].extensions.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// An argument or input value is malformed or out of range.
    BadUserInput,
    /// The standard, revision or item asked for is not recorded.
    NotFound,
    /// Optimistic concurrency: the standard moved on since `expectedVersion`.
    Conflict,
    /// The domain refused the revision (it would break an invariant).
    Rejected,
    /// A mutation without a valid bearer token.
    Unauthenticated,
    /// A valid token whose role or jurisdiction does not cover the request.
    Forbidden,
    /// The server failed; details are in its log only.
    Internal,
    /// The document is not GraphQL.
    GraphqlParseFailed,
    /// The document does not fit the schema.
    GraphqlValidationFailed,
    /// Selections nested deeper than `limits::DEPTH_MAX`.
    QueryTooDeep,
    /// More fields than `limits::COMPLEXITY_MAX`.
    QueryTooComplex,
    /// The body is larger than `limits::BODY_BYTES_MAX`.
    PayloadTooLarge,
    /// The request ran longer than `limits::REQUEST_TIMEOUT`.
    Timeout,
    /// The HTTP request is not a GraphQL-over-HTTP request (bad JSON, missing query).
    BadRequest,
    /// A mutation sent with GET.
    MethodNotAllowed,
    /// A POST body that is not `application/json`.
    UnsupportedMediaType,
    /// An `Accept` header that allows no media type the server answers with.
    NotAcceptable,
    /// The server, or this client address, holds `limits::CONNECTIONS_MAX`
    /// (`CONNECTIONS_PER_ADDRESS_MAX`) connections already.
    TooManyConnections,
    /// The server, or this client address, runs `limits::SUBSCRIPTIONS_MAX`
    /// (`SUBSCRIPTIONS_PER_ADDRESS_MAX`) subscriptions already.
    TooManySubscriptions,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::NotFound => "NOT_FOUND",
            Code::Conflict => "CONFLICT",
            Code::Rejected => "REJECTED",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::Internal => "INTERNAL",
            Code::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Code::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Code::QueryTooDeep => "QUERY_TOO_DEEP",
            Code::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Code::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Code::Timeout => "TIMEOUT",
            Code::BadRequest => "BAD_REQUEST",
            Code::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Code::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Code::NotAcceptable => "NOT_ACCEPTABLE",
            Code::TooManyConnections => "TOO_MANY_CONNECTIONS",
            Code::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
        }
    }
}

/// What a resolver can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// An argument is malformed or out of range; the message says which and how to fix it.
    #[error("{0}")]
    BadInput(String),
    /// Nothing is recorded under the name asked for.
    #[error("{0}")]
    NotFound(String),
    /// A mutation without a known bearer token.
    #[error("{0}")]
    Unauthenticated(String),
    /// The token's role or jurisdiction does not allow the mutation.
    #[error("{0}")]
    Forbidden(String),
    /// A subscription past `limits::SUBSCRIPTIONS_MAX` or `SUBSCRIPTIONS_PER_ADDRESS_MAX`.
    #[error("{0}")]
    TooManySubscriptions(String),
    /// The registry refused or failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A compliance question that cannot be asked (of `CN`, of an unknown division, before any national standard).
    #[error(transparent)]
    Compliance(#[from] ComplianceError),
    /// A question the read model cannot answer: nothing recorded under that name, or a malformed question.
    #[error(transparent)]
    Query(#[from] QueryError),
}

fn compliance_code(error: &ComplianceError) -> Code {
    match error {
        ComplianceError::NationalIsReference => Code::BadUserInput,
        ComplianceError::UnknownProvince(_) | ComplianceError::NoNationalStandard => Code::NotFound,
        _ => Code::Internal,
    }
}

impl ApiError {
    pub fn code(&self) -> Code {
        match self {
            ApiError::BadInput(_) => Code::BadUserInput,
            ApiError::NotFound(_) => Code::NotFound,
            ApiError::Unauthenticated(_) => Code::Unauthenticated,
            ApiError::Forbidden(_) => Code::Forbidden,
            ApiError::TooManySubscriptions(_) => Code::TooManySubscriptions,
            ApiError::Registry(e) => match e {
                RegistryError::Conflict { .. } => Code::Conflict,
                RegistryError::Rejected { .. }
                | RegistryError::RevisionIdTaken(_)
                | RegistryError::UnknownNationalRevision { .. }
                | RegistryError::SeveralStandards { .. } => Code::Rejected,
                RegistryError::NoSuchStandard(_) => Code::NotFound,
                RegistryError::Import(_) => Code::BadUserInput,
                _ => Code::Internal,
            },
            ApiError::Compliance(e) => compliance_code(e),
            ApiError::Query(e) => match e {
                QueryError::NoSuchStandard { .. }
                | QueryError::NoSuchItem { .. }
                | QueryError::UnknownItem(_)
                | QueryError::NoSuchRevision(_) => Code::NotFound,
                QueryError::AmbiguousItem { .. } | QueryError::ReversedDiff { .. } => {
                    Code::BadUserInput
                }
                QueryError::Compliance(e) => compliance_code(e),
                _ => Code::Internal,
            },
        }
    }

    /// The GraphQL error a client sees. Internal failures are logged here and
    /// reach the client as a fixed message: store and codec errors name tables and paths.
    pub fn into_graphql(self) -> async_graphql::Error {
        let code = self.code();
        let message = if code == Code::Internal {
            tracing::error!(error = %self, "request failed");
            "internal error: the server could not complete the request; its log has the details"
                .to_owned()
        } else {
            self.to_string()
        };
        let mut error = async_graphql::Error::new(message).extend_with(|_, e| {
            e.set("code", code.as_str());
        });
        if let ApiError::Registry(RegistryError::Conflict {
            expected, actual, ..
        }) = &self
        {
            let (expected, actual) = (*expected, *actual);
            error = error.extend_with(|_, e| {
                e.set("expectedVersion", expected);
                e.set("actualVersion", actual);
            });
        }
        error
    }
}

/// Shorthand for resolvers.
pub type ApiResult<T> = Result<T, async_graphql::Error>;

pub(crate) trait IntoGraphql<T> {
    fn gql(self) -> ApiResult<T>;
}

impl<T, E: Into<ApiError>> IntoGraphql<T> for Result<T, E> {
    fn gql(self) -> ApiResult<T> {
        self.map_err(|e| e.into().into_graphql())
    }
}
