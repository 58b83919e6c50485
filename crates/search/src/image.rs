//! The index as bytes and back, so that a registry can start from a saved
//! index instead of analysing every text of the log again.
//!
//! The image holds what analysing costs: the terms, their posting sets and
//! the item keys they refer to. It leaves out what the timeline already
//! holds or what can start empty: the texts each item has been analysed
//! for (an item's texts are analysed again the next time it changes, which
//! posts the same terms again: posting sets are sets), and the versions a
//! walk compares against.
//!
//! Layout, integers little-endian, strings as a `u32` length and UTF-8 bytes:
//!
//! ```text
//! u32 IMAGE_VERSION, str analyzer name
//! u32 standards, each: str jurisdiction, bitmap of its item keys
//! u32 items, each: u32 standard key, str item id
//! u32 terms, each (in term key order): u8 0 + u64 gram | u8 1 + str word, bitmap posting set
//! ```
//!
//! a bitmap being a `u32` length and the portable Roaring format. Reading
//! checks every bound and every reference, and that the image describes
//! the timeline it is restored beside; it never panics on bad bytes.

use domain::ids::{ItemId, Jurisdiction};
use roaring::RoaringBitmap;
use rustc_hash::{FxHashMap, FxHashSet};
use timeline::Timeline;

use crate::SearchIndex;
use crate::analyzer::{Analyzer, Term};
use crate::index::{ItemEntry, StandardEntry};

/// Version of the image layout and of what the terms mean: changed whenever
/// either changes, so that an image of another version is rebuilt, never read.
pub const IMAGE_VERSION: u32 = 1;

/// Why an image cannot be restored. The index is then rebuilt from the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageError {
    #[error("the search index image ends early (at byte {at})")]
    Truncated { at: usize },
    #[error("the search index image is of version {found}, this version reads {IMAGE_VERSION}")]
    Version { found: u32 },
    #[error(
        "the search index image was analysed with \"{found}\", this index analyses with \"{expected}\""
    )]
    Analyzer { found: String, expected: String },
    #[error("the search index image is damaged: {0}")]
    Malformed(String),
    /// The image is sound but of another history than the timeline beside it.
    #[error("the search index image does not describe the timeline: {0}")]
    OtherTimeline(String),
}

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn str(&mut self, text: &str) {
        self.u32(text.len() as u32);
        self.0.extend_from_slice(text.as_bytes());
    }

    fn bitmap(&mut self, bitmap: &RoaringBitmap) {
        self.u32(bitmap.serialized_size() as u32);
        // Writing into a Vec cannot fail.
        let _ = bitmap.serialize_into(&mut self.0);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ImageError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(ImageError::Truncated { at: self.at })?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn u8(&mut self) -> Result<u8, ImageError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, ImageError> {
        let mut raw = [0; 4];
        raw.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(raw))
    }

    fn u64(&mut self) -> Result<u64, ImageError> {
        let mut raw = [0; 8];
        raw.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(raw))
    }

    fn str(&mut self) -> Result<&'a str, ImageError> {
        let len = self.u32()? as usize;
        let at = self.at;
        std::str::from_utf8(self.take(len)?)
            .map_err(|_| ImageError::Malformed(format!("text at byte {at} is not UTF-8")))
    }

    fn bitmap(&mut self) -> Result<RoaringBitmap, ImageError> {
        let len = self.u32()? as usize;
        let at = self.at;
        RoaringBitmap::deserialize_from(self.take(len)?)
            .map_err(|e| ImageError::Malformed(format!("set at byte {at}: {e}")))
    }

    /// A count of records each at least `min_bytes` long, refused when the
    /// rest of the image cannot hold that many (so no huge allocation).
    fn count(&mut self, min_bytes: usize) -> Result<usize, ImageError> {
        let count = self.u32()? as usize;
        if count.saturating_mul(min_bytes) > self.bytes.len() - self.at {
            return Err(ImageError::Truncated { at: self.at });
        }
        Ok(count)
    }
}

/// Refuses a set that names an item key the image does not have.
fn check_keys(set: &RoaringBitmap, items: usize, what: &str) -> Result<(), ImageError> {
    match set.max() {
        Some(max) if max as usize >= items => Err(ImageError::Malformed(format!(
            "{what} names item key {max}, the image has {items} items"
        ))),
        _ => Ok(()),
    }
}

impl SearchIndex {
    /// The index as bytes (see the module documentation).
    pub fn image(&self) -> Vec<u8> {
        let mut out = Writer(Vec::new());
        out.u32(IMAGE_VERSION);
        out.str(self.analyzer.name());
        out.u32(self.standards.len() as u32);
        for standard in &self.standards {
            out.str(standard.jurisdiction.as_str());
            out.bitmap(&standard.items);
        }
        out.u32(self.items.len() as u32);
        for item in &self.items {
            out.u32(item.standard);
            out.str(item.id.as_str());
        }
        let mut terms: Vec<(&Term, u32)> = self.terms.iter().map(|(t, &k)| (t, k)).collect();
        terms.sort_unstable_by_key(|(_, key)| *key);
        out.u32(terms.len() as u32);
        for (term, key) in terms {
            match term {
                Term::Gram(gram) => {
                    out.0.push(0);
                    out.0.extend_from_slice(&gram.to_le_bytes());
                }
                Term::Word(word) => {
                    out.0.push(1);
                    out.str(word);
                }
            }
            out.bitmap(&self.postings[key as usize]);
        }
        out.0
    }

    /// The index an [`image`](SearchIndex::image) holds, beside `timeline`
    /// as it stood when the image was taken: the same standards, each to
    /// continue with the ingest after the timeline's last.
    pub fn from_image(
        bytes: &[u8],
        analyzer: Box<dyn Analyzer>,
        timeline: &Timeline,
    ) -> Result<Self, ImageError> {
        let mut input = Reader { bytes, at: 0 };
        let version = input.u32()?;
        if version != IMAGE_VERSION {
            return Err(ImageError::Version { found: version });
        }
        let name = input.str()?;
        if name != analyzer.name() {
            return Err(ImageError::Analyzer {
                found: name.to_owned(),
                expected: analyzer.name().to_owned(),
            });
        }
        let mut index = SearchIndex::new(analyzer);
        let malformed = |what: &str, value: &str, e: domain::DomainError| {
            ImageError::Malformed(format!("{what} {value:?}: {e}"))
        };

        for key in 0..input.count(8)? {
            let code = input.str()?;
            let jurisdiction =
                Jurisdiction::parse(code).map_err(|e| malformed("jurisdiction", code, e))?;
            let items = input.bitmap()?;
            let Some(standard) = timeline.standard(&jurisdiction) else {
                return Err(ImageError::OtherTimeline(format!(
                    "it indexes {jurisdiction}, which the timeline does not hold"
                )));
            };
            if index
                .standard_keys
                .insert(jurisdiction.clone(), key as u32)
                .is_some()
            {
                return Err(ImageError::Malformed(format!(
                    "{jurisdiction} is indexed twice"
                )));
            }
            index.standards.push(StandardEntry {
                jurisdiction,
                items,
                indexed: Vec::new(),
                ingest: standard.refolded().ingest,
            });
        }
        if let Some(missing) = timeline
            .standards()
            .find(|s| !index.standard_keys.contains_key(s.jurisdiction()))
        {
            return Err(ImageError::OtherTimeline(format!(
                "the timeline holds {}, which it does not index",
                missing.jurisdiction()
            )));
        }

        for key in 0..input.count(8)? {
            let standard = input.u32()?;
            let id = input.str()?;
            let id = ItemId::parse(id).map_err(|e| malformed("item id", id, e))?;
            if standard as usize >= index.standards.len() {
                return Err(ImageError::Malformed(format!(
                    "item {id} belongs to standard key {standard}, the image has {}",
                    index.standards.len()
                )));
            }
            if index
                .item_keys
                .insert((standard, id.clone()), key as u32)
                .is_some()
            {
                return Err(ImageError::Malformed(format!("item {id} is indexed twice")));
            }
            index.items.push(ItemEntry {
                standard,
                id,
                seen: FxHashSet::default(),
            });
        }
        let items = index.items.len();
        for standard in &index.standards {
            check_keys(&standard.items, items, standard.jurisdiction.as_str())?;
        }

        let count = input.count(5)?;
        index.terms = FxHashMap::with_capacity_and_hasher(count, Default::default());
        index.postings.reserve_exact(count);
        for key in 0..count {
            let term = match input.u8()? {
                0 => Term::Gram(input.u64()?),
                1 => Term::Word(input.str()?.into()),
                other => {
                    return Err(ImageError::Malformed(format!(
                        "term {key} is of unknown kind {other}"
                    )));
                }
            };
            let posting = input.bitmap()?;
            check_keys(&posting, items, "a posting set")?;
            if index.terms.insert(term, key as u32).is_some() {
                return Err(ImageError::Malformed(format!("term {key} is listed twice")));
            }
            index.postings.push(posting);
        }
        if input.at != bytes.len() {
            return Err(ImageError::Malformed(format!(
                "{} bytes follow the last posting set",
                bytes.len() - input.at
            )));
        }
        Ok(index)
    }
}
