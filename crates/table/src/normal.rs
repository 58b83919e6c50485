//! Comparing texts as printed in different copies, and the numerals of headings.

/// A text as compared when an exact match fails: full-width ASCII forms as
/// half-width (（ → (, ， → ,), Chinese brackets and quotes as ASCII ones, and
/// no whitespace at all. Official copies differ in exactly these.
pub fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '〔' | '【' => '[',
            '〕' | '】' => ']',
            '“' | '”' => '"',
            '‘' | '’' => '\'',
            '〈' | '《' => '<',
            '〉' | '》' => '>',
            other => other,
        })
        .filter(|c| !c.is_whitespace())
        .collect()
}

const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/// The value of a Chinese numeral from 一 to 九十九, or of ASCII digits.
pub fn parse_numeral(text: &str) -> Option<u32> {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse().ok().filter(|n| *n > 0);
    }
    let digit = |c: char| DIGITS.iter().position(|d| *d == c).map(|d| d as u32);
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        [one] if *one == '十' => Some(10),
        [one] => digit(*one).filter(|d| *d > 0),
        ['十', one] => digit(*one).filter(|d| *d > 0).map(|d| 10 + d),
        [tens, '十'] => digit(*tens).filter(|d| *d > 1).map(|d| d * 10),
        [tens, '十', one] => {
            let tens = digit(*tens).filter(|d| *d > 1)?;
            digit(*one).filter(|d| *d > 0).map(|d| tens * 10 + d)
        }
        _ => None,
    }
}

/// A number from 1 to 99 as a Chinese numeral; larger numbers in ASCII digits.
pub fn numeral(n: u32) -> String {
    let d = |n: u32| DIGITS[n as usize];
    match n {
        1..=9 => d(n).to_string(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", d(n - 10)),
        20..=99 if n.is_multiple_of(10) => format!("{}十", d(n / 10)),
        20..=99 => format!("{}十{}", d(n / 10), d(n % 10)),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals_round_trip_from_one_to_ninety_nine() {
        for n in 1..=99 {
            assert_eq!(parse_numeral(&numeral(n)), Some(n), "{n}");
        }
        for bad in ["", "〇", "十十", "一十", "二十〇", "零", "1a", "0"] {
            assert_eq!(parse_numeral(bad), None, "{bad}");
        }
    }

    #[test]
    fn normalising_ignores_width_brackets_and_spaces() {
        let cases = [
            ("（一）优孕优生服务", "(一)优孕优生服务"),
            ("发改社会〔2021〕443号", "发改社会[2021]443号"),
            (" 城乡居民，含 流动人口。", "城乡居民,含流动人口。"),
            ("《军人抚恤优待条例》", "<军人抚恤优待条例>"),
        ];
        for (text, expected) in cases {
            assert_eq!(normalise(text), expected, "{text}");
        }
    }
}
