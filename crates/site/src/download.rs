//! The edition as a spreadsheet: UTF-8 CSV with a byte order mark, so that
//! Excel reads the Chinese. An empty cell is a value not on record (the
//! registry never records an empty text).

use domain::text::Text;
use registry::view::{AspectView, CategoryView, EditionView, ItemView};

use crate::error::SiteError;

const HEADER: [&str; 14] = [
    "aspect",
    "category_number",
    "category",
    "item_number",
    "item_id",
    "name",
    "name_en",
    "service_target",
    "service_content",
    "service_standard",
    "expenditure_responsibility",
    "lead_units",
    "last_changed_by",
    "last_changed_by_title",
];

pub fn edition_csv(edition: &EditionView) -> Result<Vec<u8>, SiteError> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let failed = |e: csv::Error| SiteError::Download(e.to_string());
    out.write_record(HEADER).map_err(failed)?;
    let rows = edition
        .aspects
        .iter()
        .flat_map(|a| {
            a.categories
                .iter()
                .flat_map(move |c| c.items.iter().map(move |i| (Some((a, c)), i)))
        })
        .chain(edition.unplaced_items.iter().map(|i| (None, i)));
    for (place, view) in rows {
        out.write_record(row(place, view)).map_err(failed)?;
    }
    out.into_inner()
        .map_err(|e| SiteError::Download(e.to_string()))
}

type Place<'a> = Option<(&'a AspectView, &'a CategoryView)>;

fn row(place: Place<'_>, view: &ItemView) -> [String; 14] {
    let text = |value: Option<&Text>| value.map(Text::to_string).unwrap_or_default();
    let item = &view.item;
    let fields = &item.fields;
    [
        place.map(|(a, _)| a.name.clone()).unwrap_or_default(),
        place.map(|(_, c)| c.number.to_string()).unwrap_or_default(),
        place.map(|(_, c)| c.name.clone()).unwrap_or_default(),
        item.placement
            .number
            .as_known()
            .map(u32::to_string)
            .unwrap_or_default(),
        item.id.to_string(),
        text(item.name.as_known()),
        text(item.name_en.as_known()),
        text(fields.service_target.as_known()),
        text(fields.service_content.as_known()),
        fields
            .service_standard
            .as_known()
            .map(|s| s.text.to_string())
            .unwrap_or_default(),
        text(fields.expenditure_responsibility.as_known()),
        fields
            .lead_units
            .as_known()
            .map(|u| u.join("、"))
            .unwrap_or_default(),
        view.last_changed_by.id.to_string(),
        view.last_changed_by.title().to_owned(),
    ]
}
