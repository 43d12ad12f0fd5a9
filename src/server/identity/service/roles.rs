//! Roles and role assignments (direct, or effective with implied roles).

use super::*;

impl IdentityService {
    /// Every role with its id.
    pub async fn list_roles(&self) -> Result<Vec<(String, Role)>, IdentityError> {
        self.repo.roles().await
    }

    /// Assignments matching the filters (admin, or a user asking about themselves).
    pub async fn list_assignments(
        &self,
        actor: &Actor,
        user: Option<&UserId>,
        project: Option<&ProjectId>,
        role: Option<Role>,
    ) -> Result<Vec<Assignment>, IdentityError> {
        if user != Some(&actor.user_id) {
            allow(can_administer_identity(actor))?;
        }
        self.repo.assignments(user, project, role).await
    }

    /// The same, with the roles each assignment implies (Keystone's `effective`).
    pub async fn list_effective_assignments(
        &self,
        actor: &Actor,
        user: Option<&UserId>,
        project: Option<&ProjectId>,
    ) -> Result<Vec<Assignment>, IdentityError> {
        let direct = self.list_assignments(actor, user, project, None).await?;
        Ok(crate::domain::identity::effective_assignments(direct))
    }

    /// Gives `user` `role` on `project`.
    pub async fn assign_role(
        &self,
        actor: &Actor,
        user: &UserId,
        project: &ProjectId,
        role: Role,
    ) -> Result<(), IdentityError> {
        allow(can_administer_identity(actor))?;
        self.repo.user(user).await?.ok_or_else(|| {
            IdentityError::NotFound(Reason::UserNotFound {
                id: user.to_string(),
            })
        })?;
        self.repo.project(project).await?.ok_or_else(|| {
            IdentityError::NotFound(Reason::ProjectNotFound {
                id: project.to_string(),
            })
        })?;
        self.repo.assign(user, project, role).await?;
        tracing::info!(%user, %project, role = role.name(), by = %actor.user_name, "role assigned");
        Ok(())
    }

    /// Takes `role` on `project` away from `user`. Admins cannot take their own admin role away
    /// from the project they are working in.
    pub async fn unassign_role(
        &self,
        actor: &Actor,
        user: &UserId,
        project: &ProjectId,
        role: Role,
    ) -> Result<(), IdentityError> {
        allow(can_administer_identity(actor))?;
        if *user == actor.user_id && *project == actor.project_id && role == Role::Admin {
            return Err(IdentityError::Forbidden(Reason::OwnAdminRole));
        }
        if !self.repo.unassign(user, project, role).await? {
            return Err(IdentityError::NotFound(Reason::RoleAssignmentNotFound {
                role: role.to_string(),
                user: user.to_string(),
                project: project.to_string(),
            }));
        }
        Ok(())
    }

    /// Whether `user` holds `role` directly on `project`.
    pub async fn has_assignment(
        &self,
        user: &UserId,
        project: &ProjectId,
        role: Role,
    ) -> Result<bool, IdentityError> {
        Ok(self.repo.roles_on(user, project).await?.contains(&role))
    }

    // --- limits (quotas) ---
}
