//! Identity rules: the three roles and how they imply each other, and what makes a valid project
//! name, user name or password. Both the server and the browser forms call these.

use crate::domain::ids::{ProjectId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A role a user holds on a project. `Admin` implies `Member`, which implies `Reader`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read-only access to the project's resources.
    Reader,
    /// Create, change and delete the project's resources.
    Member,
    /// Everything, in every project, including identity administration.
    Admin,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 3] = [Role::Reader, Role::Member, Role::Admin];

    /// The role's name as Keystone spells it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Member => "member",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name (case-insensitive, as Keystone lower-cases role names).
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s.trim()))
    }

    /// The roles this role implies, itself included.
    pub fn implied(self) -> RoleSet {
        let mut set = RoleSet::EMPTY;
        for r in Role::ALL {
            if r <= self {
                set.insert(r);
            }
        }
        set
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of effective roles (implied roles included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoleSet(u8);

impl RoleSet {
    /// No role at all.
    pub const EMPTY: RoleSet = RoleSet(0);

    fn bit(role: Role) -> u8 {
        match role {
            Role::Reader => 1,
            Role::Member => 2,
            Role::Admin => 4,
        }
    }

    /// Effective roles of a user assigned `assigned` directly: each role with what it implies.
    pub fn effective(assigned: impl IntoIterator<Item = Role>) -> RoleSet {
        let mut set = RoleSet::EMPTY;
        for role in assigned {
            set.0 |= role.implied().0;
        }
        set
    }

    /// Adds one role (without its implications).
    pub fn insert(&mut self, role: Role) {
        self.0 |= Self::bit(role);
    }

    /// Whether the set holds `role`.
    pub fn contains(self, role: Role) -> bool {
        self.0 & Self::bit(role) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The roles in the set, weakest first.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// The strongest role in the set.
    pub fn highest(self) -> Option<Role> {
        self.iter().last()
    }
}

/// A project (tenant), as every layer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Its id.
    pub id: ProjectId,
    /// Unique name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// Disabled projects cannot be logged into.
    pub enabled: bool,
    /// Creation time (stored form).
    pub created_at: String,
}

/// A user, as every layer shows it. The password hash never leaves the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// Unique login name.
    pub name: String,
    /// Disabled users cannot log in and their tokens stop working.
    pub enabled: bool,
    /// The project a login without a scope lands in.
    pub default_project_id: Option<ProjectId>,
    /// Optional e-mail address.
    pub email: Option<String>,
    /// Free text.
    pub description: String,
    /// Creation time (stored form).
    pub created_at: String,
}

/// One role a user holds on one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The user.
    pub user_id: UserId,
    /// The user's name.
    pub user_name: String,
    /// The project.
    pub project_id: ProjectId,
    /// The project's name.
    pub project_name: String,
    /// The role assigned directly.
    pub role: Role,
}

/// Effective assignments (Keystone's `effective`): each direct one with every role it implies
/// (admin ⊃ member ⊃ reader), each (user, project, role) once.
pub fn effective_assignments(direct: Vec<Assignment>) -> Vec<Assignment> {
    let mut out: Vec<Assignment> = Vec::new();
    for a in direct {
        for r in a.role.implied().iter() {
            let seen = out
                .iter()
                .any(|e| e.user_id == a.user_id && e.project_id == a.project_id && e.role == r);
            if !seen {
                out.push(Assignment {
                    role: r,
                    ..a.clone()
                });
            }
        }
    }
    out
}

/// The catalog id of the image service (limits name it).
pub const IMAGE_SERVICE_ID: &str = "5e7f6a1b2c3d4e5f8a9b0c1d2e3f4a5b";
/// The catalog id of the identity service.
pub const IDENTITY_SERVICE_ID: &str = "6f8a7b2c3d4e5f6a9b0c1d2e3f4a5b6c";
/// The image resources a project limit can cap (sizes in MiB), as Glance names them.
pub const IMAGE_RESOURCES: [&str; 4] = [
    "image_size_total",
    "image_stage_total",
    "image_count_total",
    "image_count_uploading",
];

/// A per-project limit on one resource of one service (Keystone's unified limits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// Its id.
    pub id: String,
    /// The project it caps.
    pub project_id: ProjectId,
    /// The service the resource belongs to.
    pub service_id: String,
    /// The resource, e.g. `image_count_total`.
    pub resource_name: String,
    /// The cap.
    pub resource_limit: i64,
    /// Free text.
    pub description: Option<String>,
}

/// Why a name or password is refused. The message is shown to users as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The field at fault, as the form and the API name it.
    pub field: String,
    /// What is wrong, in words a user understands.
    pub message: String,
    /// The same, as data, when a rule below found it (the dashboard words it in its language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

/// What the name, password and description rules refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    Empty,
    TooLong { max: usize },
    SurroundingSpace,
    ControlCharacters,
    TooShort { min: usize },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Empty => f.write_str("must not be empty"),
            Problem::TooLong { max } => write!(f, "must be at most {max} characters"),
            Problem::SurroundingSpace => f.write_str("must not start or end with a space"),
            Problem::ControlCharacters => f.write_str("must not contain control characters"),
            Problem::TooShort { min } => write!(f, "must be at least {min} characters"),
        }
    }
}

impl ValidationError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            problem: None,
        }
    }

    /// An error one of the rules below found.
    fn of(field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            message: problem.to_string(),
            problem: Some(problem),
        }
    }
}

/// Longest project or user name (Keystone's limit).
pub const MAX_NAME_LEN: usize = 64;
/// Shortest password Glimpse accepts.
pub const MIN_PASSWORD_LEN: usize = 8;
/// Longest password (argon2 would take more, but nobody types more).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// A project or user name: 1 to 64 characters, no control characters, no surrounding spaces.
pub fn validate_name(field: &str, name: &str) -> Result<(), ValidationError> {
    if name.trim().is_empty() {
        return Err(ValidationError::of(field, Problem::Empty));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(ValidationError::of(
            field,
            Problem::TooLong { max: MAX_NAME_LEN },
        ));
    }
    if name.trim() != name {
        return Err(ValidationError::of(field, Problem::SurroundingSpace));
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::of(field, Problem::ControlCharacters));
    }
    Ok(())
}

/// A password: at least 8 and at most 1024 characters.
pub fn validate_password(password: &str) -> Result<(), ValidationError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(ValidationError::of(
            "password",
            Problem::TooShort {
                min: MIN_PASSWORD_LEN,
            },
        ));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(ValidationError::of(
            "password",
            Problem::TooLong {
                max: MAX_PASSWORD_LEN,
            },
        ));
    }
    Ok(())
}

/// Longest project description.
pub const MAX_DESCRIPTION_LEN: usize = 255;

/// A description: at most 255 characters.
pub fn validate_description(description: &str) -> Result<(), ValidationError> {
    if description.chars().count() > MAX_DESCRIPTION_LEN {
        return Err(ValidationError::of(
            "description",
            Problem::TooLong {
                max: MAX_DESCRIPTION_LEN,
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_assignments_add_implied_roles_once() {
        let a = |role| Assignment {
            user_id: crate::domain::ids::UserId::parse("0123456789abcdef0123456789abcdef").unwrap(),
            user_name: "u".into(),
            project_id: crate::domain::ids::ProjectId::parse("fedcba9876543210fedcba9876543210")
                .unwrap(),
            project_name: "p".into(),
            role,
        };
        let roles: Vec<Role> = effective_assignments(vec![a(Role::Admin), a(Role::Member)])
            .into_iter()
            .map(|x| x.role)
            .collect();
        assert_eq!(roles.len(), 3);
        for r in [Role::Admin, Role::Member, Role::Reader] {
            assert!(roles.contains(&r), "{r:?}");
        }
        assert_eq!(effective_assignments(vec![a(Role::Reader)]).len(), 1);
    }

    #[test]
    fn admin_implies_member_implies_reader() {
        let cases = [
            (Role::Admin, [true, true, true]),
            (Role::Member, [true, true, false]),
            (Role::Reader, [true, false, false]),
        ];
        for (role, expect) in cases {
            let set = role.implied();
            for (r, want) in Role::ALL.into_iter().zip(expect) {
                assert_eq!(set.contains(r), want, "{role} implies {r}: {want}");
            }
        }
    }

    #[test]
    fn effective_roles_union_implications() {
        let set = RoleSet::effective([Role::Reader, Role::Member]);
        assert!(set.contains(Role::Member) && set.contains(Role::Reader));
        assert!(!set.contains(Role::Admin));
        assert_eq!(set.highest(), Some(Role::Member));
        assert!(RoleSet::effective([]).is_empty());
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.name()), Some(r));
        }
        assert_eq!(Role::parse("ADMIN"), Some(Role::Admin));
        assert_eq!(Role::parse("service"), None);
    }

    #[test]
    fn names_are_validated() {
        assert!(validate_name("name", "demo").is_ok());
        assert!(validate_name("name", "Ünïcode project 1").is_ok());
        assert!(validate_name("name", &"x".repeat(64)).is_ok());
        for bad in ["", "   ", " lead", "trail ", "tab\there", &"x".repeat(65)] {
            let err = validate_name("name", bad).unwrap_err();
            assert_eq!(err.field, "name");
        }
    }

    #[test]
    fn passwords_are_validated() {
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password("1234567").is_err());
        assert!(validate_password(&"p".repeat(1025)).is_err());
    }
}
