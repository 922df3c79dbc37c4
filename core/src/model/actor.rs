//! Who did something: a user acting in a role.

use super::ModelError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// The role a user acts in. Roles decide which workflow actions are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A grid worker (网格员): reports, verifies on site, patrols.
    Worker,
    /// A supervisor at the command centre (受理员/派遣员/值班长): registers, dispatches,
    /// approves side paths, closes.
    Supervisor,
    /// A handler in a responsible department (专业部门): handles dispatched cases.
    Handler,
    /// Another system speaking for residents or a partner (Open311): files reports
    /// from a server-held device and takes no workflow action.
    Integration,
}

impl Role {
    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Supervisor => "supervisor",
            Role::Handler => "handler",
            Role::Integration => "integration",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "worker" => Ok(Role::Worker),
            "supervisor" => Ok(Role::Supervisor),
            "handler" => Ok(Role::Handler),
            "integration" => Ok(Role::Integration),
            other => Err(ModelError::UnknownRole(other.to_string())),
        }
    }
}

/// A user acting in a role; every event names one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The user's account name.
    pub user: String,
    /// The role the user acted in.
    pub role: Role,
}

impl Actor {
    /// An actor from its parts.
    pub fn new(user: impl Into<String>, role: Role) -> Self {
        Self {
            user: user.into(),
            role,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.user, self.role)
    }
}
