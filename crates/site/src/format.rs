//! How times and absent values read on a page.

use chrono::{DateTime, SecondsFormat, Utc};

/// Machine form of a record time (`datetime` attributes, links): RFC 3339, UTC.
pub fn instant(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reading form of a record time: to the second, UTC said.
pub fn instant_text(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A revision's status in words.
pub fn status(status: &str) -> &'static str {
    match status {
        "in_force" => "施行中 (in force)",
        "pending" => "待生效 (pending)",
        "withdrawn" => "已撤回 (withdrawn)",
        _ => "状态未知 (unknown status)",
    }
}

/// A revision's kind in words.
pub fn kind(kind: &domain::model::RevisionKind) -> &'static str {
    use domain::model::RevisionKind;
    match kind {
        RevisionKind::ComprehensiveRevision => "全面修订 (comprehensive revision)",
        RevisionKind::Adjustment => "调整 (adjustment)",
        RevisionKind::Correction => "更正 (correction)",
        RevisionKind::LocalImplementation => "地方实施标准 (local implementation)",
        RevisionKind::Withdrawal => "撤回 (withdrawal)",
    }
}

/// `day`, else `fallback`.
pub fn day_or(day: &Option<chrono::NaiveDate>, fallback: &chrono::NaiveDate) -> chrono::NaiveDate {
    day.unwrap_or(*fallback)
}

/// Whether `day` is `other`.
pub fn is_day(day: &Option<chrono::NaiveDate>, other: &chrono::NaiveDate) -> bool {
    day.as_ref() == Some(other)
}

/// A piece of a changed text: kept, inserted or deleted.
#[derive(Debug, Clone)]
pub struct Mark {
    /// `same`, `ins` or `del`.
    pub tag: &'static str,
    pub text: String,
}

/// One field change as a page shows it.
#[derive(Debug, Clone)]
pub struct ChangeLine {
    pub label: &'static str,
    /// `changed`, `first_on_record`, `no_longer_on_record`, `changed_not_on_record`.
    pub kind: &'static str,
    pub kind_text: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
    /// The text with insertions and deletions marked, when both sides are on record.
    pub marks: Vec<Mark>,
}

/// A field's name on a page.
pub fn field_label(field: &str) -> &'static str {
    match field {
        "name" => "名称",
        "name_en" => "英文名称",
        "service_target" => "服务对象",
        "service_content" => "服务内容",
        "service_standard" => "服务标准",
        "expenditure_responsibility" => "支出责任",
        "lead_units" => "牵头负责单位",
        _ => "字段",
    }
}

/// An event type in words.
pub fn event_type(event_type: &str) -> &'static str {
    match event_type {
        "item_introduced" => "新增项目 (introduced)",
        "item_amended" => "修改 (amended)",
        "item_renumbered" | "item_moved" => "调整编号或类别 (moved)",
        "item_retired" => "停止 (retired)",
        "items_merged" => "合并 (merged)",
        "item_split" => "拆分 (split)",
        "local_item_added" => "地方增加项目 (local item added)",
        _ => "其他变更 (other change)",
    }
}

pub fn change(view: &registry::view::FieldChangeView) -> ChangeLine {
    use domain::event::ChangeKind;
    let (before, after) = view.change.sides();
    let (before, after) = (before.text(), after.text());
    let marks = match (&before, &after) {
        (Some(old), Some(new)) => similar::TextDiff::from_chars(old.as_str(), new.as_str())
            .iter_all_changes()
            .fold(Vec::<Mark>::new(), |mut marks, change| {
                let tag = match change.tag() {
                    similar::ChangeTag::Equal => "same",
                    similar::ChangeTag::Insert => "ins",
                    similar::ChangeTag::Delete => "del",
                };
                match marks.last_mut() {
                    Some(last) if last.tag == tag => last.text.push_str(change.value()),
                    _ => marks.push(Mark {
                        tag,
                        text: change.value().to_owned(),
                    }),
                }
                marks
            }),
        _ => Vec::new(),
    };
    let (kind, kind_text) = match view.kind {
        ChangeKind::Changed => ("changed", "修改 (changed)"),
        ChangeKind::FirstOnRecord => ("first_on_record", "首次记录 (first on record)"),
        ChangeKind::NoLongerOnRecord => (
            "no_longer_on_record",
            "新文本未记录 (new text not on record)",
        ),
        ChangeKind::ChangedNotOnRecord => (
            "changed_not_on_record",
            "已修改,前后文本均未记录 (changed; neither text on record)",
        ),
    };
    ChangeLine {
        label: field_label(view.change.field_name()),
        kind,
        kind_text,
        before,
        after,
        marks,
    }
}

/// A compliance verdict in words.
pub fn verdict(status: &compliance::ComplianceStatus) -> &'static str {
    use compliance::ComplianceStatus;
    match status {
        ComplianceStatus::Compliant => "达标 (compliant)",
        ComplianceStatus::NonCompliant => "未达标 (non-compliant)",
        ComplianceStatus::NotDeterminable => "无法判定 (not determinable)",
        ComplianceStatus::NotDue => "尚未到期 (not yet due)",
    }
}

/// A finding's weight in words, and its style.
pub fn severity(severity: &compliance::Severity) -> (&'static str, &'static str) {
    use compliance::Severity;
    match severity {
        Severity::Violation => ("违反 (violation)", "non_compliant"),
        Severity::Undetermined => ("无法判定 (undetermined)", "undetermined"),
        Severity::Notice => ("提示 (notice)", "notice"),
    }
}
