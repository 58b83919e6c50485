//! Standards in the layout their documents are published in: a table of
//! 序号 | 服务项目 | 服务对象 | 服务内容 | 服务标准 | 支出责任 | 牵头负责单位, with aspect
//! rows (一、幼有所育) and category rows (（一）优孕优生服务) between the items
//! (docs/import-format.md, "Tables").
//!
//! Reading goes bytes → rows ([`read`]) → a [`Table`] of headings and items
//! ([`layout`]) → a whole standard in the import representation, its rows
//! mapped to the items of the edition on record ([`map`]). Writing goes from
//! the read model's edition view back to bytes ([`write`]). Nothing here opens
//! a file or a store: the caller hands in bytes and views.

pub mod layout;
pub mod map;
pub mod normal;
pub mod read;
pub mod write;

pub use layout::{Table, TableAspect, TableCategory, TableItem};
pub use map::{Mapping, whole_standard};
pub use read::read_table;
pub use write::write_table;

/// Largest table file read: an official table of 81 items is well under 1 MiB
/// as CSV and as XLSX.
pub const TABLE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Most rows read from one table (headings and items together).
pub const TABLE_ROWS_MAX: usize = 20_000;

/// Most cells read from one row.
pub const TABLE_COLUMNS_MAX: usize = 64;

/// Most row problems listed in one error; the rest are counted.
pub const PROBLEMS_LISTED_MAX: usize = 20;

/// The file formats of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The format a file name's extension names (`.csv`, `.xlsx`), if any.
    pub fn of_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(Format::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(Format::Xlsx)
        } else {
            None
        }
    }

    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// What is wrong with one row of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// 1-based, as a spreadsheet numbers rows.
    pub row: usize,
    /// The column's header, when the problem is in one cell.
    pub column: Option<&'static str>,
    pub message: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(column) => write!(f, "row {}, column {column}: {}", self.row, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

fn list_problems(problems: &[RowProblem]) -> String {
    let mut out: Vec<String> = problems
        .iter()
        .take(PROBLEMS_LISTED_MAX)
        .map(|p| format!("\n  {p}"))
        .collect();
    if problems.len() > PROBLEMS_LISTED_MAX {
        out.push(format!(
            "\n  … and {} more",
            problems.len() - PROBLEMS_LISTED_MAX
        ));
    }
    out.concat()
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The file is larger than [`TABLE_BYTES_MAX`].
    #[error(
        "{source_name}: the file has {size} bytes, more than the {TABLE_BYTES_MAX} a table may have; an official table is well under 1 MiB: check that this is the table, or split it"
    )]
    TooLarge { source_name: String, size: u64 },
    /// The file holds nothing, or no item.
    #[error("{source_name}: {what}")]
    Empty {
        source_name: String,
        what: &'static str,
    },
    /// A CSV that is neither UTF-8 (with or without BOM), UTF-16 with BOM, nor GB18030.
    #[error(
        "{source_name}: the text is neither UTF-8 nor GB18030 (bad byte at offset {offset}); save the table as \"CSV UTF-8\", or convert it with `iconv -f GB18030 -t UTF-8 FILE`"
    )]
    Encoding { source_name: String, offset: usize },
    /// The CSV cannot be split into rows.
    #[error("{source_name}: row {row}: {message}")]
    Csv {
        source_name: String,
        row: usize,
        message: String,
    },
    /// The workbook cannot be read.
    #[error(
        "{source_name}: cannot read the workbook ({message}); save it as .xlsx (Excel 2007 or later), or as CSV"
    )]
    Workbook {
        source_name: String,
        message: String,
    },
    #[error(
        "{source_name}: more than {TABLE_ROWS_MAX} rows or {TABLE_COLUMNS_MAX} columns; a standard's table has about a hundred rows and seven columns"
    )]
    TooManyRows { source_name: String },
    /// No row within the first rows names the columns.
    #[error(
        "{source_name}: no header row in the first {looked} rows: a table starts with a row naming its columns 序号 | 服务项目 | 服务对象 | 服务内容 | 服务标准 | 支出责任 | 牵头负责单位"
    )]
    NoHeader { source_name: String, looked: usize },
    /// The header row lacks a required column.
    #[error(
        "{source_name}: row {row}: the header has no column {column}; a table has the columns 序号 | 服务项目 | 服务对象 | 服务内容 | 服务标准 | 支出责任 | 牵头负责单位 (any order)"
    )]
    MissingColumn {
        source_name: String,
        row: usize,
        column: &'static str,
    },
    /// Rows that cannot be read or mapped; nothing is guessed.
    #[error("{source_name}: {} row(s) cannot be read or mapped to items:{}", problems.len(), list_problems(problems))]
    Rows {
        source_name: String,
        problems: Vec<RowProblem>,
    },
    /// The table cannot be written.
    #[error("cannot write the table: {0}")]
    Write(String),
}
