//! Identity administration for the dashboard (admin only, enforced by the identity service):
//! projects, users, passwords and role assignments.

use super::AppError;
use crate::domain::identity::{Assignment, Project, Role, User};
use crate::domain::ids::{ProjectId, UserId};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A user with their role assignments, for the Users table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    /// The user.
    pub user: User,
    /// Their roles on projects.
    pub assignments: Vec<Assignment>,
}

/// Every project.
#[server]
pub async fn list_projects() -> Result<Vec<Project>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    Ok(s.identity.list_projects(&actor).await?)
}

/// Creates a project.
#[server]
pub async fn create_project(name: String, description: String) -> Result<Project, AppError> {
    use crate::server::identity::service::NewProject;
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    Ok(s.identity
        .create_project(
            &actor,
            NewProject {
                name,
                description,
                enabled: true,
            },
        )
        .await?)
}

/// Enables or disables a project.
#[server]
pub async fn set_project_enabled(project_id: ProjectId, enabled: bool) -> Result<(), AppError> {
    use crate::server::identity::service::ProjectPatch;
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.identity
        .update_project(
            &actor,
            &project_id,
            ProjectPatch {
                enabled: Some(enabled),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

/// Every user with their assignments.
#[server]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let users = s.identity.list_users(&actor).await?;
    let all = s
        .identity
        .list_assignments(&actor, None, None, None)
        .await?;
    Ok(users
        .into_iter()
        .map(|user| {
            let assignments = all
                .iter()
                .filter(|a| a.user_id == user.id)
                .cloned()
                .collect();
            UserRow { user, assignments }
        })
        .collect())
}

/// Creates a user, optionally with a role on a project (which becomes their default project).
/// `project_id` is the form's choice: empty for none (a form always sends its select's value).
#[server]
pub async fn create_user(
    name: String,
    password: String,
    project_id: String,
    role: Role,
) -> Result<User, AppError> {
    use crate::server::identity::service::NewUser;
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    let project = if project_id.is_empty() {
        None
    } else {
        Some(project_id.parse()?)
    };
    let role = project.as_ref().map(|_| role);
    let new = NewUser {
        name,
        password,
        enabled: true,
        default_project_id: project.clone(),
        email: None,
        description: String::new(),
    };
    let user = s.identity.create_user(&actor, new).await?;
    if let (Some(p), Some(r)) = (project, role) {
        s.identity.assign_role(&actor, &user.id, &p, r).await?;
    }
    Ok(user)
}

/// Sets a new password for a user (their API tokens are revoked).
#[server]
pub async fn reset_password(user_id: UserId, password: String) -> Result<(), AppError> {
    use crate::server::identity::service::UserPatch;
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.identity
        .update_user(
            &actor,
            &user_id,
            UserPatch {
                password: Some(password),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

/// Enables or disables a user.
#[server]
pub async fn set_user_enabled(user_id: UserId, enabled: bool) -> Result<(), AppError> {
    use crate::server::identity::service::UserPatch;
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.identity
        .update_user(
            &actor,
            &user_id,
            UserPatch {
                enabled: Some(enabled),
                ..Default::default()
            },
        )
        .await?;
    Ok(())
}

/// Gives a user a role on a project.
#[server]
pub async fn add_role(user_id: UserId, project_id: ProjectId, role: Role) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.identity
        .assign_role(&actor, &user_id, &project_id, role)
        .await?;
    Ok(())
}

/// Takes a role on a project away from a user.
#[server]
pub async fn remove_role(
    user_id: UserId,
    project_id: ProjectId,
    role: Role,
) -> Result<(), AppError> {
    let (s, actor) = (super::ctx::services()?, super::ctx::actor().await?);
    s.identity
        .unassign_role(&actor, &user_id, &project_id, role)
        .await?;
    Ok(())
}
