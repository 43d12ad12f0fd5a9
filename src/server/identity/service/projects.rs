//! Projects: list, show, find, create, update, delete, and names for tables.

use super::*;

impl IdentityService {
    /// Every project.
    pub async fn list_projects(&self, actor: &Actor) -> Result<Vec<Project>, IdentityError> {
        allow(can_administer_identity(actor))?;
        self.repo.projects().await
    }

    /// One project by id; a user may see the projects they hold a role on.
    pub async fn get_project(
        &self,
        actor: &Actor,
        id: &ProjectId,
    ) -> Result<Project, IdentityError> {
        let not_found = || IdentityError::NotFound(Reason::ProjectNotFound { id: id.to_string() });
        if !can_administer_identity(actor).is_allowed()
            && self.actor_in(&actor.user_id, id).await?.is_none()
        {
            return Err(not_found());
        }
        self.repo.project(id).await?.ok_or_else(not_found)
    }

    /// One project by name (admin).
    pub async fn find_project(
        &self,
        actor: &Actor,
        name: &str,
    ) -> Result<Option<Project>, IdentityError> {
        allow(can_administer_identity(actor))?;
        self.repo.project_by_name(name).await
    }

    /// Creates a project.
    pub async fn create_project(
        &self,
        actor: &Actor,
        new: NewProject,
    ) -> Result<Project, IdentityError> {
        allow(can_administer_identity(actor))?;
        validate_name("name", &new.name)?;
        validate_description(&new.description)?;
        let p = Project {
            id: ProjectId::random(),
            name: new.name,
            description: new.description,
            enabled: new.enabled,
            created_at: clock::stored(clock::now()),
        };
        self.repo.insert_project(&p).await?;
        tracing::info!(project = %p.id, name = %p.name, by = %actor.user_name, "project created");
        Ok(p)
    }

    /// Changes a project. The project an admin is working in cannot be disabled by them.
    pub async fn update_project(
        &self,
        actor: &Actor,
        id: &ProjectId,
        patch: ProjectPatch,
    ) -> Result<Project, IdentityError> {
        allow(can_administer_identity(actor))?;
        let mut p = self.repo.project(id).await?.ok_or_else(|| {
            IdentityError::NotFound(Reason::ProjectNotFound { id: id.to_string() })
        })?;
        if let Some(name) = patch.name {
            validate_name("name", &name)?;
            p.name = name;
        }
        if let Some(d) = patch.description {
            validate_description(&d)?;
            p.description = d;
        }
        if let Some(enabled) = patch.enabled {
            if !enabled && *id == actor.project_id {
                return Err(IdentityError::Forbidden(Reason::OwnProjectDisable));
            }
            p.enabled = enabled;
        }
        self.repo.update_project(&p).await?;
        Ok(p)
    }

    /// Deletes a project. The project an admin is working in cannot be deleted by them.
    pub async fn delete_project(&self, actor: &Actor, id: &ProjectId) -> Result<(), IdentityError> {
        allow(can_administer_identity(actor))?;
        if *id == actor.project_id {
            return Err(IdentityError::Forbidden(Reason::OwnProjectDelete));
        }
        if !self.repo.delete_project(id).await? {
            return Err(IdentityError::NotFound(Reason::ProjectNotFound {
                id: id.to_string(),
            }));
        }
        Ok(())
    }

    // --- users (admin) ---

    /// Resolves a project given by id or name, for sharing an image with it. Anyone may ask: the
    /// answer reveals only that a project of that name exists, which sharing needs.
    pub async fn resolve_project(
        &self,
        name_or_id: &str,
    ) -> Result<Option<Project>, IdentityError> {
        if let Ok(id) = ProjectId::parse(name_or_id) {
            if let Some(p) = self.repo.project(&id).await? {
                return Ok(Some(p));
            }
        }
        self.repo.project_by_name(name_or_id).await
    }

    /// Names of projects by id (for tables of members and owners); unknown ids are left out.
    pub async fn project_names(
        &self,
        ids: &[ProjectId],
    ) -> Result<Vec<(ProjectId, String)>, IdentityError> {
        Ok(self
            .repo
            .projects_by_ids(ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect())
    }
}
