//! Fuzzing of the domain's input readers on stable Rust: the level reader and
//! the date parser take any text without panicking. Proptest's budget (256
//! cases each) runs in CI; `PROPTEST_CASES=100000` runs the longer campaign.

use domain::input::{YEAR_MAX, YEAR_MIN, parse_date, quote};
use domain::levels::extract_levels;
use proptest::prelude::*;

/// Text shaped like the service standards the level reader is made for:
/// numbers, units, periods and comparators among other characters.
fn standard_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("不低于".to_owned()),
        Just("不少于".to_owned()),
        Just("不超过".to_owned()),
        Just("每人每月".to_owned()),
        Just("每年".to_owned()),
        Just("元".to_owned()),
        Just("小时".to_owned()),
        Just("%".to_owned()),
        Just("，".to_owned()),
        Just("。".to_owned()),
        "[0-9]{1,25}(\\.[0-9]{0,6})?",
        "[一二三四五六七八九十百千万亿]{1,6}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

proptest! {
    #[test]
    fn the_level_reader_takes_any_text(text in standard_like()) {
        for level in extract_levels(&text) {
            prop_assert!(level.quantity.is_finite(), "{text}: {level:?}");
        }
    }

    #[test]
    fn the_level_reader_takes_arbitrary_strings(text in any::<String>()) {
        let _ = extract_levels(&text);
    }

    #[test]
    fn dates_are_read_exactly_or_refused(text in "[-+ 0-9]{0,12}|.{0,16}") {
        match parse_date(&text) {
            Ok(date) => {
                prop_assert_eq!(date.format("%Y-%m-%d").to_string(), text.clone());
                let year: i32 = text[..4].parse().unwrap_or_default();
                prop_assert!((YEAR_MIN..=YEAR_MAX).contains(&year));
            }
            Err(error) => prop_assert!(error.to_string().len() < 600),
        }
    }

    #[test]
    fn quotes_stay_short(text in any::<String>(), repeat in 0usize..2_000) {
        let long = text.repeat(repeat.min(64));
        prop_assert!(quote(&long).chars().count() <= domain::input::QUOTE_CHARS_MAX + 40);
    }
}
