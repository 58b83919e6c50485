//! The query language: words and "quoted phrases", `AND` (or nothing), `OR`,
//! `NOT` (or a leading `-`), parentheses. Bounded in length, terms and depth,
//! and refused when it would have to scan everything (only exclusions).

use crate::SearchError;
use crate::analyzer::{fold_case, is_han, is_word_char};

/// Longest query, in characters.
pub const QUERY_CHARS_MAX: usize = 200;
/// Most words and phrases in one query.
pub const TERMS_MAX: usize = 16;
/// Deepest nesting of parentheses and `NOT`s.
pub const DEPTH_MAX: usize = 8;

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A word or phrase, case-folded, inner whitespace collapsed to one space.
    Term(String),
    And(Vec<Query>),
    Or(Vec<Query>),
    Not(Box<Query>),
}

impl Query {
    /// Parses a query as a user typed it.
    pub fn parse(text: &str) -> Result<Query, SearchError> {
        let chars = text.chars().count();
        if chars > QUERY_CHARS_MAX {
            return Err(SearchError::QueryTooLong {
                chars,
                max: QUERY_CHARS_MAX,
            });
        }
        let tokens = lex(text)?;
        if tokens.is_empty() {
            return Err(SearchError::EmptyQuery);
        }
        let terms = tokens
            .iter()
            .filter(|t| matches!(t, Token::Term(_)))
            .count();
        if terms > TERMS_MAX {
            return Err(SearchError::TooManyTerms {
                count: terms,
                max: TERMS_MAX,
            });
        }
        let mut parser = Parser { tokens, at: 0 };
        let query = parser.or(0)?;
        if let Some(token) = parser.tokens.get(parser.at) {
            return Err(match token {
                Token::Close => SearchError::UnbalancedParenthesis,
                other => SearchError::MissingOperand {
                    operator: other.to_string(),
                },
            });
        }
        if !query.is_positive() {
            return Err(SearchError::OnlyExclusions);
        }
        Ok(query)
    }

    /// Whether the query names something to look for in every branch: a query
    /// that only excludes would have to look at everything.
    fn is_positive(&self) -> bool {
        match self {
            Query::Term(_) => true,
            Query::Not(_) => false,
            Query::And(parts) => parts.iter().any(Query::is_positive),
            Query::Or(parts) => parts.iter().all(Query::is_positive),
        }
    }

    /// The terms looked for (not those excluded), in query order.
    pub fn positive_terms(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_positive(&mut out);
        out
    }

    fn collect_positive<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Query::Term(t) => out.push(t),
            Query::Not(_) => {}
            Query::And(parts) | Query::Or(parts) => {
                for p in parts {
                    p.collect_positive(out);
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Term(String),
    And,
    Or,
    Not,
    Open,
    Close,
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Token::Term(t) => t,
            Token::And => "AND",
            Token::Or => "OR",
            Token::Not => "NOT",
            Token::Open => "(",
            Token::Close => ")",
        })
    }
}

fn lex(text: &str) -> Result<Vec<Token>, SearchError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' || c == '“' || c == '”' {
            chars.next();
            let mut phrase = String::new();
            let mut closed = false;
            for (_, c) in chars.by_ref() {
                if c == '"' || c == '“' || c == '”' {
                    closed = true;
                    break;
                }
                phrase.push(c);
            }
            if !closed {
                return Err(SearchError::UnbalancedQuote {
                    at: text[..at].chars().count() + 1,
                });
            }
            tokens.push(term(&phrase, &phrase)?);
        } else if c == '(' || c == '（' {
            chars.next();
            tokens.push(Token::Open);
        } else if c == ')' || c == '）' {
            chars.next();
            tokens.push(Token::Close);
        } else if c == '-' {
            // Only at the start of a word: `0-6岁` is one word.
            chars.next();
            tokens.push(Token::Not);
        } else {
            let mut word = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if c.is_whitespace() || matches!(c, '"' | '“' | '”' | '(' | ')' | '（' | '）')
                {
                    break;
                }
                word.push(c);
                chars.next();
            }
            tokens.push(match word.as_str() {
                "AND" => Token::And,
                "OR" => Token::Or,
                "NOT" => Token::Not,
                _ => term(&word, &word)?,
            });
        }
    }
    Ok(tokens)
}

/// A word or phrase as the index matches it; refused when it holds nothing to find.
fn term(text: &str, as_typed: &str) -> Result<Token, SearchError> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if !collapsed.chars().any(|c| is_han(c) || is_word_char(c)) {
        return Err(SearchError::NothingToFind {
            term: as_typed.to_owned(),
        });
    }
    Ok(Token::Term(fold_case(&collapsed).into_owned()))
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self, depth: usize) -> Result<Query, SearchError> {
        let mut parts = vec![self.and(depth, "AND")?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            parts.push(self.and(depth, "OR")?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::Or(parts)
        })
    }

    fn and(&mut self, depth: usize, after: &str) -> Result<Query, SearchError> {
        let mut parts = vec![self.unary(depth, after)?];
        loop {
            match self.peek() {
                Some(Token::And) => {
                    self.at += 1;
                    parts.push(self.unary(depth, "AND")?);
                }
                Some(Token::Term(_) | Token::Not | Token::Open) => {
                    parts.push(self.unary(depth, "AND")?)
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Query::And(parts)
        })
    }

    /// `after` names the operator before this operand, for the error when it is missing.
    fn unary(&mut self, depth: usize, after: &str) -> Result<Query, SearchError> {
        if depth >= DEPTH_MAX {
            return Err(SearchError::TooDeep { max: DEPTH_MAX });
        }
        let missing = |operator: &str| SearchError::MissingOperand {
            operator: operator.to_owned(),
        };
        let token = self.peek().cloned();
        match token {
            Some(Token::Term(t)) => {
                self.at += 1;
                Ok(Query::Term(t))
            }
            Some(Token::Not) => {
                self.at += 1;
                Ok(Query::Not(Box::new(self.unary(depth + 1, "NOT")?)))
            }
            Some(Token::Open) => {
                self.at += 1;
                if self.peek() == Some(&Token::Close) {
                    return Err(SearchError::EmptyParentheses);
                }
                let inner = self.or(depth + 1)?;
                if self.peek() != Some(&Token::Close) {
                    return Err(SearchError::UnbalancedParenthesis);
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Close) => Err(SearchError::UnbalancedParenthesis),
            Some(Token::And) => Err(missing(if self.at == 0 { "AND" } else { after })),
            Some(Token::Or) => Err(missing(if self.at == 0 { "OR" } else { after })),
            None => Err(missing(after)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Query {
        Query::Term(s.to_owned())
    }

    #[test]
    fn parses() {
        let cases: Vec<(&str, Query)> = vec![
            ("叶酸", t("叶酸")),
            ("叶酸 孕妇", Query::And(vec![t("叶酸"), t("孕妇")])),
            ("叶酸 AND 孕妇", Query::And(vec![t("叶酸"), t("孕妇")])),
            ("广播 OR 电视", Query::Or(vec![t("广播"), t("电视")])),
            (
                "广播 -电视",
                Query::And(vec![t("广播"), Query::Not(Box::new(t("电视")))]),
            ),
            (
                "广播 NOT 电视",
                Query::And(vec![t("广播"), Query::Not(Box::new(t("电视")))]),
            ),
            ("\"Folic  Acid\"", t("folic acid")),
            ("“收听 广播”", t("收听 广播")),
            (
                "(广播 OR 电视) 农村",
                Query::And(vec![Query::Or(vec![t("广播"), t("电视")]), t("农村")]),
            ),
            ("0-6岁", t("0-6岁")),
        ];
        for (text, want) in cases {
            assert_eq!(Query::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn refuses_bad_input() {
        let long = "字".repeat(10 * 1024);
        let many = (0..TERMS_MAX + 1)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let deep = format!(
            "{}x{}",
            "(".repeat(DEPTH_MAX + 1),
            ")".repeat(DEPTH_MAX + 1)
        );
        let cases: Vec<(&str, SearchError)> = vec![
            ("", SearchError::EmptyQuery),
            ("   ", SearchError::EmptyQuery),
            (
                &long,
                SearchError::QueryTooLong {
                    chars: 10 * 1024,
                    max: QUERY_CHARS_MAX,
                },
            ),
            (
                &many,
                SearchError::TooManyTerms {
                    count: TERMS_MAX + 1,
                    max: TERMS_MAX,
                },
            ),
            (&deep, SearchError::TooDeep { max: DEPTH_MAX }),
            ("\"叶酸", SearchError::UnbalancedQuote { at: 1 }),
            ("叶酸 \"孕妇", SearchError::UnbalancedQuote { at: 4 }),
            (
                "AND",
                SearchError::MissingOperand {
                    operator: "AND".into(),
                },
            ),
            (
                "OR",
                SearchError::MissingOperand {
                    operator: "OR".into(),
                },
            ),
            (
                "NOT",
                SearchError::MissingOperand {
                    operator: "NOT".into(),
                },
            ),
            (
                "叶酸 OR",
                SearchError::MissingOperand {
                    operator: "OR".into(),
                },
            ),
            (
                "叶酸 AND",
                SearchError::MissingOperand {
                    operator: "AND".into(),
                },
            ),
            ("NOT 叶酸", SearchError::OnlyExclusions),
            ("-叶酸", SearchError::OnlyExclusions),
            ("叶酸 OR -孕妇", SearchError::OnlyExclusions),
            ("(叶酸", SearchError::UnbalancedParenthesis),
            ("叶酸)", SearchError::UnbalancedParenthesis),
            ("()", SearchError::EmptyParentheses),
            (
                "，。",
                SearchError::NothingToFind {
                    term: "，。".into(),
                },
            ),
            (
                "\"\"",
                SearchError::NothingToFind {
                    term: String::new(),
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Query::parse(text), Err(want), "{text:?}");
        }
    }
}
