//! Who may do what. `Actor` is the caller as every layer sees it; the functions here are the one
//! place where access rules are written. The server enforces them, the browser only reads them to
//! grey out buttons.

use crate::domain::identity::{Role, RoleSet};
use crate::domain::ids::{ProjectId, UserId};
use serde::{Deserialize, Serialize};

/// The caller of a request: a user acting in one project with the roles they hold there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Who is calling.
    pub user_id: UserId,
    /// The user's name, for display and logs.
    pub user_name: String,
    /// The project the user is working in (the token's scope or the dashboard's current project).
    pub project_id: ProjectId,
    /// That project's name.
    pub project_name: String,
    /// Effective roles on that project (implied roles included).
    pub roles: RoleSet,
}

impl Actor {
    /// Whether the actor holds `role` (directly or through an implying role).
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(role)
    }

    /// Whether the actor is a cloud administrator (role `admin` on their current project).
    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }
}

/// The outcome of a policy check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused, with the reason shown to the user (HTTP 403).
    Forbidden(String),
    /// The caller may not even know the thing exists (HTTP 404), as Glance answers.
    Hidden,
}

impl Decision {
    /// Whether the decision allows the action.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Identity administration (projects, users, role assignments): admin only, as Keystone's
/// default `identity:*` rules say.
pub fn can_administer_identity(actor: &Actor) -> Decision {
    if actor.is_admin() {
        Decision::Allow
    } else {
        Decision::Forbidden("Only administrators can manage projects, users and roles.".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role]) -> Actor {
        Actor {
            user_id: UserId::random(),
            user_name: "u".into(),
            project_id: ProjectId::random(),
            project_name: "p".into(),
            roles: RoleSet::effective(roles.iter().copied()),
        }
    }

    #[test]
    fn only_admins_administer_identity() {
        assert!(can_administer_identity(&actor(&[Role::Admin])).is_allowed());
        for roles in [&[Role::Member][..], &[Role::Reader], &[]] {
            assert!(matches!(
                can_administer_identity(&actor(roles)),
                Decision::Forbidden(_)
            ));
        }
    }

    #[test]
    fn admin_has_every_role() {
        let a = actor(&[Role::Admin]);
        assert!(a.has_role(Role::Member) && a.has_role(Role::Reader) && a.is_admin());
        let m = actor(&[Role::Member]);
        assert!(m.has_role(Role::Reader) && !m.is_admin());
    }
}
