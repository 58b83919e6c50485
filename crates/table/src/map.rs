//! A table → a whole standard in the import representation, each row mapped
//! to an item of the edition on record where one is meant, and refused where
//! the mapping would be a guess.
//!
//! A row's item is, in this order: the id in its 项目标识 cell; the one item
//! of that name (exact, then normalised: [`normalise`]), the row's category
//! and number deciding between items of one name; for a local standard, the
//! national item of that name. A row that maps to no item is a new item with
//! the id `item-` and the first 12 hex digits of the SHA-256 of its normalised
//! name, unless its place (category and number) holds an item of another name:
//! that may be a renamed item, and the row is listed rather than guessed.

use std::collections::HashMap;

use domain::command::WholeStandard;
use domain::ids::{AspectId, CategoryId, ItemId};
use domain::levels::extract_levels;
use domain::model::{
    AspectSpec, CategorySpec, ItemFields, ItemSpec, Known, Placement, ServiceStandard,
};
use domain::state::ItemState;
use domain::text::Text;
use registry::codec::split_units;
use registry::view::{AspectView, CategoryView, EditionView};
use sha2::{Digest, Sha256};

use crate::layout::{ITEM_ID, NAME, NATIONAL_ITEM, NUMBER, Table, TableCategory, TableItem};
use crate::normal::normalise;
use crate::{RowProblem, TableError};

/// What a table's rows are mapped to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mapping<'a> {
    /// The standard's edition on record at the table's effective date; `None`
    /// when none is in force then.
    pub current: Option<&'a EditionView>,
    /// For a local standard: the national edition it implements, whose
    /// aspects, categories and items its rows may name.
    pub national: Option<&'a EditionView>,
}

/// An item a row may mean.
struct Candidate<'a> {
    item: &'a ItemState,
    /// Found in the national edition, not the standard's own.
    national: bool,
}

/// The whole standard a table states.
pub fn whole_standard(
    source_name: &str,
    table: &Table,
    mapping: &Mapping,
) -> Result<WholeStandard, TableError> {
    let mut problems = Vec::new();
    let mut whole = WholeStandard::default();
    let mut category_ids: HashMap<usize, CategoryId> = HashMap::new();
    let mut category_count = 0;
    for (index, aspect) in table.aspects.iter().enumerate() {
        let Some(spec) = aspect_spec(index, &aspect.name, mapping) else {
            problems.push(RowProblem {
                row: aspect.row,
                column: Some(NUMBER),
                message: format!(
                    "aspect '{}' is not an aspect of the standard on record ({}); aspects are matched by name: check its spelling",
                    domain::input::quote(&aspect.name),
                    names(mapping.current.map_or(&[][..], |c| &c.aspects[..]), |a| &a.name)
                ),
            });
            continue;
        };
        for category in &aspect.categories {
            category_count += 1;
            match category_spec(category_count, &spec.id, category, mapping) {
                Some(category_spec) => {
                    category_ids.insert(category.row, category_spec.id.clone());
                    whole.categories.push(category_spec);
                }
                None => problems.push(RowProblem {
                    row: category.row,
                    column: Some(NUMBER),
                    message: format!(
                        "category '{}' is not a category of the standard on record; categories are matched by name: check its spelling (the standard's categories: {})",
                        domain::input::quote(&category.name),
                        names(&current_categories(mapping), |c| &c.name)
                    ),
                }),
            }
        }
        whole.aspects.push(spec);
    }
    let candidates = candidates(mapping);
    let mut seen: HashMap<ItemId, usize> = HashMap::new();
    for (category, row) in table.items() {
        let category_id = category.and_then(|c| category_ids.get(&c.row));
        if category.is_some() && category_id.is_none() {
            // Its category is refused above.
            continue;
        }
        match item_spec(row, category_id, &candidates) {
            Ok(spec) => {
                if let Some(first) = seen.insert(spec.id.clone(), row.row) {
                    problems.push(RowProblem {
                        row: row.row,
                        column: Some(NAME),
                        message: format!(
                            "duplicate item: row {first} already states item {}; state each item once",
                            spec.id
                        ),
                    });
                    continue;
                }
                whole.items.push(spec);
            }
            Err(problem) => problems.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(whole)
    } else {
        problems.sort_by_key(|p| p.row);
        Err(TableError::Rows {
            source_name: source_name.to_owned(),
            problems,
        })
    }
}

fn names<T>(values: &[T], name: fn(&T) -> &String) -> String {
    if values.is_empty() {
        return "none".to_owned();
    }
    values
        .iter()
        .map(|v| name(v).as_str())
        .collect::<Vec<_>>()
        .join("、")
}

fn current_categories(mapping: &Mapping) -> Vec<CategoryView> {
    mapping
        .current
        .map(|c| {
            c.aspects
                .iter()
                .flat_map(|a| a.categories.iter().cloned())
                .collect()
        })
        .unwrap_or_default()
}

/// The recorded text when the table's text is the same but for width and
/// spacing: restating it is no change.
fn restated(table: &str, recorded: Option<&str>) -> String {
    match recorded {
        Some(recorded) if normalise(recorded) == normalise(table) => recorded.to_owned(),
        _ => table.to_owned(),
    }
}

fn find_by_name<'v, T>(values: &'v [T], wanted: &str, name: fn(&T) -> &str) -> Option<&'v T> {
    values.iter().find(|v| name(v) == wanted).or_else(|| {
        values
            .iter()
            .find(|v| normalise(name(v)) == normalise(wanted))
    })
}

fn aspect_spec(index: usize, name: &str, mapping: &Mapping) -> Option<AspectSpec> {
    let lookup = |edition: Option<&EditionView>| {
        edition.and_then(|e| find_by_name(&e.aspects, name, |a: &AspectView| &a.name).cloned())
    };
    if let Some(found) = lookup(mapping.current).or_else(|| lookup(mapping.national)) {
        return Some(AspectSpec {
            id: AspectId::parse(&found.id).ok()?,
            name: restated(name, Some(&found.name)),
            name_en: found.name_en,
            order: found.order,
        });
    }
    if mapping.current.is_some_and(|c| !c.aspects.is_empty()) {
        return None;
    }
    let order = index as u32 + 1;
    Some(AspectSpec {
        id: AspectId::parse(&format!("A{order:02}")).ok()?,
        name: name.to_owned(),
        name_en: None,
        order,
    })
}

fn category_spec(
    count: u32,
    aspect: &AspectId,
    category: &TableCategory,
    mapping: &Mapping,
) -> Option<CategorySpec> {
    let lookup = |edition: Option<&EditionView>| {
        let all: Vec<CategoryView> = edition
            .map(|e| {
                e.aspects
                    .iter()
                    .flat_map(|a| a.categories.iter().cloned())
                    .collect()
            })
            .unwrap_or_default();
        find_by_name(&all, &category.name, |c: &CategoryView| &c.name).cloned()
    };
    if let Some(found) = lookup(mapping.current).or_else(|| lookup(mapping.national)) {
        return Some(CategorySpec {
            id: CategoryId::parse(&found.id).ok()?,
            aspect: aspect.clone(),
            name: restated(&category.name, Some(&found.name)),
            name_en: found.name_en,
            number: found.number,
        });
    }
    if !current_categories(mapping).is_empty() {
        return None;
    }
    Some(CategorySpec {
        id: CategoryId::parse(&format!("C{count:02}")).ok()?,
        aspect: aspect.clone(),
        name: category.name.clone(),
        name_en: None,
        number: count,
    })
}

fn candidates<'m>(mapping: &Mapping<'m>) -> Vec<Candidate<'m>> {
    let own: Vec<Candidate> = mapping
        .current
        .map(|c| {
            c.items()
                .map(|i| Candidate {
                    item: &i.item,
                    national: false,
                })
                .collect()
        })
        .unwrap_or_default();
    let national = mapping
        .national
        .into_iter()
        .flat_map(|n| n.items())
        .filter(|n| !own.iter().any(|o| o.item.id == n.item.id))
        .map(|i| Candidate {
            item: &i.item,
            national: true,
        })
        .collect::<Vec<_>>();
    own.into_iter().chain(national).collect()
}

/// The id a new item gets: `item-` and 12 hex digits of its normalised name's SHA-256.
pub fn new_item_id(name: &str) -> ItemId {
    let digest = Sha256::digest(normalise(name).as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    // `item-` and hex digits always make a valid id.
    ItemId::parse(&format!("item-{hex}")).unwrap_or_else(|_| unreachable!())
}

enum Found<'c> {
    One(&'c Candidate<'c>),
    Several(Vec<&'c Candidate<'c>>),
    None,
}

/// The candidates of a name, exact first, then normalised; placement decides between several.
fn by_name<'c>(
    candidates: &'c [Candidate<'c>],
    name: &str,
    category: Option<&CategoryId>,
    number: Option<u32>,
) -> Found<'c> {
    let exact: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.item.name.as_known().is_some_and(|n| n.as_str() == name))
        .collect();
    let found = if exact.is_empty() {
        let wanted = normalise(name);
        candidates
            .iter()
            .filter(|c| {
                c.item
                    .name
                    .as_known()
                    .is_some_and(|n| normalise(n) == wanted)
            })
            .collect()
    } else {
        exact
    };
    // The standard's own items before the national ones.
    let own: Vec<&Candidate> = found.iter().copied().filter(|c| !c.national).collect();
    let found = if own.is_empty() { found } else { own };
    let narrow = |found: Vec<&'c Candidate<'c>>, keep: &dyn Fn(&Candidate) -> bool| {
        let kept: Vec<&Candidate> = found.iter().copied().filter(|c| keep(c)).collect();
        if kept.is_empty() { found } else { kept }
    };
    let found = narrow(found, &|c| c.item.placement.category.as_known() == category);
    let found = narrow(found, &|c| {
        c.item.placement.number.as_known().copied() == number
    });
    match found.len() {
        0 => Found::None,
        1 => Found::One(found[0]),
        _ => Found::Several(found),
    }
}

fn parse_id(row: usize, column: &'static str, text: &str) -> Result<ItemId, RowProblem> {
    ItemId::parse(text).map_err(|e| RowProblem {
        row,
        column: Some(column),
        message: e.to_string(),
    })
}

fn item_spec(
    row: &TableItem,
    category: Option<&CategoryId>,
    candidates: &[Candidate],
) -> Result<ItemSpec, RowProblem> {
    let problem = |column: &'static str, message: String| RowProblem {
        row: row.row,
        column: Some(column),
        message,
    };
    let (id, recorded, national_of_name) = match (&row.id, &row.name) {
        (Some(id), _) => {
            let id = parse_id(row.row, ITEM_ID, id)?;
            let found = candidates.iter().find(|c| c.item.id == id);
            (
                id,
                found.filter(|c| !c.national).map(|c| c.item),
                found.filter(|c| c.national).map(|c| c.item.id.clone()),
            )
        }
        (None, Some(name)) => match by_name(candidates, name, category, row.number) {
            Found::One(c) if c.national => (c.item.id.clone(), None, Some(c.item.id.clone())),
            Found::One(c) => (c.item.id.clone(), Some(c.item), None),
            Found::Several(found) => {
                return Err(problem(
                    NAME,
                    format!(
                        "'{}' names several items ({}) and its place does not tell which; give the id in a column {ITEM_ID}",
                        domain::input::quote(name),
                        found
                            .iter()
                            .map(|c| c.item.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            Found::None => {
                let holder = candidates.iter().find(|c| {
                    !c.national
                        && category.is_some()
                        && c.item.placement.category.as_known() == category
                        && row.number.is_some()
                        && c.item.placement.number.as_known().copied() == row.number
                });
                if let Some(holder) = holder {
                    return Err(problem(
                        NAME,
                        format!(
                            "'{}' names no item on record, and its place holds item {} ('{}'): if it is that item renamed, give {} in a column {ITEM_ID}; if it is a new item, give it a new id there",
                            domain::input::quote(name),
                            holder.item.id,
                            holder
                                .item
                                .name
                                .as_known()
                                .map_or("name not on record", |n| n.as_str()),
                            holder.item.id,
                        ),
                    ));
                }
                (new_item_id(name), None, None)
            }
        },
        (None, None) => {
            return Err(problem(
                NAME,
                format!("an item row needs a name (or an id in a column {ITEM_ID})"),
            ));
        }
    };
    let text = |cell: &Option<String>, recorded: Option<&Known<Text>>| -> Known<Text> {
        Known::from(cell.as_deref().map(|t| {
            Text::from(restated(
                t,
                recorded.and_then(|r| r.as_known()).map(|r| r.as_str()),
            ))
        }))
    };
    let fields = recorded.map(|r| &r.fields);
    let service_standard = match (&row.service_standard, fields) {
        (None, _) => Known::Unknown,
        (Some(cell), Some(fields))
            if fields
                .service_standard
                .as_known()
                .is_some_and(|s| normalise(&s.text) == normalise(cell)) =>
        {
            fields.service_standard.clone()
        }
        (Some(cell), _) => Known::Known(ServiceStandard {
            text: Text::from(cell.as_str()),
            levels: extract_levels(cell).into(),
        }),
    };
    let lead_units = match (&row.lead_units, fields) {
        (None, _) => Known::Unknown,
        (Some(cell), Some(fields))
            if fields.lead_units.as_known().is_some_and(|units| {
                normalise(&join_units(units)) == normalise(&join_units(&split_units(cell)))
            }) =>
        {
            fields.lead_units.clone()
        }
        (Some(cell), _) => Known::Known(split_units(cell).into()),
    };
    let national_item = match &row.national_item {
        Some(text) => Some(parse_id(row.row, NATIONAL_ITEM, text)?),
        None => recorded
            .and_then(|r| r.national_item.clone())
            .or(national_of_name),
    };
    Ok(ItemSpec {
        id,
        placement: Placement {
            category: Known::from(category.cloned()),
            number: Known::from(row.number),
        },
        name: text(&row.name, recorded.map(|r| &r.name)),
        name_en: Known::Unknown,
        fields: ItemFields {
            service_target: text(&row.service_target, fields.map(|f| &f.service_target)),
            service_content: text(&row.service_content, fields.map(|f| &f.service_content)),
            service_standard,
            expenditure_responsibility: text(
                &row.expenditure_responsibility,
                fields.map(|f| &f.expenditure_responsibility),
            ),
            lead_units,
        },
        national_item,
    })
}

/// Lead units as one cell prints them.
pub fn join_units(units: &[Text]) -> String {
    units
        .iter()
        .map(Text::as_str)
        .collect::<Vec<_>>()
        .join("、")
}
