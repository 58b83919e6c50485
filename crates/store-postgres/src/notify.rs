//! Keeps the head watch current: `LISTEN` for commits of other processes,
//! plus a periodic re-read of the head so that a lost connection or a
//! notification dropped during a reconnect never stalls a follower.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Channel the appends of one schema notify on. Channel names are limited to
/// 63 bytes and schema names may use all of them, so the schema is hashed
/// (stable across processes, unlike std's hasher); the payload repeats the
/// schema so a hash collision cannot feed a foreign head into the watch.
pub(crate) fn channel_for(schema: &str) -> String {
    // FNV-1a, 64 bit.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in schema.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("stdreg_log_{hash:016x}")
}

pub(crate) fn payload(head: u64, schema: &str) -> String {
    format!("{head} {schema}")
}

fn parse_payload(payload: &str, schema: &str) -> Option<u64> {
    let (head, from) = payload.split_once(' ')?;
    if from != schema {
        return None;
    }
    head.parse().ok()
}

/// Raises the watched head; never lowers it, since readers of several
/// sources (own appends, notifications, polls) race.
pub(crate) fn raise(tx: &watch::Sender<u64>, head: u64) {
    tx.send_if_modified(|current| {
        if head > *current {
            *current = head;
            true
        } else {
            false
        }
    });
}

pub(crate) async fn read_head(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let head: i64 = sqlx::query_scalar("SELECT head FROM stdreg_log_head")
        .fetch_one(pool)
        .await?;
    // A negative head is refused by a CHECK constraint; treat it as empty rather than panic.
    Ok(u64::try_from(head).unwrap_or(0))
}

/// Aborts the background tasks when the store goes away.
#[derive(Debug)]
pub(crate) struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

pub(crate) fn spawn(
    listener: PgListener,
    pool: PgPool,
    schema: String,
    head: Arc<watch::Sender<u64>>,
    poll_interval: Duration,
) -> Tasks {
    let listen = tokio::spawn(listen(
        listener,
        pool.clone(),
        schema,
        head.clone(),
        poll_interval,
    ));
    let poll = tokio::spawn(poll(pool, head, poll_interval));
    Tasks(vec![listen, poll])
}

async fn listen(
    mut listener: PgListener,
    pool: PgPool,
    schema: String,
    head: Arc<watch::Sender<u64>>,
    poll_interval: Duration,
) {
    // Backs off after errors so a database that is down is not hammered.
    let retry_after = poll_interval.clamp(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                if let Some(new_head) = parse_payload(notification.payload(), &schema) {
                    raise(&head, new_head);
                }
            }
            Ok(None) => {
                // Reconnected: whatever was notified meanwhile is lost, so re-read.
                tracing::debug!("event log listener reconnected");
                if let Ok(new_head) = read_head(&pool).await {
                    raise(&head, new_head);
                }
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => {
                tracing::warn!(%error, "event log listener failed; polling covers until it recovers");
                tokio::time::sleep(retry_after).await;
            }
        }
    }
}

async fn poll(pool: PgPool, head: Arc<watch::Sender<u64>>, poll_interval: Duration) {
    let mut ticks = tokio::time::interval(poll_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match read_head(&pool).await {
            Ok(new_head) => raise(&head, new_head),
            Err(sqlx::Error::PoolClosed) => return,
            Err(error) => tracing::debug!(%error, "polling the event log head failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_is_a_short_stable_identifier() {
        let long = "s".repeat(63);
        let channel = channel_for(&long);
        assert!(channel.len() <= 63);
        assert_eq!(channel, channel_for(&long));
        assert_ne!(channel_for("a"), channel_for("b"));
        assert!(
            channel
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        );
    }

    #[test]
    fn payload_of_another_schema_is_ignored() {
        assert_eq!(parse_payload(&payload(42, "a b"), "a b"), Some(42));
        assert_eq!(parse_payload(&payload(42, "a"), "b"), None);
        assert_eq!(parse_payload("garbage", "a"), None);
    }

    #[test]
    fn head_never_goes_back() {
        let (tx, rx) = watch::channel(5);
        raise(&tx, 3);
        assert_eq!(*rx.borrow(), 5);
        raise(&tx, 9);
        assert_eq!(*rx.borrow(), 9);
    }
}
