//! An edition of the read model → a table in the official layout, which
//! [`crate::read_table`] reads back to the same standard.

use domain::model::Known;
use domain::text::Text;
use registry::view::{EditionView, ItemView};
use rust_xlsxwriter::{Format as CellFormat, FormatAlign, Workbook};

use crate::layout::{
    EXPENDITURE, ITEM_ID, LEAD_UNITS, NAME, NATIONAL_ITEM, NUMBER, SERVICE_CONTENT,
    SERVICE_STANDARD, SERVICE_TARGET, UNPLACED,
};
use crate::map::join_units;
use crate::normal::numeral;
use crate::{Format, TableError};

/// One row of the written table.
enum Line {
    Header(Vec<&'static str>),
    /// Aspect, category and 未归类 rows: one text across the row.
    Heading(String),
    Item(Vec<String>),
}

/// The edition as a table: a header, then per aspect its heading row, per
/// category its heading row and items, then the items no category holds
/// (after a 未归类 row when the standard has categories). A field not on
/// record is an empty cell. 项目标识 carries each item's id, 国家项目标识 the
/// national item of a local one (only when some item has one).
pub fn write_table(edition: &EditionView, format: Format) -> Result<Vec<u8>, TableError> {
    let lines = lines(edition);
    match format {
        Format::Csv => csv(&lines),
        Format::Xlsx => xlsx(&lines),
    }
}

fn lines(edition: &EditionView) -> Vec<Line> {
    let national = edition.items().any(|i| i.item.national_item.is_some());
    let mut header = vec![
        NUMBER,
        NAME,
        SERVICE_TARGET,
        SERVICE_CONTENT,
        SERVICE_STANDARD,
        EXPENDITURE,
        LEAD_UNITS,
        ITEM_ID,
    ];
    if national {
        header.push(NATIONAL_ITEM);
    }
    let mut lines = vec![Line::Header(header)];
    for (index, aspect) in edition.aspects.iter().enumerate() {
        lines.push(Line::Heading(format!(
            "{}、{}",
            numeral(index as u32 + 1),
            aspect.name
        )));
        for category in &aspect.categories {
            lines.push(Line::Heading(format!(
                "（{}）{}",
                numeral(category.number),
                category.name
            )));
            lines.extend(category.items.iter().map(|i| item_line(i, national)));
        }
    }
    if !edition.unplaced_items.is_empty() && !edition.aspects.is_empty() {
        lines.push(Line::Heading(UNPLACED.to_owned()));
    }
    lines.extend(
        edition
            .unplaced_items
            .iter()
            .map(|i| item_line(i, national)),
    );
    lines
}

fn item_line(view: &ItemView, national: bool) -> Line {
    let item = &view.item;
    let fields = &item.fields;
    let text = |value: &Known<Text>| value.as_known().map_or_else(String::new, |t| t.to_string());
    let mut cells = vec![
        item.placement
            .number
            .as_known()
            .map_or_else(String::new, u32::to_string),
        text(&item.name),
        text(&fields.service_target),
        text(&fields.service_content),
        fields
            .service_standard
            .as_known()
            .map_or_else(String::new, |s| s.text.to_string()),
        text(&fields.expenditure_responsibility),
        fields
            .lead_units
            .as_known()
            .map_or_else(String::new, |units| join_units(units)),
        item.id.to_string(),
    ];
    if national {
        cells.push(
            item.national_item
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
        );
    }
    Line::Item(cells)
}

fn write_error(e: impl std::fmt::Display) -> TableError {
    TableError::Write(e.to_string())
}

/// UTF-8 with a byte-order mark, which spreadsheet programs need to open it as UTF-8.
fn csv(lines: &[Line]) -> Result<Vec<u8>, TableError> {
    let mut out = "\u{FEFF}".as_bytes().to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        for line in lines {
            match line {
                Line::Header(cells) => writer.write_record(cells),
                Line::Heading(text) => writer.write_record([text.as_str()]),
                Line::Item(cells) => writer.write_record(cells),
            }
            .map_err(write_error)?;
        }
        writer.flush().map_err(write_error)?;
    }
    Ok(out)
}

fn xlsx(lines: &[Line]) -> Result<Vec<u8>, TableError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("标准").map_err(write_error)?;
    let bold = CellFormat::new().set_bold().set_text_wrap();
    let heading = CellFormat::new().set_bold().set_align(FormatAlign::Left);
    let wrap = CellFormat::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    let width = match lines.first() {
        Some(Line::Header(cells)) => cells.len() as u16,
        _ => 1,
    };
    for (column, chars) in [6.0, 20.0, 24.0, 36.0, 40.0, 24.0, 20.0, 24.0, 24.0]
        .iter()
        .enumerate()
        .take(width as usize)
    {
        sheet
            .set_column_width(column as u16, *chars)
            .map_err(write_error)?;
    }
    for (row, line) in lines.iter().enumerate() {
        let row = row as u32;
        match line {
            Line::Header(cells) => {
                for (column, text) in cells.iter().enumerate() {
                    sheet
                        .write_string_with_format(row, column as u16, *text, &bold)
                        .map_err(write_error)?;
                }
            }
            Line::Heading(text) => {
                sheet
                    .merge_range(row, 0, row, width - 1, text, &heading)
                    .map_err(write_error)?;
            }
            Line::Item(cells) => {
                for (column, text) in cells.iter().enumerate() {
                    if !text.is_empty() {
                        sheet
                            .write_string_with_format(row, column as u16, text, &wrap)
                            .map_err(write_error)?;
                    }
                }
            }
        }
    }
    workbook.save_to_buffer().map_err(write_error)
}
