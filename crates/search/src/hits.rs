//! What a hit shows: the stretch of valid time an item's text held, and snippets.

use std::sync::Arc;

use chrono::NaiveDate;
use domain::ids::ItemId;
use domain::state::{ItemState, Snapshot};
use timeline::Version;

use crate::Field;
use crate::analyzer::{fold_case, occurrences};

/// Characters of a field shown around the first searched word.
pub const SNIPPET_CHARS: usize = 80;
/// Characters shown before the first searched word when the field is longer.
const SNIPPET_LEAD_CHARS: usize = 20;
/// Marked occurrences per term and field.
const MARKS_MAX: usize = 16;

/// A stretch of valid time over which an item's text (and place) stayed the same.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub item: Arc<ItemState>,
    /// The standard as it stood on `from`.
    pub snapshot: Arc<Snapshot>,
}

impl Segment {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && self.until.is_none_or(|until| date < until)
    }

    pub fn single(date: NaiveDate, item: &Arc<ItemState>, snapshot: &Arc<Snapshot>) -> Self {
        Segment {
            from: date,
            until: None,
            item: Arc::clone(item),
            snapshot: Arc::clone(snapshot),
        }
    }
}

fn same_text(a: &Arc<ItemState>, b: &Arc<ItemState>) -> bool {
    Arc::ptr_eq(a, b)
        || (a.name == b.name
            && a.name_en == b.name_en
            && a.fields == b.fields
            && a.placement.category == b.placement.category)
}

/// The stretches over which the item was active in a standard in force, along valid
/// time, as one generation of the timeline holds them (the same versions its
/// `edition` reads, with the same rule: no edition before the standard is established).
pub(crate) fn segments(versions: &[Version], id: &ItemId) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut open = false;
    for version in versions {
        let present = version
            .snapshot
            .established_on
            .and_then(|_| version.snapshot.items.get(id))
            .filter(|item| item.is_active());
        match present {
            Some(item) if open && out.last().is_some_and(|s| same_text(&s.item, item)) => {}
            Some(item) => {
                if open && let Some(last) = out.last_mut() {
                    last.until = Some(version.valid_from);
                }
                out.push(Segment {
                    from: version.valid_from,
                    until: None,
                    item: Arc::clone(item),
                    snapshot: Arc::clone(&version.snapshot),
                });
                open = true;
            }
            None => {
                if open && let Some(last) = out.last_mut() {
                    last.until = Some(version.valid_from);
                }
                open = false;
            }
        }
    }
    out
}

/// A piece of a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    /// True for a searched word.
    pub highlighted: bool,
}

/// A field that holds a searched word, shortened around it, with the words marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub field: Field,
    /// `…` at either end marks text left out.
    pub fragments: Vec<Fragment>,
}

impl Snippet {
    /// The snippet as plain text, searched words between `open` and `close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::new();
        for f in &self.fragments {
            if f.highlighted {
                out.push_str(open);
                out.push_str(&f.text);
                out.push_str(close);
            } else {
                out.push_str(&f.text);
            }
        }
        out
    }
}

/// Snippets of the fields (among `fields`) in which any of `terms` occurs.
pub(crate) fn snippets(item: &ItemState, fields: &[Field], terms: &[&str]) -> Vec<Snippet> {
    let mut out = Vec::new();
    for &field in fields {
        let Some(text) = field.text(item) else {
            continue;
        };
        if let Some(snippet) = snippet(field, &text, terms) {
            out.push(snippet);
        }
    }
    out
}

fn snippet(field: Field, text: &str, terms: &[&str]) -> Option<Snippet> {
    let folded = fold_case(text);
    // Folding keeps one char for one, so char positions carry over to `text`.
    let char_at: Vec<usize> = folded.char_indices().map(|(i, _)| i).collect();
    let to_char = |byte: usize| char_at.partition_point(|&b| b < byte);
    let mut marks: Vec<(usize, usize)> = terms
        .iter()
        .flat_map(|t| occurrences(&folded, t, MARKS_MAX))
        .map(|r| (to_char(r.start), to_char(r.end)))
        .collect();
    if marks.is_empty() {
        return None;
    }
    marks.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in marks {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let (from, to) = if chars.len() <= SNIPPET_CHARS {
        (0, chars.len())
    } else {
        let from = merged[0].0.saturating_sub(SNIPPET_LEAD_CHARS);
        let from = from.min(chars.len() - SNIPPET_CHARS);
        (from, from + SNIPPET_CHARS)
    };
    let mut fragments = Vec::new();
    let mut push = |text: String, highlighted: bool| {
        if !text.is_empty() {
            fragments.push(Fragment { text, highlighted });
        }
    };
    if from > 0 {
        push("…".to_owned(), false);
    }
    let mut at = from;
    for (start, end) in merged {
        let (start, end) = (start.max(at), end.min(to));
        if start >= end {
            continue;
        }
        push(chars[at..start].iter().collect(), false);
        push(chars[start..end].iter().collect(), true);
        at = end;
    }
    push(chars[at..to].iter().collect(), false);
    if to < chars.len() {
        push("…".to_owned(), false);
    }
    Some(Snippet { field, fragments })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_words_and_shortens_around_them() {
        let cases: [(&str, &[&str], &str); 3] = [
            ("为孕妇补服叶酸", &["叶酸"], "为孕妇补服[叶酸]"),
            ("Folic Acid", &["acid"], "Folic [Acid]"),
            ("广播广播", &["广播"], "[广播广播]"),
        ];
        for (text, terms, want) in cases {
            let got = snippet(Field::Name, text, terms).map(|s| s.marked("[", "]"));
            assert_eq!(got.as_deref(), Some(want), "{text}");
        }
        let long = format!("{}叶酸{}", "甲".repeat(50), "乙".repeat(100));
        let got = snippet(Field::Name, &long, &["叶酸"]).map(|s| s.marked("[", "]"));
        assert_eq!(
            got,
            Some(format!("…{}[叶酸]{}…", "甲".repeat(20), "乙".repeat(58)))
        );
        assert_eq!(snippet(Field::Name, "收听", &["广播"]), None);
    }
}
