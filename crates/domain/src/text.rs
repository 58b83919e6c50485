//! `Text`: an official text, shared rather than copied.
//!
//! The timeline keeps many versions of every item, and each version that an
//! event touches starts as a copy of the one before. With texts shared, that
//! copy costs a reference count per field instead of an allocation and a
//! `memcpy` of every text, and the state shares the very text its event carries.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Immutable UTF-8 text behind a reference count; stored as a plain JSON string.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Text(Arc<str>);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether both are the same allocation (equal texts need not be).
    pub fn ptr_eq(a: &Text, b: &Text) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Text {
    fn from(value: &str) -> Self {
        Self(Arc::from(value))
    }
}

impl From<String> for Text {
    fn from(value: String) -> Self {
        Self(Arc::from(value))
    }
}

impl From<&String> for Text {
    fn from(value: &String) -> Self {
        Self(Arc::from(value.as_str()))
    }
}

impl From<Text> for String {
    fn from(value: Text) -> Self {
        value.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            // One allocation for the shared text, none for an intermediate `String`.
            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Text, E> {
                Ok(Text::from(value))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::Text;

    #[test]
    fn stored_as_a_plain_string() {
        let text = Text::from("按规定提供服务\n\"引号\"");
        let json = serde_json::to_string(&text).unwrap_or_default();
        assert_eq!(json, r#""按规定提供服务\n\"引号\"""#);
        let back: Text = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, text);
        assert!(serde_json::from_str::<Text>("17").is_err());
    }

    #[test]
    fn copies_share_the_text() {
        let text = Text::from(String::from("基本公共服务"));
        let copy = text.clone();
        assert!(std::ptr::eq(text.as_str(), copy.as_str()));
    }
}
