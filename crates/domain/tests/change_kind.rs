//! How a field's record changed: not on record is not the same as empty, so a
//! text that appears where none was on record is not a change of text.

use domain::event::{ChangeKind, FieldChange};
use domain::model::Known;
use domain::text::Text;

fn text(value: Option<&str>) -> Known<Text> {
    value.map(Text::from).into()
}

#[test]
fn a_field_change_says_whether_a_text_changed_or_a_gap_was_filled() {
    // (before, after, kind)
    let cases = [
        (Some("旧文本"), Some("新文本"), ChangeKind::Changed),
        (None, Some("新文本"), ChangeKind::FirstOnRecord),
        (Some("旧文本"), None, ChangeKind::NoLongerOnRecord),
        (None, None, ChangeKind::ChangedNotOnRecord),
    ];
    for (before, after, kind) in cases {
        let change = FieldChange::ServiceTarget {
            before: text(before),
            after: text(after),
        };
        assert_eq!(change.kind(), kind, "{before:?} -> {after:?}");
        let units = FieldChange::LeadUnits {
            before: before.map(|t| [Text::from(t)].into()).into(),
            after: after.map(|t| [Text::from(t)].into()).into(),
        };
        assert_eq!(units.kind(), kind, "lead units {before:?} -> {after:?}");
    }
    assert_eq!(ChangeKind::FirstOnRecord.as_str(), "first_on_record");
}
