//! Human-readable output. Chinese text is printed as is; *not on record* marks unknown values.

use std::fmt::Write;

use domain::event::{ChangeKind, FieldValue};
use domain::model::{Known, Placement, ServiceStandard};
use domain::text::Text;
use registry::view::{
    DiffView, EditionView, FieldChangeView, HistoryView, ItemAtPoint, ItemDiffView, ItemView,
    PlacementChange, RevisionView, VersionView,
};

use crate::commands::LogLine;

const NOT_ON_RECORD: &str = "(not on record)";

fn text<T: AsRef<str>>(value: &Known<T>) -> &str {
    value.as_known().map_or(NOT_ON_RECORD, AsRef::as_ref)
}

fn standard_text(value: &Known<ServiceStandard>) -> String {
    match value {
        Known::Known(s) if s.levels.is_empty() => s.text.to_string(),
        Known::Known(s) => format!("{} [{} structured level(s)]", s.text, s.levels.len()),
        Known::Unknown => NOT_ON_RECORD.to_owned(),
    }
}

fn units(value: &Known<std::sync::Arc<[Text]>>) -> String {
    value
        .as_known()
        .map_or(NOT_ON_RECORD.to_owned(), |u| u.join("、"))
}

fn item(out: &mut String, view: &ItemView, indent: &str) {
    let item = &view.item;
    let fields = &item.fields;
    let number = item
        .placement
        .number
        .as_known()
        .map_or("-".to_owned(), |n| format!("({n})"));
    let name = match (&item.name, &item.name_en) {
        (Known::Known(name), _) => name.to_string(),
        (Known::Unknown, Known::Known(en)) => format!("{NOT_ON_RECORD} [{en}]"),
        _ => NOT_ON_RECORD.to_owned(),
    };
    let _ = writeln!(out, "{indent}{number} {name}  [{}]", item.id);
    let rows = [
        ("服务对象 target", text(&fields.service_target).to_owned()),
        ("服务内容 content", text(&fields.service_content).to_owned()),
        ("服务标准 standard", standard_text(&fields.service_standard)),
        (
            "支出责任 expenditure",
            text(&fields.expenditure_responsibility).to_owned(),
        ),
        ("牵头负责单位 lead units", units(&fields.lead_units)),
    ];
    for (label, value) in rows {
        let _ = writeln!(out, "{indent}    {label}: {value}");
    }
    let by = &view.last_changed_by;
    let _ = writeln!(out, "{indent}    last changed by: {} {}", by.id, by.title());
}

pub fn edition(view: &EditionView) -> String {
    let mut out = String::new();
    let known = view.known_at.map_or("now".to_owned(), |t| t.to_rfc3339());
    let _ = writeln!(
        out,
        "Standard {} in force on {} (as recorded {known})",
        view.jurisdiction, view.valid_at
    );
    if !view.in_force {
        out.push_str("Nothing was in force at that point, as recorded then.\n");
        return out;
    }
    let declared = view
        .declared_item_count
        .map_or(NOT_ON_RECORD.to_owned(), |n| n.to_string());
    let _ = writeln!(
        out,
        "{} aspects, {} items on record of {declared} declared\n",
        view.aspects.len(),
        view.item_count
    );
    for aspect in &view.aspects {
        let _ = writeln!(out, "{}. {}", aspect.order, aspect.name);
        for category in &aspect.categories {
            let _ = writeln!(out, "  {}. {}", category.number, category.name);
            if category.items.is_empty() {
                out.push_str("      (no item of this category on record)\n");
            }
            for i in &category.items {
                item(&mut out, i, "    ");
            }
        }
    }
    if !view.unplaced_items.is_empty() {
        out.push_str("Items whose category is not on record:\n");
        for i in &view.unplaced_items {
            item(&mut out, i, "    ");
        }
    }
    out
}

pub fn versions(views: &Vec<VersionView>) -> String {
    let mut out = String::from("valid from   items  revisions\n");
    for v in views {
        let revisions: Vec<String> = v
            .revisions
            .iter()
            .map(|r| format!("{} {}", r.id, r.title()))
            .collect();
        let _ = writeln!(
            out,
            "{}  {:>5}  {}",
            v.valid_from,
            v.item_count,
            revisions.join("; ")
        );
    }
    out
}

/// One item with the citation of the revision behind each field.
pub fn item_at_point(view: &ItemAtPoint) -> String {
    let mut out = String::new();
    let known = view
        .at
        .known_at
        .map_or("now".to_owned(), |t| t.to_rfc3339());
    let _ = writeln!(
        out,
        "Item {} of standard {} on {} (as recorded {known})",
        view.item_id, view.jurisdiction, view.at.valid_at
    );
    let Some(i) = &view.item else {
        out.push_str("The item did not exist at that point, as recorded then.\n");
        return out;
    };
    if !view.in_force {
        out.push_str("The item was retired by then; as it last stood:\n");
    }
    item(&mut out, i, "");
    out.push_str("Cited from:\n");
    // One paragraph per document, naming the fields it stands behind.
    let mut cited: Vec<(Vec<&str>, Option<&RevisionView>)> = Vec::new();
    for c in &view.citations {
        let id = c.revision.as_ref().map(|r| &r.info.id);
        match cited.iter_mut().find(|(_, r)| r.map(|r| &r.info.id) == id) {
            Some((fields, _)) => fields.push(c.field),
            None => cited.push((vec![c.field], c.revision.as_ref())),
        }
    }
    for (fields, revision) in cited {
        let fields = fields.join(", ");
        let Some(r) = revision else {
            let _ = writeln!(out, "  {fields}: {NOT_ON_RECORD}");
            continue;
        };
        let corrected = if r.corrected_by.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = r.corrected_by.iter().map(|c| c.to_string()).collect();
            format!("; corrected by {}", ids.join(", "))
        };
        let _ = writeln!(
            out,
            "  {fields}:\n    {} {}\n    document {}; issued by {} on {}; effective {}; recorded {}; {}{corrected}; {} source(s) (--json lists them)",
            r.info.id,
            r.info.title,
            text(&r.info.document_no),
            text(&r.info.issuers),
            r.info
                .issued_on
                .as_known()
                .map_or(NOT_ON_RECORD.to_owned(), |d| d.to_string()),
            r.info.effective_from,
            r.recorded_at.to_rfc3339(),
            r.status,
            r.info.sources.len()
        );
    }
    out
}

/// Who recorded an event, or that this copy of the log does not say (a
/// mirror or export without the sealed bytes), never a blank taken for a name.
fn actor(actor: Option<&str>) -> &str {
    actor.unwrap_or("(sealed: not in this copy of the log)")
}

pub fn revisions(views: &Vec<RevisionView>) -> String {
    let mut out = String::new();
    for r in views {
        let _ = writeln!(
            out,
            "{}  {}  {}  effective {}  [{}]  {}\n    document {}  recorded {} by {}",
            r.info.id,
            r.info.kind.as_str(),
            r.status,
            r.info.effective_from,
            r.info.jurisdiction,
            r.info.title,
            text(&r.info.document_no),
            r.recorded_at.to_rfc3339(),
            actor(r.actor.as_deref())
        );
    }
    out
}

fn side(value: FieldValue<'_>) -> String {
    match value {
        FieldValue::Standard(standard) => standard_text(standard),
        other => other.text().unwrap_or_else(|| NOT_ON_RECORD.to_owned()),
    }
}

fn change(out: &mut String, c: &FieldChangeView, indent: &str) {
    let field = c.change.field_name();
    let (before, after) = c.change.sides();
    let _ = match c.kind {
        ChangeKind::ChangedNotOnRecord => writeln!(
            out,
            "{indent}{field}: changed; neither the old nor the new text is on record"
        ),
        ChangeKind::FirstOnRecord => writeln!(
            out,
            "{indent}{field}: first on record (no earlier text on record, so it may not have changed)\n{indent}  = {}",
            side(after)
        ),
        ChangeKind::Changed | ChangeKind::NoLongerOnRecord => writeln!(
            out,
            "{indent}{field}: {}\n{indent}  -> {}",
            side(before),
            side(after)
        ),
    };
}

fn placement(value: &Placement) -> String {
    let category = value
        .category
        .as_known()
        .map_or(NOT_ON_RECORD.to_owned(), |c| format!("category {c}"));
    let number = value
        .number
        .as_known()
        .map_or(NOT_ON_RECORD.to_owned(), |n| format!("number {n}"));
    format!("{category}, {number}")
}

fn placement_change(out: &mut String, value: &PlacementChange, indent: &str) {
    let _ = writeln!(
        out,
        "{indent}placement: {} -> {}",
        placement(&value.before),
        placement(&value.after)
    );
}

pub fn history(view: &HistoryView) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "History of item {} in {}",
        view.item, view.jurisdiction
    );
    for e in &view.entries {
        let _ = writeln!(
            out,
            "- effective {}  {}  revision {}  recorded {} by {}\n  reason: {}",
            e.event.effective_from,
            e.event.event_type,
            e.event.revision,
            e.event.recorded_at.to_rfc3339(),
            actor(e.event.actor.as_deref()),
            e.event.reason
        );
        if let Some(p) = &e.placement {
            placement_change(&mut out, p, "    ");
        }
        for c in &e.changes {
            change(&mut out, c, "    ");
        }
        if e.retired {
            out.push_str("    retired\n");
        }
    }
    if !view.lineage.is_empty() {
        out.push_str("Lineage:\n");
        for l in &view.lineage {
            let _ = writeln!(
                out,
                "  {} {} (depth {}, {} in revision {})",
                l.relation, l.item, l.depth, l.event_type, l.revision
            );
        }
    }
    out
}

fn diff_items(out: &mut String, title: &str, items: &[ItemDiffView]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}:");
    for i in items {
        let related = if i.related.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = i.related.iter().map(|r| r.to_string()).collect();
            format!(" ({} {})", i.change, names.join(", "))
        };
        let _ = writeln!(out, "  {} {}{related}", i.item, text(&i.name));
        if i.change != "added" {
            for c in &i.fields {
                change(out, c, "    ");
            }
        }
        if let Some(p) = &i.placement {
            placement_change(out, p, "    ");
        }
    }
}

pub fn diff(view: &DiffView) -> String {
    let mut out = String::new();
    if let Some(count) = view.declared_item_count {
        let side = |n: Option<u32>| n.map_or(NOT_ON_RECORD.to_owned(), |n| n.to_string());
        let _ = writeln!(
            out,
            "declared item count: {} -> {}",
            side(count.before),
            side(count.after)
        );
    }
    for s in &view.structure {
        let _ = match (&s.before, &s.after) {
            (Some(before), Some(after)) => {
                writeln!(out, "structure: {} {}: {before} -> {after}", s.change, s.id)
            }
            _ => writeln!(out, "structure: {} {}", s.change, s.id),
        };
    }
    diff_items(&mut out, "Added", &view.added);
    diff_items(&mut out, "Retired", &view.retired);
    diff_items(&mut out, "Merged", &view.merged);
    diff_items(&mut out, "Split", &view.split);
    diff_items(&mut out, "Changed", &view.changed);
    diff_items(
        &mut out,
        "First on record (text missing from the sources before; not necessarily a change)",
        &view.first_on_record,
    );
    if out.is_empty() {
        out.push_str("No differences.\n");
    }
    out
}

/// What each revision of a dry run would record, and the diff of the edition it changes.
pub fn preview(previews: &[registry::preview::Preview]) -> String {
    let mut out = String::new();
    for p in previews {
        let _ = match p.outcome {
            "already_recorded" => writeln!(
                out,
                "{} ({}): already recorded with this document; an import skips it",
                p.revision, p.jurisdiction
            ),
            _ => writeln!(
                out,
                "{} ({}): would record {} events; the edition in force on {} would change as follows:",
                p.revision, p.jurisdiction, p.event_count, p.effective_from
            ),
        };
        if p.outcome != "already_recorded" {
            for line in diff(&p.diff).lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    out.push_str("Dry run: nothing appended.\n");
    out
}

pub fn log(lines: &Vec<LogLine>) -> String {
    let mut out = String::new();
    for l in lines {
        let _ = writeln!(
            out,
            "{:>6}  {}  {}#{}  {}  {}  effective {}",
            l.event.global_position,
            l.event.recorded_at.to_rfc3339(),
            l.stream,
            l.stream_position,
            l.event.event_type,
            l.event.revision,
            l.event.effective_from
        );
    }
    out
}
