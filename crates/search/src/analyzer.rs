//! Turning text into index terms, and deciding whether a text holds a query term.
//!
//! Chinese is written without spaces, so words cannot be found by splitting.
//! The index uses character n-grams ([`Grams`]): every Han character and every
//! pair of adjacent Han characters is a term, and runs of other letters and
//! digits are words. A query term is looked up by all its grams, and each
//! candidate is then checked against the text itself, so a match is exactly an
//! occurrence of the term: a two-character word inside a longer one is found,
//! and nothing is found that the text does not contain. The labelled query set
//! (`tests/labelled.rs`) compares this with a dictionary segmenter (jieba) and
//! with single characters; see `docs/search.md`.

use std::fmt;

/// One term of the index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    /// One or two Han characters packed into a number (see [`gram`]).
    Gram(u64),
    /// A word: a run of other letters and digits, lowercased, or a segmenter's word.
    Word(Box<str>),
}

/// How a query term is matched in a text once the index has found a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// The term must occur in the text (case-insensitive; a term that starts or
    /// ends with a letter or digit must start or end a word there).
    Occurrence,
    /// Every query term of the analyzer must be among the text's terms (what a
    /// segmenting search engine does): a comparison baseline.
    Terms,
}

/// Turns texts and query terms into index terms.
pub trait Analyzer: Send + Sync + fmt::Debug {
    /// A short name for reports.
    fn name(&self) -> &'static str;
    /// The terms of an indexed text, in any order, duplicates allowed.
    fn index_terms(&self, text: &str, out: &mut Vec<Term>);
    /// The terms an indexed text must have to hold the query term.
    fn query_terms(&self, term: &str, out: &mut Vec<Term>);
    fn matching(&self) -> Matching;
}

/// Han characters and pairs of adjacent Han characters, and words of other letters and digits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Grams;

/// A Han character or a pair of them as one number: one character fits 21 bits.
pub fn gram(first: char, second: Option<char>) -> u64 {
    match second {
        None => u64::from(first),
        Some(second) => (1 << 42) | (u64::from(first) << 21) | u64::from(second),
    }
}

/// Whether `c` is a Han character (CJK unified ideographs and their extensions, compatibility ideographs).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF | 0x30000..=0x3134F)
}

/// Letters and digits that are not Han: they make words.
pub fn is_word_char(c: char) -> bool {
    // The cheap range test first: most indexed characters are Han.
    !is_han(c) && c.is_alphanumeric()
}

impl Analyzer for Grams {
    fn name(&self) -> &'static str {
        "character 1- and 2-grams"
    }

    fn index_terms(&self, text: &str, out: &mut Vec<Term>) {
        let mut previous: Option<char> = None;
        let mut word = String::new();
        for c in text.chars() {
            if is_word_char(c) {
                word.extend(c.to_lowercase());
                previous = None;
                continue;
            }
            flush_word(&mut word, out);
            if is_han(c) {
                out.push(Term::Gram(gram(c, None)));
                if let Some(p) = previous {
                    out.push(Term::Gram(gram(p, Some(c))));
                }
                previous = Some(c);
            } else {
                previous = None;
            }
        }
        flush_word(&mut word, out);
    }

    fn query_terms(&self, term: &str, out: &mut Vec<Term>) {
        let chars: Vec<char> = term.chars().collect();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if is_word_char(c) {
                word.extend(c.to_lowercase());
                continue;
            }
            flush_word(&mut word, out);
            if !is_han(c) {
                continue;
            }
            let next_han = chars.get(i + 1).is_some_and(|&n| is_han(n));
            let previous_han = i > 0 && is_han(chars[i - 1]);
            if next_han {
                out.push(Term::Gram(gram(c, Some(chars[i + 1]))));
            } else if !previous_han {
                // A lone Han character: only its unigram can find it.
                out.push(Term::Gram(gram(c, None)));
            }
        }
        flush_word(&mut word, out);
    }

    fn matching(&self) -> Matching {
        Matching::Occurrence
    }
}

fn flush_word(word: &mut String, out: &mut Vec<Term>) {
    if !word.is_empty() {
        out.push(Term::Word(std::mem::take(word).into_boxed_str()));
    }
}

/// Lowercases char by char, one char for one, so char positions stay the same.
pub(crate) fn fold_case(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(|c| c.is_uppercase()) {
        std::borrow::Cow::Owned(
            text.chars()
                .map(|c| c.to_lowercase().next().unwrap_or(c))
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Byte ranges in `text` (already case-folded) where `needle` (case-folded) occurs
/// under [`Matching::Occurrence`], at most `limit` of them.
pub(crate) fn occurrences(text: &str, needle: &str, limit: usize) -> Vec<std::ops::Range<usize>> {
    let mut found = Vec::new();
    if needle.is_empty() {
        return found;
    }
    let word_start = needle.chars().next().is_some_and(is_word_char);
    let word_end = needle.chars().next_back().is_some_and(is_word_char);
    let mut from = 0;
    while found.len() < limit {
        let Some(at) = text[from..].find(needle).map(|i| i + from) else {
            break;
        };
        let end = at + needle.len();
        let starts_word = !word_start || !text[..at].chars().next_back().is_some_and(is_word_char);
        let ends_word = !word_end || !text[end..].chars().next().is_some_and(is_word_char);
        if starts_word && ends_word {
            found.push(at..end);
        }
        // Step one char on, so overlapping occurrences are seen.
        from = at + text[at..].chars().next().map_or(1, char::len_utf8);
    }
    found
}

/// Whether `text` holds the query term (already case-folded) under [`Matching::Occurrence`].
pub(crate) fn holds(text: &str, needle: &str) -> bool {
    if needle.chars().any(is_word_char) {
        !occurrences(&fold_case(text), needle, 1).is_empty()
    } else {
        // Han and punctuation have no case and no word boundaries: a plain search.
        text.contains(needle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<Term> {
        let mut out = Vec::new();
        Grams.index_terms(text, &mut out);
        out
    }

    #[test]
    fn han_grams_and_words() {
        let got = terms("收听广播 FM 65岁");
        let g = |a, b| Term::Gram(gram(a, b));
        assert_eq!(
            got,
            vec![
                g('收', None),
                g('听', None),
                g('收', Some('听')),
                g('广', None),
                g('听', Some('广')),
                g('播', None),
                g('广', Some('播')),
                Term::Word("fm".into()),
                Term::Word("65".into()),
                g('岁', None),
            ]
        );
    }

    #[test]
    fn query_terms_are_found_in_the_text_terms() {
        for (text, query) in [
            ("农村孕妇补服叶酸", "叶酸"),
            ("收听广播", "广播"),
            ("Folic acid supplements", "ACID"),
            ("0—6岁儿童", "6岁"),
            ("每人每月200元", "元"),
        ] {
            let indexed = terms(text);
            let mut wanted = Vec::new();
            Grams.query_terms(query, &mut wanted);
            assert!(!wanted.is_empty(), "{query}");
            for t in &wanted {
                assert!(indexed.contains(t), "{query} in {text}: {t:?}");
            }
        }
    }

    #[test]
    fn occurrences_respect_word_boundaries() {
        let cases: [(&str, &str, usize); 6] = [
            ("folic acid", "acid", 1),
            ("folic acids", "acid", 0),
            ("0—6岁儿童", "6岁", 1),
            ("16岁", "6岁", 0),
            ("广播广播", "广播", 2),
            ("哈哈哈", "哈哈", 2),
        ];
        for (text, needle, count) in cases {
            assert_eq!(
                occurrences(text, needle, 10).len(),
                count,
                "{needle} in {text}"
            );
        }
        assert!(holds("Folic Acid", "acid"));
        assert!(!holds("收听", "广播"));
    }
}
