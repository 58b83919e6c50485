//! The bundled national data and local examples, decided and indexed in process.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::CommandContext;
use domain::event::RecordedEvent;
use search::SearchIndex;
use timeline::Timeline;
use uuid::Uuid;

/// Record time of the first bundled revision; each next one an hour later.
pub fn recorded_at(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::hours(n as i64)
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The bundled revisions (national, then local examples) in the order `stdreg import` records them,
/// with one index per analyzer kept current after each append.
pub fn bundled(indexes: &mut [SearchIndex]) -> Timeline {
    let mut revisions = registry::bundled::national_revisions().expect("national data");
    revisions.extend(registry::bundled_local::local_revisions().expect("local examples"));
    let mut timeline = Timeline::new();
    let mut position = 0;
    let context = CommandContext {
        actor: "test".to_owned(),
        today: date("2026-01-01"),
    };
    for (n, command) in revisions.iter().enumerate() {
        let jurisdiction = command.revision.jurisdiction.clone();
        let history = timeline
            .standard(&jurisdiction)
            .map(|s| s.events().to_vec())
            .unwrap_or_default();
        let events = domain::decide(&history, command, &context)
            .unwrap_or_else(|e| panic!("{}: {e}", command.revision.id));
        let batch: Vec<RecordedEvent> = events
            .into_iter()
            .map(|e| {
                position += 1;
                RecordedEvent {
                    event_id: Uuid::nil(),
                    global_position: position,
                    recorded_at: recorded_at(n),
                    context: e.context,
                    event: e.event,
                }
            })
            .collect();
        timeline.ingest(&jurisdiction, batch);
        let standard = timeline.standard(&jurisdiction).expect("just ingested");
        for index in indexes.iter_mut() {
            index.update(standard);
        }
    }
    timeline
}
