//! Idempotency keys of the REST API: the first successful response to a key is kept with a hash
//! of its request body; the same key and body get that response again, the same key with
//! another body is refused. Keys are per reseller and stored hashed.

use crate::scope::ResellerId;
use crate::entity::api_idempotency;
use crate::Result;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, SqlErr};
use sha2::{Digest, Sha256};

/// SHA-256 of `bytes`, hex.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What an earlier request with the same key left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Earlier {
    /// None: do the work.
    None,
    /// The same body: answer with this status and body again.
    Replay { status: u16, response: String },
    /// Another body under the same key.
    Mismatch,
}

/// A creating request's `Idempotency-Key`, for a service to answer inside the transaction that
/// does the work: the key is stored with the first answer if and only if the work commits, so
/// a retry after a lost answer always replays it.
pub struct Answer<'a, T: ?Sized> {
    pub reseller_id: ResellerId,
    pub key: &'a str,
    /// What identifies the request (method, path, body): the same key with another is refused.
    pub fingerprint: &'a [u8],
    /// The status the first answer has.
    pub status: u16,
    /// The first answer's body, from what the work made.
    pub render: &'a (dyn Fn(&T) -> String + Send + Sync),
}

impl<T: ?Sized> Answer<'_, T> {
    /// Stores the answer for `made` in the caller's transaction. Another request with the same
    /// key that committed first makes this [`crate::Error::AlreadyAnswered`]: the caller's
    /// transaction must then be rolled back, and that answer replayed.
    pub async fn store(&self, txn: &impl ConnectionTrait, made: &T) -> Result<()> {
        let inserted = api_idempotency::ActiveModel {
            reseller_id: Set(self.reseller_id.get()),
            key_hash: Set(digest(self.key.as_bytes())),
            body_hash: Set(digest(self.fingerprint)),
            status: Set(i32::from(self.status)),
            response: Set((self.render)(made)),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(txn)
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(crate::Error::AlreadyAnswered),
            Err(e) => Err(e.into()),
        }
    }
}

/// Looks `key` up for `reseller_id`, comparing `body`.
pub async fn earlier(db: &impl ConnectionTrait, reseller_id: ResellerId, key: &str, body: &[u8]) -> Result<Earlier> {
    let found = api_idempotency::Entity::find()
        .filter(api_idempotency::Column::ResellerId.eq(reseller_id))
        .filter(api_idempotency::Column::KeyHash.eq(digest(key.as_bytes())))
        .one(db)
        .await?
        // A key answers for a day (`sweep::IDEMPOTENCY_HOURS`); an older record, not yet
        // swept, no longer counts.
        .filter(|row| row.created_at > Utc::now() - chrono::Duration::hours(crate::sweep::IDEMPOTENCY_HOURS));
    Ok(match found {
        None => Earlier::None,
        Some(row) if row.body_hash == digest(body) => Earlier::Replay { status: row.status as u16, response: row.response },
        Some(_) => Earlier::Mismatch,
    })
}

/// Remembers the response to `key`. If a concurrent request stored one first, returns what
/// that one left instead (so both answer the same).
pub async fn remember(db: &DatabaseConnection, reseller_id: ResellerId, key: &str, body: &[u8], status: u16, response: &str) -> Result<Earlier> {
    // Behind the write gate like every write on the create path (see `db::Work`).
    let txn = crate::db::Work::begin(db).await?;
    let inserted = api_idempotency::ActiveModel {
        reseller_id: Set(reseller_id.get()),
        key_hash: Set(digest(key.as_bytes())),
        body_hash: Set(digest(body)),
        status: Set(i32::from(status)),
        response: Set(response.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => {
            txn.commit().await?;
            Ok(Earlier::None)
        }
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            drop(txn);
            earlier(db, reseller_id, key, body).await
        }
        Err(e) => Err(e.into()),
    }
}
