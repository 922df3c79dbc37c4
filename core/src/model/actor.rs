//! Who did something: a user acting in a role, for a department when the role is a
//! department's.

use super::ModelError;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// The role a user acts in. Roles decide which workflow actions are allowed.
///
/// The centre's posts (DOMAIN §4b) are [`Role::Intake`], [`Role::Dispatcher`] and
/// [`Role::ShiftLead`], each with its own rights (separation of duties, see
/// `workflow::permitted`). [`Role::Supervisor`] is the role of stores and accounts made
/// before the posts existed: it holds every centre post at once, so those keep working
/// unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A grid worker (网格员): reports, verifies on site, patrols.
    Worker,
    /// Every post of the command centre at once (受理员 + 派遣员 + 值班长): the role of
    /// accounts and stores made before the posts were split.
    Supervisor,
    /// A handler in a responsible department (专业部门): signs for, handles and applies
    /// for exceptions on the cases dispatched to its department.
    Handler,
    /// Another system speaking for residents or a partner (Open311): files reports
    /// from a server-held device and takes no workflow action.
    Integration,
    /// The centre's intake operator (受理员): checks reports (核实), registers or
    /// cancels them (不予立案), closes verified cases.
    Intake,
    /// The centre's dispatcher (派遣员): dispatches to departments, urges them, resumes.
    Dispatcher,
    /// The centre's shift lead (值班长): approves or refuses a department's return,
    /// postponement and suspension applications; cancels (作废) and reopens.
    ShiftLead,
}

impl Role {
    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Supervisor => "supervisor",
            Role::Handler => "handler",
            Role::Integration => "integration",
            Role::Intake => "intake",
            Role::Dispatcher => "dispatcher",
            Role::ShiftLead => "shift_lead",
        }
    }

    /// Whether the role is one of the centre's (a post, or the legacy supervisor).
    pub fn is_centre(self) -> bool {
        matches!(
            self,
            Role::Supervisor | Role::Intake | Role::Dispatcher | Role::ShiftLead
        )
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
            "intake" => Ok(Role::Intake),
            "dispatcher" => Ok(Role::Dispatcher),
            "shift_lead" | "shift-lead" => Ok(Role::ShiftLead),
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
    /// The department a handler acts for (its account's department). `None` for every
    /// other role, and for handler accounts made before departments were accounts
    /// (those act wherever their cells are, as before). Left out of the JSON when
    /// `None`, so the hashes of older events do not change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

impl Actor {
    /// An actor from its parts.
    pub fn new(user: impl Into<String>, role: Role) -> Self {
        Self {
            user: user.into(),
            role,
            department: None,
        }
    }

    /// The actor acting for `department`.
    pub fn in_department(mut self, department: Option<String>) -> Self {
        self.department = department;
        self
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.department {
            Some(d) => write!(f, "{} ({}, {d})", self.user, self.role),
            None => write!(f, "{} ({})", self.user, self.role),
        }
    }
}
