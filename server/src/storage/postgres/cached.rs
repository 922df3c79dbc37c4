//! The push path's statements prepared once per connection instead of once per use.
//!
//! A statement given to tokio-postgres as text is parsed and planned again at every
//! call, a round trip of its own before the one that runs it. The group committer runs
//! every push on one connection it keeps between batches, under the push lock, so each
//! round trip saved there is time every other push waits less. [`CachedTx`] is that
//! connection's transaction with the statements it has prepared; it dereferences to
//! the [`Transaction`], so code that takes a plain transaction takes it too.

use std::{collections::HashMap, ops::Deref, sync::Mutex};
use tokio_postgres::{types::ToSql, Error, Row, Statement, Transaction};

/// Statements prepared on one connection, by their text. They are valid only on the
/// connection that prepared them: a new connection starts with a new cache.
#[derive(Default)]
pub(super) struct Statements(Mutex<HashMap<&'static str, Statement>>);

/// A transaction that runs the statements it is given through a cache of prepared
/// ones (see the module), or runs them as text when it has none.
pub(super) struct CachedTx<'t, 'c> {
    tx: &'t Transaction<'c>,
    statements: Option<&'t Statements>,
}

type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

impl<'t, 'c> CachedTx<'t, 'c> {
    /// `tx` with the statements prepared on its connection.
    pub(super) fn new(tx: &'t Transaction<'c>, statements: &'t Statements) -> Self {
        CachedTx {
            tx,
            statements: Some(statements),
        }
    }

    /// `tx` preparing nothing: for the paths that run once per request on a pooled
    /// connection, where a cache would not outlive the request.
    pub(super) fn uncached(tx: &'t Transaction<'c>) -> Self {
        CachedTx {
            tx,
            statements: None,
        }
    }

    async fn statement(&self, sql: &'static str) -> Result<Option<Statement>, Error> {
        let Some(statements) = self.statements else {
            return Ok(None);
        };
        let known = statements
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(sql)
            .cloned();
        if let Some(statement) = known {
            return Ok(Some(statement));
        }
        let statement = self.tx.prepare(sql).await?;
        statements
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(sql, statement.clone());
        Ok(Some(statement))
    }

    /// [`Transaction::query_opt`] through the cache.
    pub(super) async fn query_opt(
        &self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Option<Row>, Error> {
        match self.statement(sql).await? {
            Some(s) => self.tx.query_opt(&s, params).await,
            None => self.tx.query_opt(sql, params).await,
        }
    }

    /// [`Transaction::query_one`] through the cache.
    pub(super) async fn query_one(
        &self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Row, Error> {
        match self.statement(sql).await? {
            Some(s) => self.tx.query_one(&s, params).await,
            None => self.tx.query_one(sql, params).await,
        }
    }

    /// [`Transaction::query`] through the cache.
    pub(super) async fn query(
        &self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<Vec<Row>, Error> {
        match self.statement(sql).await? {
            Some(s) => self.tx.query(&s, params).await,
            None => self.tx.query(sql, params).await,
        }
    }

    /// [`Transaction::execute`] through the cache.
    pub(super) async fn execute(
        &self,
        sql: &'static str,
        params: Params<'_>,
    ) -> Result<u64, Error> {
        match self.statement(sql).await? {
            Some(s) => self.tx.execute(&s, params).await,
            None => self.tx.execute(sql, params).await,
        }
    }

    /// How many statements the cache holds (for tests).
    #[cfg(test)]
    pub(super) fn prepared(&self) -> usize {
        self.statements
            .map_or(0, |s| s.0.lock().unwrap_or_else(|p| p.into_inner()).len())
    }
}

impl<'c> Deref for CachedTx<'_, 'c> {
    type Target = Transaction<'c>;

    fn deref(&self) -> &Transaction<'c> {
        self.tx
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A cached statement is prepared once on its connection and used again in later
    /// transactions, a rolled-back one included; an uncached transaction prepares none.
    #[tokio::test]
    async fn a_statement_is_prepared_once_per_connection() {
        let Some(url) = super::super::test_pg_url("a_statement_is_prepared_once_per_connection")
        else {
            return;
        };
        let (mut client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        const SQL: &str = "SELECT $1::int + 1";
        async fn prepared(tx: &Transaction<'_>) -> i64 {
            tx.query_one(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
                &[&SQL],
            )
            .await
            .unwrap()
            .get(0)
        }
        let statements = Statements::default();
        for round in 0..3i32 {
            let tx = client.transaction().await.unwrap();
            let cached = CachedTx::new(&tx, &statements);
            let n: i32 = cached.query_one(SQL, &[&round]).await.unwrap().get(0);
            assert_eq!(n, round + 1);
            assert_eq!(cached.prepared(), 1);
            assert_eq!(prepared(&tx).await, 1, "round {round}");
            if round == 1 {
                tx.rollback().await.unwrap();
            } else {
                tx.commit().await.unwrap();
            }
        }

        let (mut other, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let tx = other.transaction().await.unwrap();
        let plain = CachedTx::uncached(&tx);
        assert_eq!(
            plain
                .query_one(SQL, &[&41i32])
                .await
                .unwrap()
                .get::<_, i32>(0),
            42
        );
        assert_eq!(plain.prepared(), 0);
        assert_eq!(prepared(&tx).await, 0);
    }
}
