//! Answers to read-only queries, kept while nothing they depend on changes.
//!
//! A query's answer depends only on the index (which moves only when the
//! indexed log position does), the latest signed checkpoint, today's date
//! (the default `validAt`), whether the caller may see actors, and the
//! request itself. All of these are in the key, so an entry can never be
//! older than its key: the index is updated before its position is
//! published. Entries of older positions simply stop being asked for and
//! age out.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use chrono::NaiveDate;

use crate::limits::{ANSWER_BYTES_MAX, ANSWERS_BYTES_MAX, ANSWERS_MAX};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AnswerKey {
    pub indexed_position: u64,
    /// The latest checkpoint's whole note: its size, and the cosignatures
    /// witnesses add to it later without the size changing.
    pub checkpoint_note: Option<String>,
    pub today: NaiveDate,
    pub sees_actors: bool,
    pub media: &'static str,
    pub operation_name: Option<String>,
    pub query: String,
    pub variables: String,
}

#[derive(Debug, Default)]
struct Inner {
    answers: HashMap<Arc<AnswerKey>, Bytes>,
    /// Insertion order, oldest first: what is dropped when a bound is reached.
    order: VecDeque<Arc<AnswerKey>>,
    bytes: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Answers {
    inner: Mutex<Inner>,
}

impl Answers {
    pub fn get(&self, key: &AnswerKey) -> Option<Bytes> {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.answers.get(key).cloned()
    }

    pub fn put(&self, key: AnswerKey, answer: Bytes) {
        let size = answer.len() + key.query.len() + key.variables.len();
        if size > ANSWER_BYTES_MAX {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let key = Arc::new(key);
        if inner.answers.contains_key(&key) {
            return;
        }
        while inner.answers.len() >= ANSWERS_MAX || inner.bytes + size > ANSWERS_BYTES_MAX {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(dropped) = inner.answers.remove(&oldest) {
                inner.bytes -= dropped.len() + oldest.query.len() + oldest.variables.len();
            }
        }
        inner.bytes += size;
        inner.order.push_back(Arc::clone(&key));
        inner.answers.insert(key, answer);
    }
}
