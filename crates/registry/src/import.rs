//! The import format: revisions as JSON documents (see docs/import-format.md).

use domain::command::PublishRevision;
use serde::{Deserialize, Serialize};

/// Identifies the format and its version in every file.
pub const FORMAT: &str = "stdreg.revisions/1";

/// Largest import file accepted; the whole national standard is well under 1 MiB.
pub const IMPORT_BYTES_MAX: usize = 64 * 1024 * 1024;

/// A file of revisions, published in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportFile {
    pub format: String,
    pub revisions: Vec<PublishRevision>,
}

impl ImportFile {
    pub fn new(revisions: Vec<PublishRevision>) -> Self {
        Self {
            format: FORMAT.to_owned(),
            revisions,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The text is not a valid import document: says where and what.
    #[error("{source_name}: at {path}: {message}")]
    Malformed {
        source_name: String,
        path: String,
        message: String,
    },
    #[error("{source_name}: unsupported format '{found}'; expected \"format\": \"{FORMAT}\"")]
    UnsupportedFormat { source_name: String, found: String },
    #[error("{source_name}: the file is larger than {IMPORT_BYTES_MAX} bytes")]
    TooLarge { source_name: String },
    #[error("{source_name}: the file holds no revisions")]
    Empty { source_name: String },
}

/// Parses an import document; `source_name` names it in errors (a file path, "stdin").
pub fn parse_import(source_name: &str, text: &str) -> Result<ImportFile, ImportError> {
    if text.len() > IMPORT_BYTES_MAX {
        return Err(ImportError::TooLarge {
            source_name: source_name.to_owned(),
        });
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    let file: ImportFile =
        serde_path_to_error::deserialize(de).map_err(|e| ImportError::Malformed {
            source_name: source_name.to_owned(),
            path: match e.path().to_string().as_str() {
                "." => "the top level".to_owned(),
                path => domain::input::quote(path),
            },
            message: domain::input::quote(&e.inner().to_string()),
        })?;
    if file.format != FORMAT {
        return Err(ImportError::UnsupportedFormat {
            source_name: source_name.to_owned(),
            found: domain::input::quote(&file.format),
        });
    }
    if file.revisions.is_empty() {
        return Err(ImportError::Empty {
            source_name: source_name.to_owned(),
        });
    }
    Ok(file)
}
