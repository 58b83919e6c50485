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
    let after_unit = after_number[unit.len()..]
        .trim_start_matches(['的'])
        .trim_matches([',', '，', ' ']);
    // The measure follows the number ("不少于15套广播节目") or, where nothing
    // follows, precedes the bound ("运行维护费不低于2000元").
    let measure = if after_unit.is_empty() {
        measure_before(head)?
    } else {
        after_unit.to_owned()
    };
    let period = PERIODS
        .iter()
        .find(|(k, _)| head.contains(k))
        .map(|(_, p)| *p);
    let per = per_whom(head);
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
        per,
        period,
        condition,
    })
}

/// Verbs that may open the phrase naming what a bound measures ("安排…费不低于").
const MEASURE_VERBS: [&str; 6] = ["安排", "提供", "发放", "给予", "落实", "保障"];

/// Longest measure read before a bound.
const MEASURE_CHARS_MAX: usize = 16;

/// What the words before a bound measure: the last phrase of `head`, without
/// the "每…" phrases that state the period or the unit counted, and without
/// an opening verb. `None` when nothing is left, or too much to be a name.
fn measure_before(head: &str) -> Option<String> {
    let phrase = head
        .rsplit([',', '，', '、', ':', '：', '(', '（', ')', '）'])
        .next()
        .unwrap_or(head)
        .trim();
    let mut rest = phrase;
    loop {
        let before = rest;
        for (keyword, _) in PERIODS {
            rest = rest.trim_start_matches(keyword);
        }
        if let Some((_, tail)) = per_phrase(rest) {
            rest = tail;
        }
        for verb in MEASURE_VERBS {
            rest = rest.trim_start_matches(verb);
        }
        if rest == before {
            break;
        }
    }
    let rest = rest.trim();
    let chars = rest.chars().count();
    (chars > 0 && chars <= MEASURE_CHARS_MAX && !rest.chars().any(|c| c.is_ascii_digit()))
        .then(|| rest.to_owned())
}

/// Longest name of whom or what a "每…" phrase counts per.
const PER_CHARS_MAX: usize = 6;

/// A "每个行政村" or "每人" phrase at the start of `text`, not a period:
/// the unit counted ("行政村", "人") and the text after the phrase.
fn per_phrase(text: &str) -> Option<(&str, &str)> {
    if PERIODS.iter().any(|(k, _)| text.starts_with(k)) {
        return None;
    }
    let tail = text.strip_prefix('每')?;
    if let Some(named) = tail.strip_prefix('个') {
        // "每个行政村": up to the next "每" or verb.
        let end = [named.find('每')]
            .into_iter()
            .chain(MEASURE_VERBS.iter().map(|v| named.find(v)))
            .flatten()
            .min()
            .unwrap_or(named.len());
        let (whom, after) = named.split_at(end);
        return (!whom.is_empty() && whom.chars().count() <= PER_CHARS_MAX)
            .then_some((whom, after));
    }
    // "每人", "每生", "每户": one character.
    let whom = tail.chars().next().filter(|c| "人生户村".contains(*c))?;
    Some(tail.split_at(whom.len_utf8()))
}

/// Per whom or what the bound counts, when the text before it says ("每个行政村每年…").
fn per_whom(head: &str) -> Option<Text> {
    head.char_indices()
        .filter(|(_, c)| *c == '每')
        .find_map(|(at, _)| per_phrase(&head[at..]))
        .map(|(whom, _)| Text::from(whom))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// measure, quantity, unit, per, period, condition
    type Expected = (
        &'static str,
        f64,
        &'static str,
        Option<&'static str>,
        Option<Period>,
        Option<&'static str>,
    );

    #[test]
    fn reads_explicit_bounds_and_leaves_prose_alone() {
        let cases: Vec<(&str, Vec<Expected>)> = vec![
            (
                "提供不少于15套广播节目;在直播卫星公共服务覆盖地区,提供不少于17套广播节目。",
                vec![
                    ("广播节目", 15.0, "套", None, None, None),
                    (
                        "广播节目",
                        17.0,
                        "套",
                        None,
                        None,
                        Some("直播卫星公共服务覆盖地区"),
                    ),
                ],
            ),
            (
                "县级以上地方人民政府每年至少组织2次退役军人专场招聘活动。适应性培训按照规定执行。",
                vec![(
                    "退役军人专场招聘活动",
                    2.0,
                    "次",
                    None,
                    Some(Period::Year),
                    None,
                )],
            ),
            // The measure written before the bound (Fujian's broadcasting provision).
            (
                "每个行政村每年安排农村广播运行维护费不低于2000元",
                vec![(
                    "农村广播运行维护费",
                    2000.0,
                    "元",
                    Some("行政村"),
                    Some(Period::Year),
                    None,
                )],
            ),
            (
                "运行维护费不低于2000元",
                vec![("运行维护费", 2000.0, "元", None, None, None)],
            ),
            (
                "每人每月发放护理补贴不低于300元。",
                vec![(
                    "护理补贴",
                    300.0,
                    "元",
                    Some("人"),
                    Some(Period::Month),
                    None,
                )],
            ),
            (
                "重庆市电视台每周播出不少于1次的电视手语新闻节目;区县电视台开设手语节目。",
                vec![(
                    "电视手语新闻节目",
                    1.0,
                    "次",
                    None,
                    Some(Period::Week),
                    None,
                )],
            ),
            ("按照《军人抚恤优待条例》及国家有关规定执行。", vec![]),
            ("不少于。", vec![]),
            // Nothing names what is measured: no level rather than a guess.
            ("不低于2000元。", vec![]),
            ("每年不低于2000元。", vec![]),
        ];
        for (text, expected) in cases {
            let got: Vec<_> = extract_levels(text)
                .into_iter()
                .map(|l| {
                    (
                        l.measure.to_string(),
                        l.quantity,
                        l.unit.to_string(),
                        l.per.map(String::from),
                        l.period,
                        l.condition.map(String::from),
                    )
                })
                .collect();
            let expected: Vec<_> = expected
                .into_iter()
                .map(|(m, q, u, per, p, c)| {
                    (
                        m.to_owned(),
                        q,
                        u.to_owned(),
                        per.map(str::to_owned),
                        p,
                        c.map(str::to_owned),
                    )
                })
                .collect();
            assert_eq!(got, expected, "{text}");
        }
    }
}
