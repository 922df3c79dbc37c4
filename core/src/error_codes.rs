//! Stable codes for errors, and the input field an error is about, so that an app can
//! translate a failure and show it beside the field (docs/mobile.md, "Errors"). The
//! codes are part of the API: they never change meaning; new ones may be added.

use crate::{geo::GridError, sync::SyncError, workflow::WorkflowError, Error};

impl Error {
    /// A stable snake_case code for this error (`invalid_input`, `missing_reason`,
    /// `unknown_category` …); workflow and grid errors give their own.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::Model(_) => "invalid_data",
            Error::Workflow(w) => w.code(),
            Error::Grid(GridError::InvalidCoordinate { .. }) => "invalid_coordinate",
            Error::Grid(GridError::InvalidCode { .. }) => "invalid_cell_code",
            Error::Grid(_) => "invalid_grid",
            Error::Catalog(_) => "invalid_catalog",
            Error::Calendar(_) => "invalid_calendar",
            Error::Patrol(_) => "invalid_patrol_input",
            Error::PatrolState(_) => "patrol_state",
            Error::UnknownCategory(_) => "unknown_category",
            Error::AmbiguousCategory(_) => "ambiguous_category",
            Error::UnknownDepartment(_) => "unknown_department",
            Error::NotFound { .. } => "not_found",
            Error::DeviceConflict { .. } => "device_conflict",
            Error::NotInitialized => "not_initialized",
            Error::Photo { .. } => "photo_unreadable",
            Error::Open { .. } => "store_unavailable",
            Error::EncryptionUnavailable => "encryption_unavailable",
            Error::Interrupted => "interrupted",
            Error::Sqlite(_) => "database",
            Error::Io(_) => "io",
            Error::Corrupt(_) => "corrupt",
        }
    }

    /// The input field the error is about, named as the inputs are (`description`,
    /// `lat`, `category`, `department`, `note`, `photos` …), when there is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidInput { field, .. } => Some(field),
            Error::Workflow(w) => w.field(),
            Error::Grid(GridError::InvalidCoordinate { lat, .. }) => {
                let lat_ok = lat.is_finite() && (-90.0..=90.0).contains(lat);
                Some(if lat_ok { "lon" } else { "lat" })
            }
            Error::Grid(GridError::InvalidCode { .. }) => Some("cell"),
            Error::UnknownCategory(_) | Error::AmbiguousCategory(_) => Some("category"),
            Error::UnknownDepartment(_) => Some("department"),
            Error::Photo { .. } => Some("photos"),
            _ => None,
        }
    }
}

impl WorkflowError {
    /// A stable snake_case code for this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            WorkflowError::NotPermitted { .. } => "not_permitted",
            WorkflowError::PostNotPermitted { .. } => "post_not_permitted",
            WorkflowError::WrongDepartment { .. } => "wrong_department",
            WorkflowError::NoApplication { .. } => "no_application",
            WorkflowError::ApplicationPending => "application_pending",
            WorkflowError::OwnApplication { .. } => "own_application",
            WorkflowError::InvalidTransition { .. } => "invalid_transition",
            WorkflowError::MissingReason { .. } => "missing_reason",
            WorkflowError::MissingPhoto { .. } => "missing_photo",
            WorkflowError::OutOfOrder(_) => "out_of_order",
            WorkflowError::UnknownStatus(_) => "unknown_status",
            WorkflowError::NotAConflict(_) => "not_a_conflict",
            WorkflowError::ConflictResolved(_) => "conflict_resolved",
        }
    }

    /// The action input the refusal is about, when it is one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            WorkflowError::MissingReason { .. } => Some("note"),
            WorkflowError::MissingPhoto { .. } => Some("photos"),
            WorkflowError::WrongDepartment { .. } => Some("department"),
            WorkflowError::UnknownStatus(_) => Some("status"),
            WorkflowError::NotAConflict(_) | WorkflowError::ConflictResolved(_) => Some("conflict"),
            _ => None,
        }
    }
}

impl SyncError {
    /// A stable snake_case code for this sync failure; a store error gives its own.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Transport(_) => "network",
            SyncError::Server { .. } => "server_error",
            SyncError::RateLimited { .. } => "rate_limited",
            SyncError::Unauthorized(_) => "unauthorized",
            SyncError::IncompatibleServer(_) => "incompatible_server",
            SyncError::Unexpected(_) => "unexpected_answer",
            SyncError::WrongUser { .. } => "wrong_user",
            SyncError::NotSignedIn => "not_signed_in",
            SyncError::DeviceConflict(_) => "device_conflict",
            SyncError::WipeRequired(_) => "wipe_required",
            SyncError::ServerRestored(_) => "server_restored",
            SyncError::Cancelled => "cancelled",
            SyncError::Store(e) => e.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_reason_names_the_note_field() {
        let e = Error::Workflow(WorkflowError::MissingReason { action: "cancel" });
        assert_eq!((e.code(), e.field()), ("missing_reason", Some("note")));
        let e = Error::invalid("description", "must not be empty");
        assert_eq!(
            (e.code(), e.field()),
            ("invalid_input", Some("description"))
        );
        let e = Error::Grid(GridError::InvalidCoordinate {
            lat: f64::NAN,
            lon: 120.0,
        });
        assert_eq!((e.code(), e.field()), ("invalid_coordinate", Some("lat")));
        let e = Error::Grid(GridError::InvalidCoordinate {
            lat: 31.0,
            lon: 500.0,
        });
        assert_eq!(e.field(), Some("lon"));
    }
}
