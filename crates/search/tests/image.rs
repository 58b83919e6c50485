//! An index read back from its image answers as the index it was taken of,
//! and bytes that are not a whole image of this timeline are refused, never a panic.

mod common;

use search::analyzer::Grams;
use search::{Filter, ImageError, Request, SearchIndex, When};

use common::{bundled, date};

/// Every hit of every word, at a date and over history, with the index's sizes.
fn answers(index: &SearchIndex, timeline: &timeline::Timeline) -> Vec<String> {
    let mut out = Vec::new();
    for word in [
        "儿童",
        "养老",
        "服务",
        "就业 OR 教育",
        "残疾人 -儿童",
        "免费",
    ] {
        let query = search::Query::parse(word).expect("query parses");
        for when in [
            When::At {
                valid_at: date("2024-06-01"),
                known_at: None,
            },
            When::History { known_at: None },
        ] {
            let request = Request {
                query: &query,
                filter: &Filter::default(),
                when,
                first: search::PAGE_SIZE_MAX,
                after: None,
            };
            let page = index.search(timeline, &request).expect("search answers");
            out.push(format!("{word} {when:?}: {page:?}"));
        }
    }
    let stats = index.stats();
    out.push(format!(
        "{} {} {} {}",
        stats.standards, stats.items, stats.terms, stats.postings
    ));
    out
}

#[test]
fn an_image_reads_back_into_an_index_that_answers_the_same() {
    let mut indexes = [SearchIndex::default()];
    let timeline = bundled(&mut indexes);
    let [index] = indexes;
    let image = index.image();
    let restored =
        SearchIndex::from_image(&image, Box::new(Grams), &timeline).expect("image reads back");
    assert_eq!(answers(&restored, &timeline), answers(&index, &timeline));
    assert_eq!(
        restored.image(),
        image,
        "an image of the restored index is the same bytes"
    );
}

#[test]
fn a_cut_or_altered_image_is_refused_without_a_panic() {
    let mut indexes = [SearchIndex::default()];
    let timeline = bundled(&mut indexes);
    let image = indexes[0].image();
    let step = (image.len() / 2_000).max(1);
    for end in (0..image.len()).step_by(step) {
        assert!(
            SearchIndex::from_image(&image[..end], Box::new(Grams), &timeline).is_err(),
            "an image cut at byte {end} of {} was read",
            image.len()
        );
    }
    // A flipped byte may still read (a posting set with another item), but never panics.
    for at in (0..image.len()).step_by(step) {
        let mut altered = image.clone();
        altered[at] ^= 0xA5;
        let _ = SearchIndex::from_image(&altered, Box::new(Grams), &timeline);
    }
    let mut other_version = image.clone();
    other_version[0] ^= 1;
    assert!(matches!(
        SearchIndex::from_image(&other_version, Box::new(Grams), &timeline),
        Err(ImageError::Version { .. })
    ));
}

#[test]
fn an_image_of_another_timeline_is_refused() {
    let mut indexes = [SearchIndex::default()];
    bundled(&mut indexes);
    let image = indexes[0].image();
    let empty = timeline::Timeline::new();
    assert!(matches!(
        SearchIndex::from_image(&image, Box::new(Grams), &empty),
        Err(ImageError::OtherTimeline(_))
    ));
}
