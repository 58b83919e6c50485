//! What a publish or an import would record, decided exactly as they decide
//! it, shown as a diff of the edition it would change; nothing is appended.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta, Utc};
use domain::command::{Change, PublishRevision, WholeStandard};
use domain::ids::{Jurisdiction, RevisionId};
use domain::model::RevisionInfo;
use serde::Serialize;
use timeline::{Diff, StandardTimeline};

use crate::query::Point;
use crate::service::{Recorded, simulate};
use crate::view::DiffView;
use crate::{Registry, RegistryError};

/// Which command is previewed: they differ on revisions already recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewOf {
    /// `import`: a revision recorded with the same document is skipped.
    Import,
    /// `publish`: every revision is new, and all are of one standard.
    Publish,
}

/// What one revision would record.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub revision: RevisionId,
    pub jurisdiction: Jurisdiction,
    pub effective_from: NaiveDate,
    /// `would_publish`, or `already_recorded` (an import skips it).
    pub outcome: &'static str,
    /// Events the revision would append.
    pub event_count: usize,
    /// The edition in force on `effective_from` as the registry stands (with
    /// the revisions before this one in the file), against the edition this
    /// revision would leave there.
    pub diff: DiffView,
}

impl Registry {
    /// The changes that make the standard in force on the revision's
    /// effective date, as the registry stands, what `whole` states: the
    /// comparison a whole-standard revision is decided with
    /// ([`domain::restating_changes`]), for a correction or adjustment that a
    /// table states whole. Empty when `whole` restates the standard as it is.
    pub async fn restating_changes(
        &self,
        revision: &RevisionInfo,
        whole: &WholeStandard,
    ) -> Result<Vec<Change>, RegistryError> {
        self.catch_up().await?;
        let timeline = self.timeline();
        let history = timeline
            .standard(&revision.jurisdiction)
            .map_or(&[][..], StandardTimeline::events);
        domain::restating_changes(history, revision.effective_from, whole).map_err(|source| {
            RegistryError::Rejected {
                revision: revision.id.clone(),
                source: Box::new(source),
            }
        })
    }

    /// Decides `commands` as [`Registry::import`] or [`Registry::publish_all`]
    /// would, and says what each would change, appending nothing. A revision
    /// they would refuse is refused here with the same error.
    pub async fn preview(
        &self,
        commands: &[PublishRevision],
        actor: &str,
        of: PreviewOf,
    ) -> Result<Vec<Preview>, RegistryError> {
        self.catch_up().await?;
        if of == PreviewOf::Publish
            && let Some(first) = commands.first()
            && let Some(other) = commands
                .iter()
                .map(|c| &c.revision.jurisdiction)
                .find(|j| **j != first.revision.jurisdiction)
        {
            return Err(RegistryError::SeveralStandards {
                first: first.revision.jurisdiction.clone(),
                other: other.clone(),
            });
        }
        let timeline = self.timeline();
        let recorded = match of {
            PreviewOf::Import => Recorded::Skip,
            PreviewOf::Publish => Recorded::Refuse,
        };
        let planned = self.plan(&timeline, commands, actor, recorded)?;
        // Later than anything recorded, as the store would record it.
        let now = timeline
            .standards()
            .filter_map(StandardTimeline::last_recorded_at)
            .max()
            .map_or_else(Utc::now, |last| {
                Utc::now().max(last + TimeDelta::microseconds(1))
            });
        let mut position = timeline.last_global_position();
        let mut simulated: BTreeMap<Jurisdiction, StandardTimeline> = BTreeMap::new();
        let mut previews = Vec::with_capacity(commands.len());
        for (command, events) in commands.iter().zip(planned) {
            let info = &command.revision;
            let standard = simulated
                .entry(info.jurisdiction.clone())
                .or_insert_with(|| {
                    timeline
                        .standard(&info.jurisdiction)
                        .cloned()
                        .unwrap_or_else(|| StandardTimeline::new(info.jurisdiction.clone()))
                });
            let point = Point::new(info.effective_from, None);
            let before = standard.edition(info.effective_from, None);
            let (outcome, event_count) = match events {
                Some(events) => {
                    let count = events.len();
                    standard.ingest(simulate(events, &mut position, now));
                    ("would_publish", count)
                }
                None => ("already_recorded", 0),
            };
            let after = standard.edition(info.effective_from, None);
            let diff = Diff::between(before.snapshot(), after.snapshot());
            previews.push(Preview {
                revision: info.id.clone(),
                jurisdiction: info.jurisdiction.clone(),
                effective_from: info.effective_from,
                outcome,
                event_count,
                diff: DiffView::new(&diff, point, point, before.snapshot(), after.snapshot()),
            });
        }
        Ok(previews)
    }
}
