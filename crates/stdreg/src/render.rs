//! Human-readable output. Chinese text is printed as is; *not on record* marks unknown values.

use std::fmt::Write;

use domain::event::{FieldChange, FieldValue};
use domain::model::{Known, ServiceStandard};
use domain::text::Text;
use registry::view::{
    DiffView, EditionView, HistoryView, ItemDiffView, ItemView, RevisionView, VersionView,
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

fn units(value: &Known<Vec<Text>>) -> String {
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
            r.actor
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

fn change(out: &mut String, c: &FieldChange, indent: &str) {
    let (before, after) = c.sides();
    if !before.is_known() && !after.is_known() {
        let _ = writeln!(
            out,
            "{indent}{}: changed; neither the old nor the new text is on record",
            c.field_name()
        );
        return;
    }
    let _ = writeln!(
        out,
        "{indent}{}: {}\n{indent}  -> {}",
        c.field_name(),
        side(before),
        side(after)
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
            e.event.actor,
            e.event.reason
        );
        if let Some((before, after)) = &e.placement {
            let _ = writeln!(out, "    placement: {before:?} -> {after:?}");
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
        if let Some((before, after)) = &i.placement {
            let _ = writeln!(out, "    placement: {before:?} -> {after:?}");
        }
    }
}

pub fn diff(view: &DiffView) -> String {
    let mut out = String::new();
    if let Some((before, after)) = view.declared_item_count {
        let _ = writeln!(out, "declared item count: {before:?} -> {after:?}");
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
    if out.is_empty() {
        out.push_str("No differences.\n");
    }
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
