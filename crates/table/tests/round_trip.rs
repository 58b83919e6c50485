//! Import → export → import changes nothing: every bundled edition written as
//! a table, in both formats, reads back to the standard it was written from.
#![allow(clippy::unwrap_used)]

mod common;

use common::{bundled, edition, empty, national_for, national_revision, restatement};
use domain::DomainError;
use registry::RegistryError;
use registry::preview::PreviewOf;
use table::read::read_rows;
use table::{Format, Mapping, read_table, whole_standard, write_table};

/// Editions of the bundled data: national before and after the 2023
/// adjustment, and the local standards of Fujian, Shanghai and Chongqing.
const EDITIONS: [(&str, &str); 5] = [
    ("CN", "2021-06-01"),
    ("CN", "2024-01-01"),
    ("350000", "2022-06-01"),
    ("310000", "2024-07-01"),
    ("500000", "2024-08-01"),
];

const FORMATS: [Format; 2] = [Format::Csv, Format::Xlsx];

#[tokio::test]
async fn a_table_of_an_edition_restates_it_without_a_difference() {
    let registry = bundled(true).await;
    for format in FORMATS {
        for (jurisdiction, valid_at) in EDITIONS {
            let case = format!("{jurisdiction} on {valid_at} as {format:?}");
            let current = edition(&registry, jurisdiction, valid_at);
            assert!(current.item_count > 0, "{case}");
            let national = national_for(&registry, jurisdiction, valid_at);
            let bytes = write_table(&current, format).unwrap();
            let table = read_table("table", &bytes, format).unwrap();
            let whole = whole_standard(
                "table",
                &table,
                &Mapping {
                    current: Some(&current),
                    national: national.as_ref(),
                },
            )
            .unwrap();
            assert_eq!(whole.items.len(), current.item_count, "{case}");
            let command = restatement(
                "restated",
                jurisdiction,
                valid_at,
                Some(&national_revision(valid_at)),
                whole,
            );
            match registry
                .preview(&[command], "test", PreviewOf::Publish)
                .await
            {
                Err(RegistryError::Rejected { source, .. })
                    if matches!(*source, DomainError::NothingChanges(_)) => {}
                other => panic!("{case}: a restatement should change nothing: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_table_imported_into_an_empty_registry_exports_as_it_was_read() {
    let source = bundled(true).await;
    for format in FORMATS {
        for (jurisdiction, valid_at) in EDITIONS {
            let case = format!("{jurisdiction} on {valid_at} as {format:?}");
            // A local standard needs its national one; a national one starts from nothing.
            let target = if jurisdiction == "CN" {
                empty().await
            } else {
                bundled(false).await
            };
            let written = write_table(&edition(&source, jurisdiction, valid_at), format).unwrap();
            let table = read_table("table", &written, format).unwrap();
            let national = national_for(&target, jurisdiction, valid_at);
            let whole = whole_standard(
                "table",
                &table,
                &Mapping {
                    current: None,
                    national: national.as_ref(),
                },
            )
            .unwrap();
            let command = restatement(
                "from-table",
                jurisdiction,
                valid_at,
                Some(&national_revision(valid_at)),
                whole,
            );
            target.publish(&command, "test", None).await.unwrap();
            let again = write_table(&edition(&target, jurisdiction, valid_at), format).unwrap();
            assert_eq!(
                read_rows("again", &again, format).unwrap(),
                read_rows("written", &written, format).unwrap(),
                "{case}"
            );
            if format == Format::Csv {
                assert_eq!(again, written, "{case}");
            }
        }
    }
}
