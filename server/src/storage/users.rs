//! What operators see and change of accounts (`gridwork admin users`, `/v1/users`), and
//! the audit log every such change is written to, in the same transaction.

use crate::account::Account;
use serde::Serialize;

/// An account with what only operators see: its department and whether it is disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The account (name, role, scope, password hash).
    pub account: Account,
    /// The department a handler works for (a catalogue department id), if any.
    pub department: Option<String>,
    /// A disabled account cannot sign in and its tokens are refused (and deleted).
    pub disabled: bool,
}

/// A user as listed: the record and when the server last heard of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserListing {
    /// The user.
    pub record: UserRecord,
    /// The later of its last sign-in (or token issued) and the receipt of its last
    /// accepted event, unix ms; `None` when the server has heard of neither.
    pub last_activity_ms: Option<i64>,
}

/// One line of the audit log: who changed what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Unix ms of the change.
    pub at_ms: i64,
    /// Who made it: `cli:<os user>` for `gridwork admin`, the account name for the API.
    pub actor: String,
    /// What kind of change: `user.create`, `user.change`, `user.disable`,
    /// `user.enable`, `user.password`, `token.issue`, `catalog.import`, `grid.import`.
    pub action: String,
    /// What it was made to (an account name; empty for the catalogue and grid).
    pub target: String,
    /// What changed, for people (never a password or token).
    pub detail: String,
}

impl AuditEntry {
    /// An entry stamped now.
    pub fn now(actor: &str, action: &str, target: &str, detail: impl Into<String>) -> Self {
        AuditEntry {
            at_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
            actor: actor.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            detail: detail.into(),
        }
    }
}

/// Whether saving `new` over `old` must delete the account's tokens: a role, scope or
/// password change (as [`super::Storage::put_account`]) or disabling it.
pub(crate) fn save_revokes(old: &UserRecord, new: &UserRecord) -> bool {
    super::revokes(&old.account, &new.account) || (new.disabled && !old.disabled)
}
