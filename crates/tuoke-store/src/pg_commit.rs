//! A conversation commit on PostgreSQL: the plain customer turn in one statement, any other
//! commit in a transaction, and finding out why nothing was written. (SQLite commits go through
//! the [`writer`](crate::writer) thread, which runs the same SQL.) [`stmt_query`] turns one of
//! the statements of [`writes`] into an sqlx query of either engine.

use crate::writes;

/// `params` as sqlx arguments of either engine.
fn sqlx_args<DB: sqlx::Database>(
    params: &[writes::Param<'_>],
) -> std::result::Result<DB::Arguments, sqlx::error::BoxDynError>
where
    for<'t> Option<&'t str>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<i64>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    use sqlx::Arguments;
    let mut args = DB::Arguments::default();
    for p in params {
        match p {
            writes::Param::Text(t) => args.add(t.as_deref())?,
            writes::Param::Int(i) => args.add(*i)?,
        }
    }
    Ok(args)
}

/// A commit statement as an sqlx query of either engine.
pub(crate) fn stmt_query<'q, DB: sqlx::Database>(
    s: &writes::Stmt<'_>,
) -> std::result::Result<sqlx::query::Query<'q, DB, DB::Arguments>, sqlx::Error>
where
    for<'t> Option<&'t str>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> Option<i64>: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
{
    let args = sqlx_args::<DB>(&s.params).map_err(sqlx::Error::Encode)?;
    Ok(sqlx::query_with(s.sql, args))
}

/// A customer turn (two messages, no handoff, no webhook events) in one PostgreSQL statement:
/// the version-checked conversation update, both message rows and the lead update as
/// data-modifying CTEs that write only if the update matched. One statement is one implicit
/// transaction, so a turn costs one round trip instead of five (BEGIN, update, insert, lead,
/// COMMIT). Under READ COMMITTED a concurrent commit to the same conversation makes the update wait
/// for its row lock and then re-check `version`, which no longer matches: nothing is written.
const PG_TURN: &str = "WITH upd AS (\
        UPDATE conversations SET state = $1, status = $2, stage = $3, version = version + 1, \
        last_seq = $4, updated_at = $5 WHERE id = $6 AND version = $7 \
        AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $6 AND client_message_id = $8) \
        RETURNING id), \
    ins AS (INSERT INTO messages (id, conversation_id, seq, role, text, analysis, citations, agent, \
        intent, sentiment, client_message_id, result, day, created_at, llm) \
        SELECT * FROM (VALUES \
        ($9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23), \
        ($24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38)) AS v \
        WHERE EXISTS (SELECT 1 FROM upd) RETURNING 1), \
    lead AS (UPDATE leads SET score = COALESCE($39, score), grade = COALESCE($40, grade), \
        evidence = COALESCE($41, evidence), last_activity = $5, \
        last_message = COALESCE($42, last_message) \
        WHERE conversation_id = $6 AND EXISTS (SELECT 1 FROM upd) RETURNING 1) \
    SELECT count(*) FROM upd";

/// Whether [`apply_pg_turn`] can write `job` (the common customer turn: nothing but the
/// conversation, two messages and the lead).
pub(crate) fn is_plain_turn(job: &writes::Job) -> bool {
    job.messages.len() == 2
        && job.handoff.is_none()
        && job.events.is_empty()
        && job.contact.is_none()
        && job.audit.is_none()
        && job.outcome.is_none()
}

/// Writes a plain turn with [`PG_TURN`]; when it writes nothing, finds out why.
pub(crate) async fn apply_pg_turn(
    pool: &sqlx::PgPool,
    job: &writes::Job,
) -> std::result::Result<writes::Outcome, sqlx::Error> {
    let [a, b] = job.messages.as_slice() else {
        return Err(sqlx::Error::Protocol(
            "a plain turn has two messages".into(),
        ));
    };
    let lead = job.lead.as_ref();
    let mut params = writes::conversation_update(job);
    params.extend(writes::message_params(
        a,
        job.client_message_id.as_deref(),
        job.result.as_deref(),
    ));
    params.extend(writes::message_params(b, None, None));
    params.extend([
        writes::Param::Int(lead.map(|l| l.score)),
        writes::Param::Text(lead.map(|l| l.grade.as_str().into())),
        writes::Param::Text(lead.map(|l| l.evidence.as_str().into())),
        writes::Param::Text(Some(b.text.as_str().into())),
    ]);
    let args = sqlx_args::<sqlx::Postgres>(&params).map_err(sqlx::Error::Encode)?;
    let updated: i64 = sqlx::query_scalar_with(PG_TURN, args)
        .fetch_one(pool)
        .await?;
    if updated > 0 {
        return Ok(writes::Outcome::Done);
    }
    let mut conn = pool.acquire().await?;
    why_not_written(&mut conn, job).await
}

/// After a version-checked update matched no row: the conversation is gone, the
/// client_message_id was used, or another writer moved the version on.
async fn why_not_written(
    conn: &mut sqlx::PgConnection,
    job: &writes::Job,
) -> std::result::Result<writes::Outcome, sqlx::Error> {
    use writes::sql;
    let exists: Option<i64> = sqlx::query_scalar(sql::CONVERSATION_VERSION)
        .bind(&job.conversation_id)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_none() {
        return Ok(writes::Outcome::NotFound);
    }
    if let Some(cmid) = &job.client_message_id {
        let used: Option<i64> = sqlx::query_scalar(sql::CLIENT_MESSAGE_USED)
            .bind(&job.conversation_id)
            .bind(cmid)
            .fetch_optional(&mut *conn)
            .await?;
        if used.is_some() {
            return Ok(writes::Outcome::Duplicate);
        }
    }
    Ok(writes::Outcome::Conflict)
}

/// Applies one conversation commit inside an open PostgreSQL transaction. (SQLite commits go
/// through the [`writer`](crate::writer) thread, which runs the same SQL.) A conflict, an
/// unknown conversation or a used `client_message_id` is found before anything is written.
pub(crate) async fn apply_pg(
    conn: &mut sqlx::PgConnection,
    job: &writes::Job,
) -> std::result::Result<writes::Outcome, sqlx::Error> {
    use writes::{Stmt, sql};
    // The update locks the row, and the version check makes the lost update impossible.
    let update = Stmt {
        sql: sql::UPDATE_CONVERSATION,
        params: writes::conversation_update(job),
    };
    let updated = stmt_query(&update)?
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if updated == 0 {
        return why_not_written(conn, job).await;
    }
    for s in writes::commit_writes(job) {
        stmt_query(&s)?.execute(&mut *conn).await?;
    }
    if !job.events.is_empty() {
        let subs: Vec<(String, String)> = sqlx::query_as(sql::ACTIVE_WEBHOOKS)
            .fetch_all(&mut *conn)
            .await?;
        for s in writes::delivery_writes(job, &subs) {
            stmt_query(&s)?.execute(&mut *conn).await?;
        }
    }
    Ok(writes::Outcome::Done)
}
