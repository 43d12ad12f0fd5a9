//! Users: list, show, find, create, update (password, enabled, default project), delete.

use super::*;

impl IdentityService {
    /// Every user.
    pub async fn list_users(&self, actor: &Actor) -> Result<Vec<User>, IdentityError> {
        allow(can_administer_identity(actor))?;
        self.repo.users().await
    }

    /// One user by id; users may see themselves.
    pub async fn get_user(&self, actor: &Actor, id: &UserId) -> Result<User, IdentityError> {
        if *id != actor.user_id {
            allow(can_administer_identity(actor))?;
        }
        self.repo
            .user(id)
            .await?
            .ok_or_else(|| IdentityError::NotFound(Reason::UserNotFound { id: id.to_string() }))
    }

    /// One user by name (admin).
    pub async fn find_user(
        &self,
        actor: &Actor,
        name: &str,
    ) -> Result<Option<User>, IdentityError> {
        allow(can_administer_identity(actor))?;
        Ok(self.repo.user_with_hash(name).await?.map(|(u, _)| u))
    }

    /// Creates a user.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User, IdentityError> {
        allow(can_administer_identity(actor))?;
        validate_name("name", &new.name)?;
        validate_password(&new.password)?;
        validate_description(&new.description)?;
        if let Some(p) = &new.default_project_id {
            self.repo.project(p).await?.ok_or_else(|| {
                IdentityError::NotFound(Reason::ProjectNotFound { id: p.to_string() })
            })?;
        }
        let u = User {
            id: UserId::random(),
            name: new.name,
            enabled: new.enabled,
            default_project_id: new.default_project_id,
            email: new.email.filter(|e| !e.is_empty()),
            description: new.description,
            created_at: clock::stored(clock::now()),
        };
        let hash = password::hash(new.password).await?;
        self.repo.insert_user(&u, &hash).await?;
        tracing::info!(user = %u.id, name = %u.name, by = %actor.user_name, "user created");
        Ok(u)
    }

    /// Changes a user. Admins cannot disable themselves; a new password revokes the user's tokens.
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: &UserId,
        patch: UserPatch,
    ) -> Result<User, IdentityError> {
        allow(can_administer_identity(actor))?;
        let mut u =
            self.repo.user(id).await?.ok_or_else(|| {
                IdentityError::NotFound(Reason::UserNotFound { id: id.to_string() })
            })?;
        if let Some(name) = patch.name {
            validate_name("name", &name)?;
            u.name = name;
        }
        if let Some(enabled) = patch.enabled {
            if !enabled && *id == actor.user_id {
                return Err(IdentityError::Forbidden(Reason::OwnAccountDisable));
            }
            u.enabled = enabled;
        }
        if let Some(dp) = patch.default_project_id {
            if let Some(p) = &dp {
                self.repo.project(p).await?.ok_or_else(|| {
                    IdentityError::NotFound(Reason::ProjectNotFound { id: p.to_string() })
                })?;
            }
            u.default_project_id = dp;
        }
        if let Some(e) = patch.email {
            u.email = e.filter(|e| !e.is_empty());
        }
        if let Some(d) = patch.description {
            validate_description(&d)?;
            u.description = d;
        }
        if let Some(pw) = &patch.password {
            validate_password(pw)?;
        }
        self.repo.update_user(&u).await?;
        if let Some(pw) = patch.password {
            let hash = password::hash(pw).await?;
            self.repo.set_password_hash(id, &hash).await?;
            tracing::info!(user = %u.id, by = %actor.user_name, "password changed");
        }
        Ok(u)
    }

    /// Deletes a user (not oneself).
    pub async fn delete_user(&self, actor: &Actor, id: &UserId) -> Result<(), IdentityError> {
        allow(can_administer_identity(actor))?;
        if *id == actor.user_id {
            return Err(IdentityError::Forbidden(Reason::OwnAccountDelete));
        }
        if !self.repo.delete_user(id).await? {
            return Err(IdentityError::NotFound(Reason::UserNotFound {
                id: id.to_string(),
            }));
        }
        Ok(())
    }

    // --- roles (reading: any user; assigning: admin) ---
}
