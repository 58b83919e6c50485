//! Tables that cannot be read or mapped: each is refused with the row and
//! column at fault, and nothing is guessed.
#![allow(clippy::unwrap_used)]

mod common;

use common::{bundled, edition};
use table::{Format, Mapping, TABLE_BYTES_MAX, read_table, whole_standard};

const HEADER: &str = "序号,服务项目,服务对象,服务内容,服务标准,支出责任,牵头负责单位\n";

/// The 2021 edition's first aspect and category, as an official table prints them.
fn table(rows: &str) -> String {
    format!("{HEADER}一、幼有所育\n（一）优孕优生服务\n{rows}")
}

/// Reads `text` as CSV and maps it to the bundled 2021 edition; the error's message.
async fn refusal(bytes: &[u8]) -> Option<String> {
    let registry = bundled(false).await;
    let current = edition(&registry, "CN", "2021-06-01");
    let mapping = Mapping {
        current: Some(&current),
        national: None,
    };
    match read_table("t.csv", bytes, Format::Csv)
        .and_then(|table| whole_standard("t.csv", &table, &mapping))
    {
        Ok(_) => None,
        Err(e) => Some(e.to_string()),
    }
}

#[tokio::test]
async fn bad_tables_are_refused_naming_the_row_and_column() {
    let too_large = vec![b' '; TABLE_BYTES_MAX + 1];
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("empty file", Vec::new(), &["t.csv: the file is empty"]),
        (
            "header only",
            HEADER.as_bytes().to_vec(),
            &["no item row"],
        ),
        (
            "no header",
            "农村免费孕前优生健康检查,农村计划怀孕夫妇。\n".as_bytes().to_vec(),
            &["no header row"],
        ),
        (
            "missing column",
            "序号,服务项目,服务对象,服务内容,服务标准,牵头负责单位\n1,农村免费孕前优生健康检查,,,,\n"
                .as_bytes()
                .to_vec(),
            &["row 1: the header has no column 支出责任"],
        ),
        (
            "unknown category",
            format!("{HEADER}一、幼有所育\n（一）优孕优生服务务\n1,农村免费孕前优生健康检查,,,,,\n")
                .into_bytes(),
            &["row 3, column 序号: category '优孕优生服务务' is not a category"],
        ),
        (
            "unknown aspect",
            format!("{HEADER}一、幼有所养\n（一）优孕优生服务\n1,农村免费孕前优生健康检查,,,,,\n")
                .into_bytes(),
            &["row 2, column 序号: aspect '幼有所养' is not an aspect"],
        ),
        (
            "duplicate item",
            table("1,农村免费孕前优生健康检查,,,,,\n2,农村免费孕前优生健康检查,,,,,\n").into_bytes(),
            &["row 5, column 服务项目: duplicate item: row 4 already states item rural-free-preconception-checkup"],
        ),
        (
            "duplicate item by normalised name",
            table("1,农村免费孕前优生健康检查,,,,,\n2, 农村免费孕前 优生健康检查,,,,,\n").into_bytes(),
            &["row 5, column 服务项目: duplicate item"],
        ),
        (
            "a number that is no number",
            table("x,农村免费孕前优生健康检查,,,,,\n").into_bytes(),
            &["row 4, column 序号: 'x' is neither an item number nor a heading"],
        ),
        (
            "an item before its category",
            format!("{HEADER}一、幼有所育\n1,农村免费孕前优生健康检查,,,,,\n").into_bytes(),
            &["row 3: an item between an aspect heading and its first category heading"],
        ),
        (
            "a category before any aspect",
            format!("{HEADER}（一）优孕优生服务\n1,农村免费孕前优生健康检查,,,,,\n").into_bytes(),
            &["row 2, column 序号: a category heading before any aspect heading"],
        ),
        (
            "a renamed item is not guessed",
            format!(
                "{HEADER}八、优军服务保障\n（二十）优军优抚服务\n1,优待抚恤金发放,,,,,\n"
            )
            .into_bytes(),
            &["row 4, column 服务项目: '优待抚恤金发放' names no item on record, and its place holds item preferential-treatment-pensions"],
        ),
        (
            "a row with neither name nor id",
            table("1,,农村计划怀孕夫妇。,,,,\n").into_bytes(),
            &["row 4, column 服务项目: an item row needs a name"],
        ),
        (
            "an invalid id",
            "序号,服务项目,服务对象,服务内容,服务标准,支出责任,牵头负责单位,项目标识\n1,甲,,,,,,bad id!\n"
                .as_bytes()
                .to_vec(),
            &["row 2, column 项目标识:"],
        ),
        (
            "neither UTF-8 nor GB18030",
            [HEADER.as_bytes(), &[0x81, 0x20, 0xFF, 0xFF, b'\n']].concat(),
            &["neither UTF-8 nor GB18030", "iconv -f GB18030 -t UTF-8"],
        ),
        ("a 16 MiB file", too_large, &["has 16777217 bytes, more than the 16777216"]),
        (
            "several problems are listed together",
            table("x,农村免费孕前优生健康检查,,,,,\ny,孕产妇健康服务,,,,,\n").into_bytes(),
            &["2 row(s) cannot be read", "row 4, column 序号", "row 5, column 序号"],
        ),
    ];
    for (case, bytes, expected) in cases {
        let message = refusal(&bytes)
            .await
            .unwrap_or_else(|| panic!("{case}: accepted"));
        for needle in expected {
            assert!(message.contains(needle), "{case}: {message}");
        }
    }
}

#[tokio::test]
async fn a_table_saved_in_gb18030_reads_as_its_utf8_copy() {
    let text = table("1,农村免费孕前优生健康检查,农村计划怀孕夫妇。,,,,\n");
    let (gb18030, _, unmappable) = encoding_rs::GB18030.encode(&text);
    assert!(!unmappable);
    assert_ne!(gb18030.as_ref(), text.as_bytes());
    let with_bom = [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat();
    let utf8 = read_table("utf8.csv", text.as_bytes(), Format::Csv).unwrap();
    for bytes in [gb18030.as_ref(), &with_bom[..]] {
        assert_eq!(read_table("t.csv", bytes, Format::Csv).unwrap(), utf8);
    }
}

#[tokio::test]
async fn names_map_exactly_then_normalised_and_new_items_get_ids_by_their_name() {
    let registry = bundled(false).await;
    let current = edition(&registry, "CN", "2021-06-01");
    let mapping = Mapping {
        current: Some(&current),
        national: None,
    };
    let new = table::map::new_item_id("孕前优生咨询");
    // (row's name, the id it maps to)
    let cases = [
        (
            "农村免费孕前优生健康检查",
            "rural-free-preconception-checkup",
        ),
        (" 孕产妇 健康服务 ", "maternal-health-service"),
        ("孕前优生咨询", new.as_str()),
    ];
    let rows: String = cases
        .iter()
        .map(|(name, _)| format!(",{name},,,,,\n"))
        .collect();
    let read = read_table("t.csv", table(&rows).as_bytes(), Format::Csv).unwrap();
    let whole = whole_standard("t.csv", &read, &mapping).unwrap();
    let ids: Vec<&str> = whole.items.iter().map(|i| i.id.as_str()).collect();
    let expected: Vec<&str> = cases.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids, expected);
    assert!(expected[2].starts_with("item-") && expected[2].len() == "item-".len() + 12);
}

/// 序号 of two categories as printed, the numbers within categories read, and whether they ran on.
type Numbering = (
    &'static [&'static str],
    &'static [&'static str],
    Vec<Option<u32>>,
    bool,
);

#[test]
fn running_numbers_are_counted_within_categories() {
    let cases: [Numbering; 4] = [
        (
            &["1", "2"],
            &["3", "4"],
            vec![Some(1), Some(2), Some(1), Some(2)],
            true,
        ),
        (
            &["1", "2"],
            &["1", "2"],
            vec![Some(1), Some(2), Some(1), Some(2)],
            false,
        ),
        (
            &["1", ""],
            &["", "4"],
            vec![Some(1), None, None, Some(2)],
            true,
        ),
        (
            &["1", "2"],
            &["1", "3"],
            vec![Some(1), Some(2), Some(1), Some(3)],
            false,
        ),
    ];
    for (first, second, expected, running) in cases {
        let rows: String = [
            "一、幼有所育\n（一）优孕优生服务\n".to_owned(),
            first
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{n},甲{i},,,,,\n"))
                .collect(),
            "（二）儿童健康服务\n".to_owned(),
            second
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{n},乙{i},,,,,\n"))
                .collect(),
        ]
        .concat();
        let read = read_table("t.csv", format!("{HEADER}{rows}").as_bytes(), Format::Csv).unwrap();
        let numbers: Vec<Option<u32>> = read.items().map(|(_, i)| i.number).collect();
        assert_eq!(
            (numbers, read.running_numbers),
            (expected, running),
            "{first:?} {second:?}"
        );
    }
}

/// Two items of one name that the row's place does not tell apart: the row
/// is listed with both ids, never mapped to one of them.
#[tokio::test]
async fn a_name_that_several_items_bear_is_not_guessed() {
    use domain::command::WholeStandard;
    use domain::ids::ItemId;
    use domain::model::{ItemFields, ItemSpec, Known, Placement};

    let registry = bundled(false).await;
    let twin = |id: &str| ItemSpec {
        id: ItemId::parse(id).unwrap(),
        placement: Placement {
            category: Known::Unknown,
            number: Known::Unknown,
        },
        name: Known::Known("高龄津贴".into()),
        name_en: Known::Unknown,
        fields: ItemFields::default(),
        national_item: None,
    };
    let whole = WholeStandard {
        items: vec![twin("allowance-80"), twin("allowance-90")],
        ..WholeStandard::default()
    };
    let national = registry::bundled::REVISION_2021;
    let local = common::restatement(
        "beijing-2022",
        "110000",
        "2022-01-01",
        Some(&domain::ids::RevisionId::parse(national).unwrap()),
        whole,
    );
    registry.publish(&local, "test", None).await.unwrap();
    let current = edition(&registry, "110000", "2022-06-01");
    let mapping = Mapping {
        current: Some(&current),
        national: None,
    };
    let cases = [
        (
            "by name alone",
            ",高龄津贴,,,,,\n",
            Some("allowance-80, allowance-90"),
        ),
        ("by its id", ",高龄津贴,,,,,,allowance-90\n", None),
    ];
    for (case, row, refused) in cases {
        let csv = format!(
            "序号,服务项目,服务对象,服务内容,服务标准,支出责任,牵头负责单位,项目标识\n{row}"
        );
        let read = read_table("t.csv", csv.as_bytes(), Format::Csv).unwrap();
        match (whole_standard("t.csv", &read, &mapping), refused) {
            (Err(e), Some(ids)) => {
                let message = e.to_string();
                assert!(
                    message.contains("row 2, column 服务项目: '高龄津贴' names several items"),
                    "{case}: {message}"
                );
                assert!(message.contains(ids), "{case}: {message}");
            }
            (Ok(whole), None) => assert_eq!(whole.items[0].id.as_str(), "allowance-90", "{case}"),
            (other, _) => panic!("{case}: {other:?}"),
        }
    }
}
