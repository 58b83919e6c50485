//! Bytes of a CSV or XLSX file → rows of cell texts, merged cells filled in.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use crate::layout::{Table, parse_rows};
use crate::{Format, TABLE_BYTES_MAX, TABLE_COLUMNS_MAX, TABLE_ROWS_MAX, TableError};

/// One row of the file: its 1-based number and its cells, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
}

/// Reads a table: the rows of the file, then its layout (headings, items).
/// `source_name` names the file in errors.
pub fn read_table(source_name: &str, bytes: &[u8], format: Format) -> Result<Table, TableError> {
    let rows = read_rows(source_name, bytes, format)?;
    parse_rows(source_name, &rows)
}

/// The rows of a file, with empty trailing cells kept (columns line up).
pub fn read_rows(source_name: &str, bytes: &[u8], format: Format) -> Result<Vec<Row>, TableError> {
    if bytes.len() > TABLE_BYTES_MAX {
        return Err(TableError::TooLarge {
            source_name: source_name.to_owned(),
            size: bytes.len() as u64,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(TableError::Empty {
            source_name: source_name.to_owned(),
            what: "the file is empty",
        });
    }
    match format {
        Format::Csv => csv_rows(source_name, &decode(source_name, bytes)?),
        Format::Xlsx => xlsx_rows(source_name, bytes),
    }
}

/// The text of a CSV file: UTF-8 (a BOM is dropped), UTF-16 with its BOM, or
/// else GB18030, the encoding Chinese editions of Excel save CSV in.
fn decode<'b>(source_name: &str, bytes: &'b [u8]) -> Result<Cow<'b, str>, TableError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, malformed) = encoding.decode_without_bom_handling(&bytes[bom..]);
        if !malformed {
            return Ok(text);
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(utf8) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or_else(|| TableError::Encoding {
                source_name: source_name.to_owned(),
                offset: utf8.valid_up_to(),
            }),
    }
}

fn too_many(source_name: &str) -> TableError {
    TableError::TooManyRows {
        source_name: source_name.to_owned(),
    }
}

fn csv_rows(source_name: &str, text: &str) -> Result<Vec<Row>, TableError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let number = index + 1;
        if number > TABLE_ROWS_MAX {
            return Err(too_many(source_name));
        }
        let record = record.map_err(|e| TableError::Csv {
            source_name: source_name.to_owned(),
            row: number,
            message: e.to_string(),
        })?;
        if record.len() > TABLE_COLUMNS_MAX {
            return Err(too_many(source_name));
        }
        rows.push(Row {
            number,
            cells: record.iter().map(|c| c.trim().to_owned()).collect(),
        });
    }
    Ok(rows)
}

fn cell_text(data: &Data) -> String {
    match data {
        // Excel stores 序号 as numbers: 3.0 is the printed "3".
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string().trim().to_owned(),
    }
}

/// The first sheet's rows, numbered as the spreadsheet numbers them; every
/// cell of a merged range holds the range's text.
fn xlsx_rows(source_name: &str, bytes: &[u8]) -> Result<Vec<Row>, TableError> {
    let unreadable = |e: calamine::XlsxError| TableError::Workbook {
        source_name: source_name.to_owned(),
        message: e.to_string(),
    };
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return Err(TableError::Empty {
            source_name: source_name.to_owned(),
            what: "the workbook has no sheet",
        });
    };
    let range = workbook.worksheet_range(&sheet).map_err(unreadable)?;
    let merged = workbook
        .merge_cells_by_sheet_name(&sheet)
        .map_err(unreadable)?;
    let Some((end_row, end_column)) = range.end() else {
        return Err(TableError::Empty {
            source_name: source_name.to_owned(),
            what: "the first sheet is empty",
        });
    };
    let (rows_count, columns_count) = (end_row as usize + 1, end_column as usize + 1);
    if rows_count > TABLE_ROWS_MAX || columns_count > TABLE_COLUMNS_MAX {
        return Err(too_many(source_name));
    }
    let mut grid: Vec<Vec<String>> = (0..rows_count)
        .map(|r| {
            (0..columns_count)
                .map(|c| {
                    range
                        .get_value((r as u32, c as u32))
                        .map(cell_text)
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    for region in merged {
        let (top, left) = (region.start.0 as usize, region.start.1 as usize);
        let Some(text) = grid.get(top).and_then(|r| r.get(left)).cloned() else {
            continue;
        };
        let bottom = (region.end.0 as usize).min(rows_count - 1);
        let right = (region.end.1 as usize).min(columns_count - 1);
        for row in grid.iter_mut().take(bottom + 1).skip(top) {
            for cell in row.iter_mut().take(right + 1).skip(left) {
                cell.clone_from(&text);
            }
        }
    }
    Ok(grid
        .into_iter()
        .enumerate()
        .map(|(index, cells)| Row {
            number: index + 1,
            cells,
        })
        .collect())
}
