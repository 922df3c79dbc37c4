//! Pushes onto server-held chains (console users', Open311 accounts') with the chain
//! place taken inside the push's transaction: several server processes in front of
//! one database serialise on the push lock, so none of them claims a place another
//! took a moment before.

use super::{
    cached::CachedTx, current, patrols, project_case, push_one, PostgresStorage, PUSH_LOCK,
};
use crate::{account::Account, storage::touched_cases, StorageError};
use gridwork_core::{
    catalog::Catalog,
    geo::Grid,
    model::{Event, GENESIS_HASH},
    sync::wire::PushOutcome,
};

/// [`crate::Storage::push_next`] on PostgreSQL.
pub(super) async fn push_next(
    storage: &PostgresStorage,
    account: &Account,
    mut event: Event,
) -> Result<PushOutcome, StorageError> {
    let mut client = storage.client().await?;
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
        &[&PUSH_LOCK],
    )
    .await?;
    let head = tx
        .query_opt(
            "SELECT last_seq, last_hash FROM devices WHERE device_id = $1",
            &[&event.device_id],
        )
        .await?;
    (event.device_seq, event.prev_hash) = match head {
        Some(r) => (r.get::<_, i64>(0) as u64 + 1, r.get(1)),
        None => (1, GENESIS_HASH.to_string()),
    };
    let grid = current::<Grid>(&tx, &storage.reference.grid).await?;
    let catalog = current::<Catalog>(&tx, &storage.reference.catalog).await?;
    let outcome = push_one(
        &CachedTx::uncached(&tx),
        account,
        &event,
        grid.as_deref(),
        catalog.as_deref(),
        super::now_ms(),
    )
    .await?;
    let events = [event];
    let outcomes = [outcome];
    for stream in &touched_cases(&events, &outcomes) {
        project_case(&tx, stream, catalog.as_deref()).await?;
    }
    patrols::project_touched(&tx, &events, &outcomes, grid.as_deref()).await?;
    tx.commit().await?;
    let [outcome] = outcomes;
    Ok(outcome)
}
