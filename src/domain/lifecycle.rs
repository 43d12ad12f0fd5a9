//! The image status machine (Glance's `Image.valid_state_targets`): which event moves an image
//! from which status to which. Every status change in the service goes through `transition`.

use crate::domain::image::ImageStatus;
use serde::{Deserialize, Serialize};

/// Something that happens to an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    /// `PUT /file` begins.
    BeginUpload,
    /// The upload finished and the data is stored.
    UploadSucceeded,
    /// The upload failed (disconnect, size mismatch, full disk, bad data, crash recovery).
    UploadFailed,
    /// `PUT /stage` begins.
    BeginStage,
    /// Staging failed.
    StageFailed,
    /// An import begins.
    BeginImport,
    /// An import finished.
    ImportSucceeded,
    /// An import failed.
    ImportFailed,
    /// A location was added to a queued image.
    AddLocation,
    /// `POST /actions/deactivate`.
    Deactivate,
    /// `POST /actions/reactivate`.
    Reactivate,
    /// `DELETE /images/{id}`.
    Delete,
    /// `DELETE /images/{id}` with delayed delete on: the data stays until the scrubber runs.
    DelayedDelete,
    /// The scrubber removed the data of an image pending deletion.
    Scrub,
    /// An image pending deletion was restored (it still has its data).
    Restore,
}

/// An event that is not allowed in the image's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("cannot {event:?} an image in status {from}")]
pub struct TransitionError {
    /// The status the image was in.
    pub from: ImageStatus,
    /// What was attempted.
    pub event: Event,
}

/// The status after `event` happens to an image in status `from`.
pub fn transition(from: ImageStatus, event: Event) -> Result<ImageStatus, TransitionError> {
    use Event as E;
    use ImageStatus as S;
    let to = match (from, event) {
        (S::Deleted, _) => None,
        (S::PendingDelete, E::Scrub) => Some(S::Deleted),
        (S::PendingDelete, E::Restore) => Some(S::Active),
        (S::PendingDelete, _) => None,
        // Only images with data wait for the scrubber; the others go at once (as in Glance).
        (S::Active | S::Deactivated, E::DelayedDelete) => Some(S::PendingDelete),
        (_, E::DelayedDelete) => Some(S::Deleted),
        (_, E::Delete) => Some(S::Deleted),
        (S::Queued, E::BeginUpload) => Some(S::Saving),
        (S::Queued, E::BeginStage) => Some(S::Uploading),
        (S::Queued, E::BeginImport) => Some(S::Importing),
        (S::Queued, E::AddLocation) => Some(S::Active),
        (S::Saving, E::UploadSucceeded) => Some(S::Active),
        (S::Saving, E::UploadFailed) => Some(S::Queued),
        (S::Uploading, E::BeginImport) => Some(S::Importing),
        (S::Uploading, E::StageFailed) => Some(S::Queued),
        (S::Importing, E::ImportSucceeded) => Some(S::Active),
        (S::Importing, E::ImportFailed) => Some(S::Queued),
        (S::Active, E::Deactivate) | (S::Deactivated, E::Deactivate) => Some(S::Deactivated),
        (S::Deactivated, E::Reactivate) | (S::Active, E::Reactivate) => Some(S::Active),
        _ => None,
    };
    to.ok_or(TransitionError { from, event })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ImageStatus as S;

    const EVENTS: [Event; 15] = [
        Event::BeginUpload,
        Event::UploadSucceeded,
        Event::UploadFailed,
        Event::BeginStage,
        Event::StageFailed,
        Event::BeginImport,
        Event::ImportSucceeded,
        Event::ImportFailed,
        Event::AddLocation,
        Event::Deactivate,
        Event::Reactivate,
        Event::Delete,
        Event::DelayedDelete,
        Event::Scrub,
        Event::Restore,
    ];

    /// Every allowed (status, event) pair with its outcome; every pair not listed must fail.
    fn allowed() -> Vec<(S, Event, S)> {
        use Event::*;
        let mut v = vec![
            (S::Queued, BeginUpload, S::Saving),
            (S::Queued, BeginStage, S::Uploading),
            (S::Queued, BeginImport, S::Importing),
            (S::Queued, AddLocation, S::Active),
            (S::Saving, UploadSucceeded, S::Active),
            (S::Saving, UploadFailed, S::Queued),
            (S::Uploading, BeginImport, S::Importing),
            (S::Uploading, StageFailed, S::Queued),
            (S::Importing, ImportSucceeded, S::Active),
            (S::Importing, ImportFailed, S::Queued),
            (S::Active, Deactivate, S::Deactivated),
            (S::Active, Reactivate, S::Active),
            (S::Deactivated, Reactivate, S::Active),
            (S::Deactivated, Deactivate, S::Deactivated),
        ];
        for s in S::ALL {
            if s != S::Deleted && s != S::PendingDelete {
                v.push((s, Delete, S::Deleted));
                let delayed = if matches!(s, S::Active | S::Deactivated) {
                    S::PendingDelete
                } else {
                    S::Deleted
                };
                v.push((s, DelayedDelete, delayed));
            }
        }
        v.push((S::PendingDelete, Scrub, S::Deleted));
        v.push((S::PendingDelete, Restore, S::Active));
        v
    }

    #[test]
    fn every_status_event_pair() {
        let table = allowed();
        let mut checked = 0;
        for from in S::ALL {
            for event in EVENTS {
                let expect = table
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|t| t.2);
                match (transition(from, event), expect) {
                    (Ok(to), Some(want)) => assert_eq!(to, want, "{from} + {event:?}"),
                    (Err(e), None) => assert_eq!(e, TransitionError { from, event }),
                    (got, want) => panic!("{from} + {event:?}: got {got:?}, want {want:?}"),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, S::ALL.len() * EVENTS.len());
    }
}
