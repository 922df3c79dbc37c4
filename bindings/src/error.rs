//! The one error type Kotlin, Swift and Python see, and the one function that decides
//! what each core error becomes.
//!
//! The core's [`gridwork_core::Error`] is rich (it names fields, paths, SQLite codes);
//! the foreign side needs a handful of cases a screen can act on differently — show the
//! message beside the form, ask for a sign-in, refresh a stale case, retry later — each
//! with the core's stable error code, the offending input field and the readable
//! message (the code and field come from `gridwork_core::Error::code` / `field`).

use gridwork_core::{workflow::WorkflowError, Error as CoreError};

/// Why a call into the gridwork core failed. The variant says what a screen can do
/// about it; every variant carries a stable `code` to translate by, the `field` of the
/// input it is about (when it is about one) and a readable English `detail`
/// (docs/mobile.md, "Errors").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum GridworkError {
    /// A field of the input is malformed or out of range (a NaN latitude, an empty
    /// description, a bad case id, a malformed grid or catalogue file, an unknown
    /// department). Show it beside the form; nothing was written.
    #[error("{detail}")]
    InvalidInput {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// The role may never take this action (a worker registering a case). Hide the
    /// button for this role; nothing was written.
    #[error("{detail}")]
    NotPermitted {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// The action does not fit the case as it stands (closing a case that was never
    /// verified, a missing reason or after photo). Refresh the case; nothing was written.
    #[error("{detail}")]
    Workflow {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// No case with that id on this device.
    #[error("{detail}")]
    NotFound {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// The store has no user and device yet: call `init` first.
    #[error("{detail}")]
    NotInitialized {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// The category is not in the imported catalogue (or no catalogue was imported).
    #[error("{detail}")]
    UnknownCategory {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// A photo file to attach does not exist or cannot be read.
    #[error("{detail}")]
    Photo {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// The store cannot be opened, read or written (not a gridwork store, a newer schema,
    /// a full or read-only disk, a file locked too long). Retrying later may help.
    #[error("{detail}")]
    StoreUnavailable {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// An encryption key was given to a library built without SQLCipher.
    /// Nothing was opened.
    #[error("{detail}")]
    EncryptionUnavailable {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// A long read was stopped by `interrupt()`, or a sign-in was cancelled.
    #[error("{detail}")]
    Interrupted {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// The sync server could not be reached or failed (no network, timeout, 5xx, 429).
    /// Try again later.
    #[error("{detail}")]
    Network {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// The server refused the credentials, or they belong to another user than the
    /// store's. Ask the user to sign in again.
    #[error("{detail}")]
    SignInRequired {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// The server speaks another protocol version or answered outside the protocol (a
    /// wrong URL?). Check the server address, or update the app.
    #[error("{detail}")]
    IncompatibleServer {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// Another device or account uses this device's id (the server refused the sign-in,
    /// or sent events of this id this device did not write). Set the device up anew.
    #[error("{detail}")]
    DeviceConflict {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
    /// A bug or stored data gridwork cannot read; report it with the message.
    #[error("{detail}")]
    Internal {
        /// A stable snake_case code (`missing_reason`, `invalid_input`, `unauthorized` …):
        /// translate by it.
        code: String,
        /// The input the error is about (`description`, `lat`, `note`, `photos` …).
        field: Option<String>,
        /// The readable English message.
        detail: String,
    },
}

impl From<CoreError> for GridworkError {
    fn from(e: CoreError) -> Self {
        map_core_error(e)
    }
}

/// What a screen can do about an error: the variant of [`GridworkError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    InvalidInput,
    NotPermitted,
    Workflow,
    NotFound,
    NotInitialized,
    UnknownCategory,
    Photo,
    StoreUnavailable,
    EncryptionUnavailable,
    Interrupted,
    Network,
    SignInRequired,
    IncompatibleServer,
    DeviceConflict,
    Internal,
}

impl GridworkError {
    /// An error of `kind` with its code, field and message.
    pub(crate) fn new(kind: Kind, code: &str, field: Option<&str>, detail: String) -> Self {
        let code = code.to_string();
        let field = field.map(str::to_string);
        use GridworkError as G;
        match kind {
            Kind::InvalidInput => G::InvalidInput {
                code,
                field,
                detail,
            },
            Kind::NotPermitted => G::NotPermitted {
                code,
                field,
                detail,
            },
            Kind::Workflow => G::Workflow {
                code,
                field,
                detail,
            },
            Kind::NotFound => G::NotFound {
                code,
                field,
                detail,
            },
            Kind::NotInitialized => G::NotInitialized {
                code,
                field,
                detail,
            },
            Kind::UnknownCategory => G::UnknownCategory {
                code,
                field,
                detail,
            },
            Kind::Photo => G::Photo {
                code,
                field,
                detail,
            },
            Kind::StoreUnavailable => G::StoreUnavailable {
                code,
                field,
                detail,
            },
            Kind::EncryptionUnavailable => G::EncryptionUnavailable {
                code,
                field,
                detail,
            },
            Kind::Interrupted => G::Interrupted {
                code,
                field,
                detail,
            },
            Kind::Network => G::Network {
                code,
                field,
                detail,
            },
            Kind::SignInRequired => G::SignInRequired {
                code,
                field,
                detail,
            },
            Kind::IncompatibleServer => G::IncompatibleServer {
                code,
                field,
                detail,
            },
            Kind::DeviceConflict => G::DeviceConflict {
                code,
                field,
                detail,
            },
            Kind::Internal => G::Internal {
                code,
                field,
                detail,
            },
        }
    }

    /// A malformed input `field` (code `invalid_input`).
    pub(crate) fn invalid(field: &str, detail: String) -> Self {
        Self::new(Kind::InvalidInput, "invalid_input", Some(field), detail)
    }

    /// A bug or unreadable data (code `internal`).
    pub(crate) fn internal(detail: String) -> Self {
        Self::new(Kind::Internal, "internal", None, detail)
    }

    /// The parts every variant holds: code, field and message.
    fn parts(&self) -> (&str, Option<&str>, &str) {
        use GridworkError as G;
        match self {
            G::InvalidInput {
                code,
                field,
                detail,
            }
            | G::NotPermitted {
                code,
                field,
                detail,
            }
            | G::Workflow {
                code,
                field,
                detail,
            }
            | G::NotFound {
                code,
                field,
                detail,
            }
            | G::NotInitialized {
                code,
                field,
                detail,
            }
            | G::UnknownCategory {
                code,
                field,
                detail,
            }
            | G::Photo {
                code,
                field,
                detail,
            }
            | G::StoreUnavailable {
                code,
                field,
                detail,
            }
            | G::EncryptionUnavailable {
                code,
                field,
                detail,
            }
            | G::Interrupted {
                code,
                field,
                detail,
            }
            | G::Network {
                code,
                field,
                detail,
            }
            | G::SignInRequired {
                code,
                field,
                detail,
            }
            | G::IncompatibleServer {
                code,
                field,
                detail,
            }
            | G::DeviceConflict {
                code,
                field,
                detail,
            }
            | G::Internal {
                code,
                field,
                detail,
            } => (code, field.as_deref(), detail),
        }
    }

    /// The stable code (for Rust callers).
    pub fn code(&self) -> &str {
        self.parts().0
    }

    /// The input field, when the error is about one (for Rust callers).
    pub fn field(&self) -> Option<&str> {
        self.parts().1
    }

    /// The readable message (for Rust callers; `Display` shows the same).
    pub fn detail(&self) -> &str {
        self.parts().2
    }
}

/// The single place that decides what each core error becomes on the foreign side.
pub fn map_core_error(e: CoreError) -> GridworkError {
    let kind = match &e {
        CoreError::InvalidInput { .. }
        | CoreError::Model(_)
        | CoreError::Grid(_)
        | CoreError::Catalog(_)
        | CoreError::Calendar(_)
        | CoreError::UnknownDepartment(_)
        | CoreError::Patrol(_) => Kind::InvalidInput,
        CoreError::PatrolState(_) => Kind::Workflow,
        CoreError::Workflow(WorkflowError::NotPermitted { .. }) => Kind::NotPermitted,
        CoreError::Workflow(WorkflowError::UnknownStatus(_)) => Kind::InvalidInput,
        CoreError::Workflow(_) => Kind::Workflow,
        CoreError::UnknownCategory(_) | CoreError::AmbiguousCategory(_) => Kind::UnknownCategory,
        CoreError::NotFound { .. } => Kind::NotFound,
        CoreError::NotInitialized => Kind::NotInitialized,
        CoreError::Photo { .. } => Kind::Photo,
        CoreError::Open { .. } | CoreError::Io(_) => Kind::StoreUnavailable,
        CoreError::Interrupted => Kind::Interrupted,
        CoreError::EncryptionUnavailable => Kind::EncryptionUnavailable,
        CoreError::DeviceConflict { .. } => Kind::DeviceConflict,
        CoreError::Sqlite(sqlite) if is_unavailable(sqlite) => Kind::StoreUnavailable,
        CoreError::Sqlite(_) | CoreError::Corrupt(_) => Kind::Internal,
    };
    let code = match (&e, kind) {
        (CoreError::Sqlite(_), Kind::StoreUnavailable) => "store_unavailable",
        _ => e.code(),
    };
    GridworkError::new(kind, code, e.field(), e.to_string())
}

/// SQLite failures that come from the device (disk full, read-only, locked), not from a
/// bug: the caller may retry later.
fn is_unavailable(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::*;
    matches!(
        e.sqlite_error_code(),
        Some(
            DatabaseBusy
                | DatabaseLocked
                | DiskFull
                | ReadOnly
                | CannotOpen
                | SystemIoFailure
                | PermissionDenied
                | OutOfMemory
        )
    )
}

/// A case id that is not a UUID.
pub(crate) fn bad_case_id(id: &str) -> GridworkError {
    let shown: String = id.chars().take(60).collect();
    GridworkError::invalid("id", format!("invalid case id {shown:?}: expected a UUID"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwork_core::model::{ModelError, Role};

    #[test]
    fn a_refused_role_is_not_permitted_and_a_bad_state_is_a_workflow_error() {
        let refused = CoreError::Workflow(WorkflowError::NotPermitted {
            action: "register",
            role: Role::Worker,
        });
        assert_eq!(
            map_core_error(refused),
            GridworkError::NotPermitted {
                code: "not_permitted".into(),
                field: None,
                detail: "a worker may not register a case".into()
            }
        );
        let missing = CoreError::Workflow(WorkflowError::MissingReason { action: "cancel" });
        let mapped = map_core_error(missing);
        assert!(matches!(&mapped, GridworkError::Workflow { .. }));
        assert_eq!(
            (mapped.code(), mapped.field(), mapped.detail()),
            ("missing_reason", Some("note"), "cancel needs a reason")
        );
    }

    #[test]
    fn bad_input_keeps_the_core_message() {
        let e = CoreError::Model(ModelError::UnknownRole("boss".into()));
        let mapped = map_core_error(e);
        assert!(
            matches!(&mapped, GridworkError::InvalidInput { detail, .. } if detail.contains("boss"))
        );
        assert!(matches!(
            map_core_error(CoreError::NotInitialized),
            GridworkError::NotInitialized { .. }
        ));
        assert!(matches!(
            map_core_error(CoreError::Interrupted),
            GridworkError::Interrupted { .. }
        ));
    }
}
