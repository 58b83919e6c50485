//! Official layouts beyond what `export-table` writes: merged cells, title
//! rows above the header, columns in another order.
#![allow(clippy::unwrap_used)]

use rust_xlsxwriter::{Format as CellFormat, Workbook};
use table::{Format, read_table};

/// A workbook as an office might keep it: a title merged above the header,
/// aspect and category rows merged across, 支出责任 and 牵头负责单位 merged
/// down the two items of the category, 序号 running from 5.
fn workbook() -> Vec<u8> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let plain = CellFormat::new();
    let header = [
        "序号",
        "服务项目",
        "服务对象",
        "服务内容",
        "服务标准",
        "支出责任",
        "牵头负责单位",
    ];
    sheet
        .merge_range(0, 0, 0, 6, "国家基本公共服务标准（2021年版）", &plain)
        .unwrap();
    for (column, text) in header.iter().enumerate() {
        sheet.write_string(1, column as u16, *text).unwrap();
    }
    sheet
        .merge_range(2, 0, 2, 6, "一、幼有所育", &plain)
        .unwrap();
    sheet
        .merge_range(3, 0, 3, 6, "（一）优孕优生服务", &plain)
        .unwrap();
    sheet.write_number(4, 0, 1).unwrap();
    sheet
        .write_string(4, 1, "农村免费孕前优生健康检查")
        .unwrap();
    sheet.write_number(5, 0, 2).unwrap();
    sheet.write_string(5, 1, "孕产妇健康服务").unwrap();
    sheet
        .merge_range(4, 5, 5, 5, "中央财政和地方财政共同承担支出责任。", &plain)
        .unwrap();
    sheet
        .merge_range(4, 6, 5, 6, "国家卫生健康委", &plain)
        .unwrap();
    sheet
        .merge_range(6, 0, 6, 6, "（二）儿童健康服务", &plain)
        .unwrap();
    sheet.write_number(7, 0, 3).unwrap();
    sheet.write_string(7, 1, "新生儿访视").unwrap();
    workbook.save_to_buffer().unwrap()
}

type Row<'t> = (
    Option<u32>,
    Option<&'t str>,
    Option<&'t str>,
    Option<&'t str>,
);

#[test]
fn merged_cells_apply_to_every_row_they_span() {
    let table = read_table("t.xlsx", &workbook(), Format::Xlsx).unwrap();
    assert_eq!(table.aspects.len(), 1);
    let names: Vec<&str> = table.aspects[0]
        .categories
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["优孕优生服务", "儿童健康服务"]);
    // (序号, name, 支出责任, 牵头负责单位)
    let items: Vec<Row> = table
        .items()
        .map(|(_, i)| {
            (
                i.number,
                i.name.as_deref(),
                i.expenditure_responsibility.as_deref(),
                i.lead_units.as_deref(),
            )
        })
        .collect();
    let shared = Some("中央财政和地方财政共同承担支出责任。");
    assert_eq!(
        items,
        [
            (
                Some(1),
                Some("农村免费孕前优生健康检查"),
                shared,
                Some("国家卫生健康委")
            ),
            (
                Some(2),
                Some("孕产妇健康服务"),
                shared,
                Some("国家卫生健康委")
            ),
            // 序号 ran on: the third row is the first of its category.
            (Some(1), Some("新生儿访视"), None, None),
        ]
    );
    assert!(table.running_numbers);
}

#[test]
fn columns_are_found_by_their_headers_in_any_order() {
    let csv = "标题：某省基本公共服务实施标准\n\
               服务 项目,序号,牵头负责部门,服务对象,服务内容,服务标准,支出责任\n\
               一、幼有所育\n\
               （一）优孕优生服务\n\
               农村免费孕前优生健康检查,1,省卫生健康委,农村计划怀孕夫妇。,,,\n";
    let table = read_table("t.csv", csv.as_bytes(), Format::Csv).unwrap();
    let (_, item) = table.items().next().unwrap();
    assert_eq!(item.row, 5);
    assert_eq!(item.number, Some(1));
    assert_eq!(item.name.as_deref(), Some("农村免费孕前优生健康检查"));
    assert_eq!(item.lead_units.as_deref(), Some("省卫生健康委"));
    assert_eq!(item.service_target.as_deref(), Some("农村计划怀孕夫妇。"));
}
