//! Validated identifiers. Each is a string in the stored form, checked once at the edge.
//!
//! The string is shared (`Arc<str>`): the timeline copies ids into every version of
//! a state it keeps, and such a copy must not allocate.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// `CN` for the national standard, or a six-digit administrative division code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Jurisdiction(Arc<str>);

impl<'de> Deserialize<'de> for Jurisdiction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(ParsedStr(Jurisdiction::parse))
    }
}

/// Reads a string and checks it with a parser, without an intermediate
/// `String`: ids are read for every event of the log.
struct ParsedStr<F>(F);

impl<T, F: FnOnce(&str) -> Result<T, DomainError>> serde::de::Visitor<'_> for ParsedStr<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        (self.0)(value).map_err(E::custom)
    }
}

pub const NATIONAL: &str = "CN";

impl Jurisdiction {
    pub fn national() -> Self {
        Self(Arc::from(NATIONAL))
    }

    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let text = text.trim();
        let valid = text == NATIONAL
            || (text.len() == 6
                && text.bytes().all(|b| b.is_ascii_digit())
                && !text.starts_with('0'));
        if valid {
            Ok(Self(Arc::from(text)))
        } else {
            Err(DomainError::InvalidJurisdiction(crate::input::quote(text)))
        }
    }

    pub fn is_national(&self) -> bool {
        &*self.0 == NATIONAL
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The division codes this one lies within, nearest last: a county `510104`
    /// lies in city `510100` and province `510000`; every locality lies in `CN`.
    pub fn ancestors(&self) -> Vec<Jurisdiction> {
        if self.is_national() {
            return Vec::new();
        }
        let mut out = vec![Jurisdiction::national()];
        let province = format!("{}0000", &self.0[..2]);
        let city = format!("{}00", &self.0[..4]);
        if province != *self.0 {
            out.push(Jurisdiction(Arc::from(province)));
        }
        if city != *self.0 && !city.ends_with("0000") {
            out.push(Jurisdiction(Arc::from(city)));
        }
        out
    }
}

impl TryFrom<String> for Jurisdiction {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Jurisdiction> for String {
    fn from(value: Jurisdiction) -> Self {
        value.0.to_string()
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(into = "String")]
        pub struct $name(Arc<str>);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(ParsedStr($name::parse))
            }
        }

        impl $name {
            /// Letters, digits, `-`, `_` and `.`; 1 to 64 characters.
            pub fn parse(text: &str) -> Result<Self, DomainError> {
                let ok = !text.is_empty()
                    && text.len() <= 64
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
                if ok {
                    Ok(Self(Arc::from(text)))
                } else {
                    Err(DomainError::InvalidId {
                        kind: $what,
                        value: crate::input::quote(text),
                    })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether both are the same allocation (equal ids need not be).
            pub fn ptr_eq(a: &Self, b: &Self) -> bool {
                Arc::ptr_eq(&a.0, &b.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0.to_string()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(
    /// Stable identity of a service item: survives renumbering, renaming and moves.
    ItemId,
    "item id"
);
slug_id!(
    /// Stable identity of an aspect (top level of a standard's tree).
    AspectId,
    "aspect id"
);
slug_id!(
    /// Stable identity of a category (second level).
    CategoryId,
    "category id"
);
slug_id!(
    /// Identity of a revision (a published document), unique in the registry.
    RevisionId,
    "revision id"
);
