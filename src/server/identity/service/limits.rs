//! Keystone-style limits on the image resources a project may use.

use super::*;

impl IdentityService {
    /// Limits, filtered; non-admins see only their own project's.
    pub async fn list_limits(
        &self,
        actor: &Actor,
        project: Option<&ProjectId>,
        service: Option<&str>,
        resource: Option<&str>,
    ) -> Result<Vec<Limit>, IdentityError> {
        let own = (!can_administer_identity(actor).is_allowed()).then_some(&actor.project_id);
        if let (Some(own), Some(p)) = (own, project) {
            if own != p {
                return Ok(vec![]);
            }
        }
        self.repo
            .limits(own.or(project), service, resource, None)
            .await
    }

    /// One limit by id.
    pub async fn get_limit(&self, actor: &Actor, id: &str) -> Result<Limit, IdentityError> {
        let l = self.repo.limits(None, None, None, Some(id)).await?.pop();
        match l {
            Some(l)
                if can_administer_identity(actor).is_allowed()
                    || l.project_id == actor.project_id =>
            {
                Ok(l)
            }
            _ => Err(IdentityError::NotFound(Reason::LimitNotFound {
                id: id.to_string(),
            })),
        }
    }

    /// Sets a project's limit on an image resource (admin).
    pub async fn create_limit(
        &self,
        actor: &Actor,
        project: &ProjectId,
        service: &str,
        resource: &str,
        value: i64,
        description: Option<String>,
    ) -> Result<Limit, IdentityError> {
        allow(can_administer_identity(actor))?;
        if service != IMAGE_SERVICE_ID {
            return Err(crate::domain::identity::ValidationError::new(
                "service_id",
                "must be the image service",
            )
            .into());
        }
        if !IMAGE_RESOURCES.contains(&resource) {
            return Err(crate::domain::identity::ValidationError::new(
                "resource_name",
                format!("must be one of {}", IMAGE_RESOURCES.join(", ")),
            )
            .into());
        }
        if value < -1 {
            return Err(crate::domain::identity::ValidationError::new(
                "resource_limit",
                "must be -1 (unlimited) or more",
            )
            .into());
        }
        self.repo.project(project).await?.ok_or_else(|| {
            IdentityError::NotFound(Reason::ProjectNotFound {
                id: project.to_string(),
            })
        })?;
        let l = Limit {
            id: uuid::Uuid::new_v4().simple().to_string(),
            project_id: project.clone(),
            service_id: service.to_string(),
            resource_name: resource.to_string(),
            resource_limit: value,
            description,
        };
        self.repo.insert_limit(&l).await?;
        tracing::info!(project = %project, resource, value, by = %actor.user_name, "limit set");
        Ok(l)
    }

    /// Changes a limit (admin).
    pub async fn update_limit(
        &self,
        actor: &Actor,
        id: &str,
        value: i64,
        description: Option<String>,
    ) -> Result<Limit, IdentityError> {
        allow(can_administer_identity(actor))?;
        if value < -1 {
            return Err(crate::domain::identity::ValidationError::new(
                "resource_limit",
                "must be -1 (unlimited) or more",
            )
            .into());
        }
        if !self
            .repo
            .update_limit(id, value, description.as_deref())
            .await?
        {
            return Err(IdentityError::NotFound(Reason::LimitNotFound {
                id: id.to_string(),
            }));
        }
        self.get_limit(actor, id).await
    }

    /// Deletes a limit (admin).
    pub async fn delete_limit(&self, actor: &Actor, id: &str) -> Result<(), IdentityError> {
        allow(can_administer_identity(actor))?;
        if !self.repo.delete_limit(id).await? {
            return Err(IdentityError::NotFound(Reason::LimitNotFound {
                id: id.to_string(),
            }));
        }
        Ok(())
    }

    /// Sets (or replaces) a project's limit on an image resource: the CLI's `glimpse quota set`.
    pub async fn set_image_limit(
        &self,
        actor: &Actor,
        project: &ProjectId,
        resource: &str,
        value: i64,
    ) -> Result<Limit, IdentityError> {
        allow(can_administer_identity(actor))?;
        if let Some(existing) = self
            .repo
            .limits(Some(project), Some(IMAGE_SERVICE_ID), Some(resource), None)
            .await?
            .pop()
        {
            return self.update_limit(actor, &existing.id, value, None).await;
        }
        self.create_limit(actor, project, IMAGE_SERVICE_ID, resource, value, None)
            .await
    }
}
