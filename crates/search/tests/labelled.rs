//! The labelled query set: queries written from the bundled national data and
//! local examples, each with the items (or item versions) a reader expects.
//! Runs every tokenizer compared and prints recall and precision per tokenizer;
//! the one the index uses must find exactly what is expected.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use common::{bundled, date, recorded_at};
use domain::ids::{AspectId, CategoryId, Jurisdiction};
use search::analyzer::{Analyzer, Grams, Matching, Term, is_han, is_word_char};
use search::{Field, Filter, Query, Request, Scope, SearchIndex, When};
use timeline::Timeline;

/// A dictionary segmenter (jieba, search mode: long words also give their sub-words).
#[derive(Debug)]
struct Jieba(jieba_rs::Jieba);

impl Analyzer for Jieba {
    fn name(&self) -> &'static str {
        "jieba (search mode)"
    }
    fn index_terms(&self, text: &str, out: &mut Vec<Term>) {
        for token in self.0.cut_for_search(text, true) {
            let word = token.word;
            if word.chars().any(|c| is_han(c) || is_word_char(c)) {
                out.push(Term::Word(word.to_lowercase().into_boxed_str()));
            }
        }
    }
    fn query_terms(&self, term: &str, out: &mut Vec<Term>) {
        self.index_terms(term, out);
    }
    fn matching(&self) -> Matching {
        Matching::Terms
    }
}

/// Single characters, matched as a bag (no order, no adjacency).
#[derive(Debug)]
struct Unigrams;

impl Analyzer for Unigrams {
    fn name(&self) -> &'static str {
        "single characters"
    }
    fn index_terms(&self, text: &str, out: &mut Vec<Term>) {
        let mut grams = Vec::new();
        Grams.index_terms(text, &mut grams);
        out.extend(grams.into_iter().filter(|t| match t {
            Term::Gram(g) => *g < (1 << 42),
            Term::Word(_) => true,
        }));
    }
    fn query_terms(&self, term: &str, out: &mut Vec<Term>) {
        self.index_terms(term, out);
    }
    fn matching(&self) -> Matching {
        Matching::Terms
    }
}

/// The index's grams without checking the text: every gram of the term present, anywhere.
#[derive(Debug)]
struct GramsUnchecked;

impl Analyzer for GramsUnchecked {
    fn name(&self) -> &'static str {
        "1- and 2-grams, text not checked"
    }
    fn index_terms(&self, text: &str, out: &mut Vec<Term>) {
        Grams.index_terms(text, out);
    }
    fn query_terms(&self, term: &str, out: &mut Vec<Term>) {
        Grams.query_terms(term, out);
    }
    fn matching(&self) -> Matching {
        Matching::Terms
    }
}

struct Case {
    query: &'static str,
    when: When,
    filter: Filter,
    /// `J/item` at a point; `J/item@valid_from` with history.
    expected: &'static [&'static str],
}

fn at(day: &str) -> When {
    When::At {
        valid_at: date(day),
        known_at: None,
    }
}

fn history() -> When {
    When::History { known_at: None }
}

/// Between the record of the 2023 national edition and of the first local example.
fn before_local() -> DateTime<Utc> {
    recorded_at(1) + Duration::minutes(30)
}

fn everywhere() -> Filter {
    within("CN", Scope::WithLocalities)
}

fn within(code: &str, scope: Scope) -> Filter {
    Filter {
        jurisdiction: Some((Jurisdiction::parse(code).expect("code"), scope)),
        ..Filter::default()
    }
}

fn cases() -> Vec<Case> {
    let all = Filter::default;
    let case = |query, when, filter, expected| Case {
        query,
        when,
        filter,
        expected,
    };
    let late = "2024-12-31";
    vec![
        case("叶酸", at("2023-08-08"), all(), &[]),
        case(
            "叶酸",
            at("2023-08-09"),
            all(),
            &["CN/folic-acid-ntd-prevention"],
        ),
        case(
            "叶酸",
            history(),
            all(),
            &["CN/folic-acid-ntd-prevention@2023-08-09"],
        ),
        case(
            "叶酸",
            When::At {
                valid_at: date("2024-01-01"),
                known_at: Some(recorded_at(0)),
            },
            all(),
            &[],
        ),
        case(
            "叶酸",
            When::At {
                valid_at: date("2024-01-01"),
                known_at: Some(before_local()),
            },
            all(),
            &["CN/folic-acid-ntd-prevention"],
        ),
        case(
            "广播",
            at(late),
            everywhere(),
            &[
                "CN/radio-listening",
                "310000/tv-watching",
                "350000/radio-listening",
                "500000/radio-listening",
            ],
        ),
        case(
            "广播",
            at("2022-06-01"),
            all(),
            &[
                "CN/radio-listening",
                "310000/tv-watching",
                "350000/radio-listening",
            ],
        ),
        case(
            "广播",
            at(late),
            within("CN", Scope::Only),
            &["CN/radio-listening"],
        ),
        case(
            "广播",
            When::At {
                valid_at: date(late),
                known_at: Some(before_local()),
            },
            everywhere(),
            &["CN/radio-listening"],
        ),
        case(
            "广播",
            history(),
            everywhere(),
            &[
                "CN/radio-listening@2021-03-30",
                "CN/radio-listening@2023-08-09",
                "310000/tv-watching@2022-01-06",
                "350000/radio-listening@2022-01-06",
                "500000/radio-listening@2024-07-03",
            ],
        ),
        case("营养膳食", at("2022-06-01"), all(), &[]),
        case(
            "营养膳食",
            at(late),
            all(),
            &["CN/rural-compulsory-edu-meal-subsidy"],
        ),
        case(
            "膳食",
            at(late),
            all(),
            &["CN/rural-compulsory-edu-meal-subsidy"],
        ),
        case(
            "危房",
            at(late),
            all(),
            &["CN/rural-dilapidated-housing-renovation"],
        ),
        case("健身", at(late), all(), &["CN/fitness-for-all-service"]),
        case(
            "孕",
            at(late),
            all(),
            &[
                "CN/maternal-health-service",
                "CN/rural-free-preconception-checkup",
            ],
        ),
        case(
            "儿童",
            at(late),
            all(),
            &[
                "CN/rural-left-behind-children-care",
                "CN/special-children-basic-living",
            ],
        ),
        case(
            "手语",
            at(late),
            all(),
            &[
                "CN/disabled-culture-sports",
                "500000/disabled-culture-sports",
            ],
        ),
        case(
            "电视",
            at(late),
            all(),
            &[
                "CN/tv-watching",
                "CN/disabled-culture-sports",
                "310000/tv-watching",
                "500000/tv-watching",
                "500000/disabled-culture-sports",
            ],
        ),
        case(
            "广播 OR 手语",
            at(late),
            all(),
            &[
                "CN/radio-listening",
                "CN/disabled-culture-sports",
                "310000/tv-watching",
                "350000/radio-listening",
                "500000/radio-listening",
                "500000/disabled-culture-sports",
            ],
        ),
        case(
            "电视 -广播",
            at(late),
            all(),
            &[
                "CN/tv-watching",
                "CN/disabled-culture-sports",
                "500000/tv-watching",
                "500000/disabled-culture-sports",
            ],
        ),
        case(
            "卫星 AND 电视",
            at(late),
            all(),
            &["CN/tv-watching", "500000/tv-watching"],
        ),
        case("\"直播卫星\"", at("2022-06-01"), all(), &[]),
        case(
            "\"直播卫星\"",
            at(late),
            all(),
            &[
                "CN/radio-listening",
                "CN/tv-watching",
                "500000/radio-listening",
                "500000/tv-watching",
            ],
        ),
        case(
            "军人",
            at(late),
            within("310000", Scope::Only),
            &[
                "310000/preferential-treatment-pensions",
                "310000/special-groups-centralized-support",
                "310000/veteran-employment-entrepreneurship",
                "310000/veteran-resettlement",
            ],
        ),
        case("军人", at("2023-01-01"), within("310000", Scope::Only), &[]),
        case(
            "退役",
            at(late),
            Filter {
                fields: vec![Field::LeadUnits],
                ..everywhere()
            },
            &[
                "CN/preferential-treatment-pensions",
                "CN/veteran-employment-entrepreneurship",
                "CN/veteran-resettlement",
                "310000/preferential-treatment-pensions",
                "310000/special-groups-centralized-support",
                "310000/veteran-employment-entrepreneurship",
                "310000/veteran-resettlement",
            ],
        ),
        case(
            "每人每月",
            at(late),
            all(),
            &["310000/disability-living-and-care-subsidies"],
        ),
        case(
            "410元",
            at(late),
            all(),
            &["310000/disability-living-and-care-subsidies"],
        ),
        case(
            "残疾",
            at(late),
            Filter {
                category: Some(CategoryId::parse("C20").expect("id")),
                ..all()
            },
            &["CN/preferential-treatment-pensions"],
        ),
        case(
            "体育",
            at(late),
            Filter {
                aspect: Some(AspectId::parse("WTFW").expect("id")),
                ..all()
            },
            &["CN/public-sports-facility-opening"],
        ),
        case(
            "健康",
            at(late),
            Filter {
                aspect: Some(AspectId::parse("YYSY").expect("id")),
                ..all()
            },
            &[
                "CN/maternal-health-service",
                "CN/rural-free-preconception-checkup",
            ],
        ),
        case("folic", at(late), all(), &["CN/folic-acid-ntd-prevention"]),
        case(
            "\"Neural Tube\"",
            at(late),
            all(),
            &["CN/folic-acid-ntd-prevention"],
        ),
        case("Radio", at(late), all(), &["CN/radio-listening"]),
        case(
            "veterans",
            at(late),
            all(),
            &[
                "CN/special-groups-centralized-support",
                "CN/veteran-employment-entrepreneurship",
                "CN/veteran-resettlement",
            ],
        ),
        case("盲文", at("2023-08-08"), all(), &[]),
        case(
            "盲文",
            history(),
            all(),
            &["CN/disabled-culture-sports@2023-08-09"],
        ),
        case(
            "城乡居民",
            at(late),
            all(),
            &[
                "CN/radio-listening",
                "CN/tv-watching",
                "500000/radio-listening",
                "500000/tv-watching",
            ],
        ),
        case(
            "抚恤",
            at(late),
            all(),
            &[
                "CN/preferential-treatment-pensions",
                "310000/preferential-treatment-pensions",
                "310000/special-groups-centralized-support",
            ],
        ),
        case(
            "补贴",
            history(),
            all(),
            &[
                "CN/elderly-welfare-subsidy@2021-03-30",
                "310000/disability-living-and-care-subsidies@2022-01-06",
            ],
        ),
        case(
            "广电总局",
            at(late),
            all(),
            &[
                "CN/disabled-culture-sports",
                "CN/radio-listening",
                "CN/tv-watching",
            ],
        ),
        case(
            "招聘 AND 2次",
            at(late),
            all(),
            &[
                "CN/veteran-employment-entrepreneurship",
                "310000/veteran-employment-entrepreneurship",
            ],
        ),
        case(
            "(广播 OR 电视) 城乡居民",
            at(late),
            all(),
            &[
                "CN/radio-listening",
                "CN/tv-watching",
                "500000/radio-listening",
                "500000/tv-watching",
            ],
        ),
        case("民族", at(late), all(), &["CN/ethnic-minority-culture"]),
        case(
            "电视节目",
            at(late),
            all(),
            &["CN/tv-watching", "310000/tv-watching", "500000/tv-watching"],
        ),
        case("广播电视节目", at(late), all(), &[]),
        case(
            "手语节目",
            at(late),
            all(),
            &[
                "CN/disabled-culture-sports",
                "500000/disabled-culture-sports",
            ],
        ),
        case(
            "孕前",
            at(late),
            all(),
            &["CN/rural-free-preconception-checkup"],
        ),
        case("产妇", at(late), all(), &["CN/maternal-health-service"]),
        case("神经管", at(late), all(), &["CN/folic-acid-ntd-prevention"]),
        case(
            "遗属",
            at(late),
            all(),
            &["CN/preferential-treatment-pensions"],
        ),
        case(
            "军人家属",
            at(late),
            all(),
            &["CN/preferential-treatment-pensions"],
        ),
        case(
            "优抚",
            at(late),
            all(),
            &[
                "310000/preferential-treatment-pensions",
                "310000/special-groups-centralized-support",
            ],
        ),
        case(
            "护理补贴",
            at(late),
            all(),
            &["310000/disability-living-and-care-subsidies"],
        ),
        case(
            "重残",
            at(late),
            all(),
            &["310000/disability-living-and-care-subsidies"],
        ),
        case(
            "应急广播",
            at(late),
            all(),
            &["CN/radio-listening", "500000/radio-listening"],
        ),
        case(
            "自主择业",
            at(late),
            all(),
            &["CN/veteran-resettlement", "310000/veteran-resettlement"],
        ),
        case(
            "义务兵",
            at(late),
            all(),
            &[
                "310000/preferential-treatment-pensions",
                "310000/veteran-resettlement",
            ],
        ),
        case("1次", at(late), all(), &["500000/disabled-culture-sports"]),
        case("50套", at(late), all(), &["310000/tv-watching"]),
    ]
}

/// Every hit of a case, page after page.
fn run(index: &SearchIndex, timeline: &Timeline, case: &Case) -> BTreeSet<String> {
    let query = Query::parse(case.query).unwrap_or_else(|e| panic!("{}: {e}", case.query));
    let mut found = BTreeSet::new();
    let mut after = None;
    for _ in 0..100 {
        let request = Request {
            query: &query,
            filter: &case.filter,
            when: case.when,
            first: 3,
            after,
        };
        let page = index
            .search(timeline, &request)
            .unwrap_or_else(|e| panic!("{}: {e}", case.query));
        for hit in &page.hits {
            let key = format!("{}/{}", hit.jurisdiction, hit.item.id);
            let key = match case.when {
                When::History { .. } => format!("{key}@{}", hit.valid_from),
                When::At { .. } => key,
            };
            assert!(found.insert(key), "{}: a hit came twice", case.query);
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return found,
        }
    }
    panic!("{}: more than 100 pages", case.query);
}

#[test]
fn labelled_queries_recall_and_precision() {
    let mut indexes = vec![
        SearchIndex::new(Box::new(Grams)),
        SearchIndex::new(Box::new(GramsUnchecked)),
        SearchIndex::new(Box::new(Jieba(jieba_rs::Jieba::new()))),
        SearchIndex::new(Box::new(Unigrams)),
    ];
    let timeline = bundled(&mut indexes);
    let cases = cases();
    assert!(
        cases.len() >= 30,
        "the labelled set has {} queries",
        cases.len()
    );
    println!("{} labelled queries", cases.len());
    println!("| tokenizer | recall | precision | queries answered exactly |");
    println!("|---|---|---|---|");
    for (n, index) in indexes.iter().enumerate() {
        let (mut expected, mut returned, mut right, mut exact) = (0, 0, 0, 0);
        let mut misses = Vec::new();
        for case in &cases {
            let want: BTreeSet<String> = case.expected.iter().map(|s| s.to_string()).collect();
            let got = run(index, &timeline, case);
            expected += want.len();
            returned += got.len();
            right += want.intersection(&got).count();
            if want == got {
                exact += 1;
            } else {
                misses.push(format!(
                    "  {}: missed {:?}, wrongly found {:?}",
                    case.query,
                    want.difference(&got).collect::<Vec<_>>(),
                    got.difference(&want).collect::<Vec<_>>()
                ));
            }
        }
        let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        println!(
            "| {} | {:.3} ({right}/{expected}) | {:.3} ({right}/{returned}) | {exact}/{} |",
            index.analyzer().name(),
            ratio(right, expected),
            ratio(right, returned),
            cases.len()
        );
        for miss in &misses {
            println!("{miss}");
        }
        if n == 0 {
            assert!(
                misses.is_empty(),
                "the index's tokenizer got queries wrong:\n{}",
                misses.join("\n")
            );
        }
    }
}
