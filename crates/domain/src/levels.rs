//! Reading structured levels out of a service standard's text.
//!
//! Only explicit bounds are read ("不少于15套广播节目", "每年至少组织2次…");
//! anything else stays prose, so a comparison never rests on a guess.

use crate::model::{Comparator, Level, Period};
use crate::text::Text;

const COMPARATORS: [(&str, Comparator); 6] = [
    ("不少于", Comparator::AtLeast),
    ("不低于", Comparator::AtLeast),
    ("至少", Comparator::AtLeast),
    ("不超过", Comparator::AtMost),
    ("不高于", Comparator::AtMost),
    ("最多", Comparator::AtMost),
];

const PERIODS: [(&str, Period); 7] = [
    ("每年", Period::Year),
    ("每季度", Period::Quarter),
    ("每月", Period::Month),
    ("每周", Period::Week),
    ("每日", Period::Day),
    ("每天", Period::Day),
    ("每学年", Period::Year),
];

/// Longest verb read between a bound and its number.
const VERB_CHARS_MAX: usize = 4;

/// Longest text read; service standards are a few hundred characters.
const TEXT_CHARS_MAX: usize = 10_000;

/// The levels a service standard's text states explicitly, in text order.
pub fn extract_levels(text: &str) -> Vec<Level> {
    let text: String = text.chars().take(TEXT_CHARS_MAX).collect();
    text.split([';', '；', '。'])
        .filter_map(clause_level)
        .collect()
}

fn clause_level(clause: &str) -> Option<Level> {
    let (at, keyword, comparator) = COMPARATORS
        .iter()
        .filter_map(|(k, c)| clause.find(k).map(|at| (at, *k, *c)))
        .min_by_key(|(at, _, _)| *at)?;
    let head = &clause[..at];
    let rest = &clause[at + keyword.len()..];
    // A short verb may stand between the bound and the number ("至少组织2次").
    let verb_len: usize = rest
        .chars()
        .take_while(|c| !c.is_ascii_digit())
        .take(VERB_CHARS_MAX + 1)
        .map(char::len_utf8)
        .sum();
    if rest[..verb_len].chars().count() > VERB_CHARS_MAX
        || rest[..verb_len]
            .chars()
            .any(|c| c.is_ascii_punctuation() || "，；。".contains(c))
    {
        return None;
    }
    let rest = &rest[verb_len..];
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let quantity: f64 = digits.parse().ok()?;
    let after_number = &rest[digits.len()..];
    let unit: String = after_number.chars().take(1).collect();
    if unit.is_empty()
        || unit
            .chars()
            .any(|c| c.is_ascii_punctuation() || c.is_whitespace())
    {
        return None;
    }
    let measure = after_number[unit.len()..]
        .trim_start_matches(['的'])
        .trim_matches([',', '，', ' '])
        .to_owned();
    if measure.is_empty() {
        return None;
    }
    let period = PERIODS
        .iter()
        .find(|(k, _)| head.contains(k))
        .map(|(_, p)| *p);
    let condition = head
        .find('在')
        .map(|start| &head[start + '在'.len_utf8()..])
        .and_then(|tail| tail.split([',', '，']).next())
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(Text::from);
    Some(Level {
        measure: measure.into(),
        comparator,
        quantity,
        unit: unit.into(),
        per: None,
        period,
        condition,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Expected = (
        &'static str,
        f64,
        &'static str,
        Option<Period>,
        Option<&'static str>,
    );

    #[test]
    fn reads_explicit_bounds_and_leaves_prose_alone() {
        let cases: [(&str, Vec<Expected>); 4] = [
            (
                "提供不少于15套广播节目;在直播卫星公共服务覆盖地区,提供不少于17套广播节目。",
                vec![
                    ("广播节目", 15.0, "套", None, None),
                    (
                        "广播节目",
                        17.0,
                        "套",
                        None,
                        Some("直播卫星公共服务覆盖地区"),
                    ),
                ],
            ),
            (
                "县级以上地方人民政府每年至少组织2次退役军人专场招聘活动。适应性培训按照规定执行。",
                vec![("退役军人专场招聘活动", 2.0, "次", Some(Period::Year), None)],
            ),
            ("按照《军人抚恤优待条例》及国家有关规定执行。", vec![]),
            ("不少于。", vec![]),
        ];
        for (text, expected) in cases {
            let got: Vec<_> = extract_levels(text)
                .into_iter()
                .map(|l| {
                    (
                        l.measure.to_string(),
                        l.quantity,
                        l.unit.to_string(),
                        l.period,
                        l.condition.map(String::from),
                    )
                })
                .collect();
            let expected: Vec<_> = expected
                .into_iter()
                .map(|(m, q, u, p, c)| (m.to_owned(), q, u.to_owned(), p, c.map(str::to_owned)))
                .collect();
            assert_eq!(got, expected, "{text}");
        }
    }
}
