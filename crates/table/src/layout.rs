//! Rows → the layout of an official table: the header, aspect and category
//! heading rows, and item rows with their five fields.

use crate::normal::{normalise, parse_numeral};
use crate::read::Row;
use crate::{RowProblem, TableError};

/// The columns of an official table, as their headers print them.
pub const NUMBER: &str = "序号";
pub const NAME: &str = "服务项目";
pub const SERVICE_TARGET: &str = "服务对象";
pub const SERVICE_CONTENT: &str = "服务内容";
pub const SERVICE_STANDARD: &str = "服务标准";
pub const EXPENDITURE: &str = "支出责任";
pub const LEAD_UNITS: &str = "牵头负责单位";
/// Optional: the registry's item id, which `stdreg export-table` writes so
/// that an item with no name on record still maps back to itself.
pub const ITEM_ID: &str = "项目标识";
/// Optional, local standards: the id of the national item an item implements.
pub const NATIONAL_ITEM: &str = "国家项目标识";

/// The heading of the rows of items that no category holds.
pub const UNPLACED: &str = "未归类";

/// Headers accepted for each required column besides its official one.
const COLUMNS: [(&str, &[&str]); 7] = [
    (NUMBER, &["编号"]),
    (NAME, &["服务项目名称", "项目名称"]),
    (SERVICE_TARGET, &[]),
    (SERVICE_CONTENT, &[]),
    (SERVICE_STANDARD, &[]),
    (EXPENDITURE, &["支出责任及分担方式"]),
    (
        LEAD_UNITS,
        &["牵头负责部门", "牵头单位", "责任单位", "牵头负责组织"],
    ),
];

/// Rows searched for the header (a title and a date line may come first).
const HEADER_ROWS_MAX: usize = 20;

/// A table read from a file: its headings and items, in the order printed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub aspects: Vec<TableAspect>,
    /// Items no category holds: those before the first heading, or after a
    /// 未归类 row.
    pub unplaced: Vec<TableItem>,
    /// Whether 序号 ran on across categories (1..N) rather than restarting in
    /// each; numbers within categories were counted from each category's first item.
    pub running_numbers: bool,
}

impl Table {
    /// Every item row, placed ones first, in table order.
    pub fn items(&self) -> impl Iterator<Item = (Option<&TableCategory>, &TableItem)> {
        self.aspects
            .iter()
            .flat_map(|a| &a.categories)
            .flat_map(|c| c.items.iter().map(move |i| (Some(c), i)))
            .chain(self.unplaced.iter().map(|i| (None, i)))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableAspect {
    pub row: usize,
    pub name: String,
    pub categories: Vec<TableCategory>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TableCategory {
    pub row: usize,
    pub name: String,
    pub items: Vec<TableItem>,
}

/// One item row; `None` is an empty cell: not on record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableItem {
    pub row: usize,
    /// The number within its category.
    pub number: Option<u32>,
    pub name: Option<String>,
    pub service_target: Option<String>,
    pub service_content: Option<String>,
    pub service_standard: Option<String>,
    pub expenditure_responsibility: Option<String>,
    pub lead_units: Option<String>,
    pub id: Option<String>,
    pub national_item: Option<String>,
}

/// Where each column is.
#[derive(Debug, Clone, Copy)]
struct Columns {
    /// The required columns in the order of [`COLUMNS`].
    required: [usize; 7],
    id: Option<usize>,
    national_item: Option<usize>,
}

/// Where the next item row goes.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Before any heading, or after a 未归类 row.
    Unplaced,
    /// After an aspect heading, before its first category: no place for an item.
    AfterAspect,
    /// Into the last category.
    InCategory,
}

enum Kind {
    Blank,
    Aspect(String),
    Category(String),
    Unplaced,
    Item,
}

fn header(source_name: &str, rows: &[Row]) -> Result<(usize, Columns), TableError> {
    let looked = rows.len().min(HEADER_ROWS_MAX);
    let (index, row) = rows
        .iter()
        .take(HEADER_ROWS_MAX)
        .enumerate()
        .find(|(_, r)| {
            let names: Vec<String> = r.cells.iter().map(|c| normalise(c)).collect();
            names.iter().any(|n| n == NAME || n == "项目名称") && names.iter().any(|n| n == NUMBER)
        })
        .ok_or_else(|| TableError::NoHeader {
            source_name: source_name.to_owned(),
            looked,
        })?;
    let names: Vec<String> = row.cells.iter().map(|c| normalise(c)).collect();
    let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_str()));
    let mut required = [0; 7];
    for (slot, (official, aliases)) in required.iter_mut().zip(COLUMNS) {
        let mut wanted = vec![official];
        wanted.extend_from_slice(aliases);
        *slot = find(&wanted).ok_or_else(|| TableError::MissingColumn {
            source_name: source_name.to_owned(),
            row: row.number,
            column: official,
        })?;
    }
    Ok((
        index,
        Columns {
            required,
            id: find(&[ITEM_ID]),
            national_item: find(&[NATIONAL_ITEM]),
        },
    ))
}

/// An aspect heading "一、幼有所育": its name.
fn aspect_heading(text: &str) -> Option<String> {
    let (numeral, name) = text.split_once(['、', '.', '．'])?;
    parse_numeral(numeral.trim())?;
    let name = name.trim();
    (!name.is_empty() && !numeral.trim().chars().all(|c| c.is_ascii_digit()))
        .then(|| name.to_owned())
}

/// A category heading "（一）优孕优生服务", "(1)优孕优生服务" or "1.优孕优生服务": its name.
fn category_heading(text: &str) -> Option<String> {
    let text = text.trim();
    let (numeral, name) = if let Some(rest) = text.strip_prefix(['（', '(']) {
        rest.split_once(['）', ')'])?
    } else {
        let (numeral, name) = text.split_once(['.', '．', '、'])?;
        if !numeral.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        (numeral, name)
    };
    parse_numeral(numeral.trim())?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

fn classify(row: &Row) -> Kind {
    let filled: Vec<&String> = row.cells.iter().filter(|c| !c.is_empty()).collect();
    let Some(first) = filled.first() else {
        return Kind::Blank;
    };
    // A heading fills one cell, or, merged across the row, every cell with one text.
    let only_one_text = filled.iter().all(|c| c == first);
    if only_one_text {
        if normalise(first) == UNPLACED {
            return Kind::Unplaced;
        }
        if let Some(name) = aspect_heading(first) {
            return Kind::Aspect(name);
        }
        if let Some(name) = category_heading(first) {
            return Kind::Category(name);
        }
    }
    Kind::Item
}

fn cell(row: &Row, index: Option<usize>) -> Option<String> {
    index
        .and_then(|i| row.cells.get(i))
        .filter(|c| !c.is_empty())
        .cloned()
}

/// The number in a 序号 cell: "3", "3.", "(3)", "（3）".
fn parse_number(text: &str) -> Option<u32> {
    let inner = text
        .trim()
        .trim_start_matches(['(', '（'])
        .trim_end_matches([')', '）', '.', '．', '、']);
    parse_numeral(inner.trim())
}

/// The layout of a table's rows.
pub fn parse_rows(source_name: &str, rows: &[Row]) -> Result<Table, TableError> {
    if rows.iter().all(|r| r.cells.iter().all(String::is_empty)) {
        return Err(TableError::Empty {
            source_name: source_name.to_owned(),
            what: "the file holds no rows",
        });
    }
    let (header_index, columns) = header(source_name, rows)?;
    let mut table = Table::default();
    let mut problems = Vec::new();
    let mut place = Place::Unplaced;
    for row in &rows[header_index + 1..] {
        match classify(row) {
            Kind::Blank => {}
            Kind::Aspect(name) => {
                table.aspects.push(TableAspect {
                    row: row.number,
                    name,
                    categories: Vec::new(),
                });
                place = Place::AfterAspect;
            }
            Kind::Category(name) => match table.aspects.last_mut() {
                Some(aspect) => {
                    aspect.categories.push(TableCategory {
                        row: row.number,
                        name,
                        items: Vec::new(),
                    });
                    place = Place::InCategory;
                }
                None => problems.push(RowProblem {
                    row: row.number,
                    column: Some(NUMBER),
                    message: "a category heading before any aspect heading (一、…): add the aspect row above it".into(),
                }),
            },
            Kind::Unplaced => place = Place::Unplaced,
            Kind::Item => {
                let [number, name, target, content, standard, expenditure, lead] =
                    columns.required.map(Some);
                let number_text = cell(row, number);
                let number = match &number_text {
                    None => None,
                    Some(text) => match parse_number(text) {
                        Some(n) => Some(n),
                        None => {
                            problems.push(RowProblem {
                                row: row.number,
                                column: Some(NUMBER),
                                message: format!(
                                    "'{}' is neither an item number nor a heading (一、aspect or （一）category)",
                                    domain::input::quote(text)
                                ),
                            });
                            continue;
                        }
                    },
                };
                let item = TableItem {
                    row: row.number,
                    number,
                    name: cell(row, name),
                    service_target: cell(row, target),
                    service_content: cell(row, content),
                    service_standard: cell(row, standard),
                    expenditure_responsibility: cell(row, expenditure),
                    lead_units: cell(row, lead),
                    id: cell(row, columns.id),
                    national_item: cell(row, columns.national_item),
                };
                match place {
                    Place::InCategory => {
                        if let Some(category) =
                            table.aspects.last_mut().and_then(|a| a.categories.last_mut())
                        {
                            category.items.push(item);
                        }
                    }
                    Place::Unplaced => table.unplaced.push(item),
                    Place::AfterAspect => problems.push(RowProblem {
                        row: row.number,
                        column: None,
                        message: "an item between an aspect heading and its first category heading: add the category row (（一）…) above it, or a 未归类 row for items no category holds".into(),
                    }),
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(TableError::Rows {
            source_name: source_name.to_owned(),
            problems,
        });
    }
    if table.items().next().is_none() {
        return Err(TableError::Empty {
            source_name: source_name.to_owned(),
            what: "the table has a header but no item row",
        });
    }
    number_within_categories(&mut table);
    Ok(table)
}

/// 序号 either restarts in each category or runs on through the table. When
/// it never falls and some category after the first starts above 1, it runs
/// on: an item's number within its category is its 序号 less the item rows
/// of the categories before (exact for a table that states every item).
fn number_within_categories(table: &mut Table) {
    let categories = || table.aspects.iter().flat_map(|a| &a.categories);
    let numbers: Vec<u32> = categories()
        .flat_map(|c| &c.items)
        .filter_map(|i| i.number)
        .collect();
    let never_falls = numbers.windows(2).all(|w| w[0] < w[1]);
    let starts_above_one = categories()
        .skip(1)
        .filter_map(|c| c.items.iter().find_map(|i| i.number))
        .any(|first| first > 1);
    table.running_numbers = never_falls && starts_above_one;
    if !table.running_numbers {
        return;
    }
    let mut before: u32 = 0;
    for category in table.aspects.iter_mut().flat_map(|a| &mut a.categories) {
        for item in &mut category.items {
            item.number = item
                .number
                .and_then(|n| n.checked_sub(before))
                .filter(|n| *n > 0);
        }
        before += category.items.len() as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_told_from_items() {
        let cases = [
            ("一、幼有所育", Some("幼有所育"), None),
            ("十、其他", Some("其他"), None),
            ("（一）优孕优生服务", None, Some("优孕优生服务")),
            ("(二十二)公共体育服务", None, Some("公共体育服务")),
            ("1.优孕优生服务", None, Some("优孕优生服务")),
            ("1、优孕优生服务", None, Some("优孕优生服务")),
            ("农村免费孕前优生健康检查", None, None),
            ("（一）", None, None),
        ];
        for (text, aspect, category) in cases {
            assert_eq!(aspect_heading(text).as_deref(), aspect, "{text}");
            if aspect.is_none() {
                assert_eq!(category_heading(text).as_deref(), category, "{text}");
            }
        }
    }

    #[test]
    fn item_numbers_are_read_in_their_printed_forms() {
        let cases = [
            ("3", Some(3)),
            ("3.", Some(3)),
            ("(3)", Some(3)),
            ("（12）", Some(12)),
            ("三", Some(3)),
            ("x", None),
            ("0", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_number(text), expected, "{text}");
        }
    }
}
