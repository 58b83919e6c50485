//! The tables and their migrations, applied in one transaction on open.

use sqlx::{Connection, PgConnection};

use crate::OpenError;

/// Ordered migrations; the index + 1 is the schema version recorded once applied.
/// Never edit a released entry: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the log and its head.
    r#"
    CREATE TABLE stdreg_log_head (
        -- one row only: appenders lock it to serialise position assignment
        id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
        head BIGINT NOT NULL CHECK (head >= 0),
        last_recorded_at TIMESTAMPTZ
    );
    INSERT INTO stdreg_log_head (id, head, last_recorded_at) VALUES (TRUE, 0, NULL);

    CREATE TABLE stdreg_events (
        global_position BIGINT PRIMARY KEY CHECK (global_position >= 1),
        event_id UUID NOT NULL,
        stream TEXT NOT NULL,
        stream_position BIGINT NOT NULL CHECK (stream_position >= 0),
        event_type TEXT NOT NULL,
        -- BIGINT because INTEGER cannot hold every u32
        schema_version BIGINT NOT NULL CHECK (schema_version BETWEEN 0 AND 4294967295),
        data BYTEA NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT stdreg_events_event_id_key UNIQUE (event_id),
        CONSTRAINT stdreg_events_stream_position_key UNIQUE (stream, stream_position)
    );
    "#,
    // 2: the whole append as one statement in its own transaction: one
    // round trip instead of seven, and the head lock is never held while
    // waiting on the client. Moving the head is what takes the lock; each
    // later statement of a PL/pgSQL function takes a fresh snapshot, so the
    // stream version is read after the lock is granted and sees every append
    // committed before it (a single SQL statement with CTEs would read it
    // from a snapshot taken before the wait). A wrong expected version and a
    // duplicate event id (refused by the unique constraint) both raise, which
    // rolls back the moved head with everything else.
    r#"
    CREATE FUNCTION stdreg_append(
        p_stream TEXT,
        -- NULL: any version; otherwise the version the stream must be at
        p_expected BIGINT,
        p_event_ids UUID[],
        p_event_types TEXT[],
        p_schema_versions BIGINT[],
        p_data BYTEA[],
        p_channel TEXT,
        p_schema TEXT,
        -- all NULL when the head row is missing
        OUT new_version BIGINT,
        OUT new_head BIGINT,
        OUT record_time TIMESTAMPTZ
    )
    LANGUAGE plpgsql
    AS $fn$
    DECLARE
        v_count BIGINT := cardinality(p_event_ids);
        v_version BIGINT;
    BEGIN
        -- The record time as event_store::next_record_time makes it: the
        -- database clock, but never at or before the last record time. After
        -- waiting for the lock behind an append that committed, this is
        -- evaluated again on the row that append left.
        UPDATE stdreg_log_head h
            SET head = h.head + v_count,
                last_recorded_at = GREATEST(clock_timestamp(), h.last_recorded_at + INTERVAL '1 microsecond')
            WHERE h.id
            RETURNING h.head, h.last_recorded_at INTO new_head, record_time;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        SELECT COALESCE(MAX(e.stream_position) + 1, 0) INTO v_version
            FROM stdreg_events e WHERE e.stream = p_stream;
        IF p_expected IS NOT NULL AND p_expected <> v_version THEN
            RAISE EXCEPTION 'stream % is at version %, not %', p_stream, v_version, p_expected
                USING ERRCODE = 'SR409', DETAIL = v_version::TEXT;
        END IF;
        INSERT INTO stdreg_events
            (global_position, event_id, stream, stream_position, event_type, schema_version, data, recorded_at)
        SELECT new_head - v_count + e.n, e.id, p_stream, v_version + e.n - 1, e.t, e.v, e.d, record_time
            FROM unnest(p_event_ids, p_event_types, p_schema_versions, p_data)
                WITH ORDINALITY AS e(id, t, v, d, n);
        PERFORM pg_notify(p_channel, new_head::TEXT || ' ' || p_schema);
        new_version := v_version + v_count;
    END
    $fn$;
    "#,
    // 3: metadata records beside the log (the log's identity, its latest
    // checkpoint), written by compare-and-set.
    r#"
    CREATE TABLE stdreg_metadata (
        key TEXT PRIMARY KEY,
        value BYTEA NOT NULL
    );
    "#,
    // 4: sealed bytes stored with each event (NULL: none), and the append
    // function that takes them. The 8-argument function of migration 2 stays,
    // storing none, so a server of the previous version sharing the database
    // during an upgrade keeps appending.
    r#"
    ALTER TABLE stdreg_events ADD COLUMN sealed BYTEA;

    CREATE FUNCTION stdreg_append(
        p_stream TEXT,
        p_expected BIGINT,
        p_event_ids UUID[],
        p_event_types TEXT[],
        p_schema_versions BIGINT[],
        p_data BYTEA[],
        -- one element per event, NULL for an event without sealed bytes
        p_sealed BYTEA[],
        p_channel TEXT,
        p_schema TEXT,
        OUT new_version BIGINT,
        OUT new_head BIGINT,
        OUT record_time TIMESTAMPTZ
    )
    LANGUAGE plpgsql
    AS $fn$
    DECLARE
        v_count BIGINT := cardinality(p_event_ids);
        v_version BIGINT;
    BEGIN
        -- As in migration 2, with the sealed bytes inserted beside the data.
        UPDATE stdreg_log_head h
            SET head = h.head + v_count,
                last_recorded_at = GREATEST(clock_timestamp(), h.last_recorded_at + INTERVAL '1 microsecond')
            WHERE h.id
            RETURNING h.head, h.last_recorded_at INTO new_head, record_time;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        SELECT COALESCE(MAX(e.stream_position) + 1, 0) INTO v_version
            FROM stdreg_events e WHERE e.stream = p_stream;
        IF p_expected IS NOT NULL AND p_expected <> v_version THEN
            RAISE EXCEPTION 'stream % is at version %, not %', p_stream, v_version, p_expected
                USING ERRCODE = 'SR409', DETAIL = v_version::TEXT;
        END IF;
        IF cardinality(p_sealed) IS DISTINCT FROM v_count THEN
            RAISE EXCEPTION 'sealed bytes for % events, but % events', cardinality(p_sealed), v_count;
        END IF;
        INSERT INTO stdreg_events
            (global_position, event_id, stream, stream_position, event_type, schema_version, data, recorded_at, sealed)
        SELECT new_head - v_count + e.n, e.id, p_stream, v_version + e.n - 1, e.t, e.v, e.d, record_time, e.s
            FROM unnest(p_event_ids, p_event_types, p_schema_versions, p_data, p_sealed)
                WITH ORDINALITY AS e(id, t, v, d, s, n);
        PERFORM pg_notify(p_channel, new_head::TEXT || ' ' || p_schema);
        new_version := v_version + v_count;
    END
    $fn$;
    "#,
];

/// Highest schema version this build knows.
pub(crate) const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema named by the connection's `search_path` up to date.
/// Returns the schema the tables live in.
pub(crate) async fn migrate(conn: &mut PgConnection) -> Result<String, OpenError> {
    let schema: Option<String> = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(&mut *conn)
        .await
        .map_err(|source| OpenError::Query {
            what: "read the current schema",
            source,
        })?;
    let schema = schema.ok_or(OpenError::NoSchema)?;

    let mut tx = conn.begin().await.map_err(|source| OpenError::Query {
        what: "begin the migration transaction",
        source,
    })?;
    // Two processes opening a fresh schema at once would otherwise race on
    // CREATE TABLE; the key is per schema so unrelated logs do not wait.
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':stdreg-migrate', 0))",
    )
    .execute(&mut *tx)
    .await
    .map_err(|source| OpenError::Query {
        what: "take the migration lock",
        source,
    })?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS stdreg_schema_version (
            version BIGINT PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .execute(&mut *tx)
    .await
    .map_err(|source| OpenError::Query {
        what: "create the schema version table",
        source,
    })?;
    let current: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM stdreg_schema_version")
            .fetch_one(&mut *tx)
            .await
            .map_err(|source| OpenError::Query {
                what: "read the schema version",
                source,
            })?;
    if current > LATEST_VERSION {
        return Err(OpenError::SchemaTooNew {
            found: current,
            supported: LATEST_VERSION,
        });
    }
    for (version, sql) in (1_i64..)
        .zip(MIGRATIONS.iter())
        .skip(current.max(0) as usize)
    {
        sqlx::raw_sql(*sql)
            .execute(&mut *tx)
            .await
            .map_err(|source| OpenError::Migrate { version, source })?;
        sqlx::query("INSERT INTO stdreg_schema_version (version) VALUES ($1)")
            .bind(version)
            .execute(&mut *tx)
            .await
            .map_err(|source| OpenError::Migrate { version, source })?;
    }
    tx.commit().await.map_err(|source| OpenError::Query {
        what: "commit the migrations",
        source,
    })?;
    Ok(schema)
}
