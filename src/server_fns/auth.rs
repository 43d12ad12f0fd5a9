//! Login, logout, the current session and the project switcher.

use super::AppError;
use crate::domain::identity::RoleSet;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A project the user can switch to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectChoice {
    /// Project id.
    pub id: String,
    /// Project name.
    pub name: String,
}

/// What the dashboard knows about the logged-in user. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// User id.
    pub user_id: String,
    /// User name.
    pub user_name: String,
    /// Current project id.
    pub project_id: String,
    /// Current project name.
    pub project_name: String,
    /// Effective roles on the current project.
    pub roles: RoleSet,
    /// Every project the user holds a role on.
    pub projects: Vec<ProjectChoice>,
    /// Public base URL of this server (for the API access panel).
    pub public_url: String,
    /// Images shared with the current project that wait for an answer.
    pub pending_shares: usize,
}

impl SessionInfo {
    /// The caller as the domain policy sees it, so pages can grey out what the server would refuse.
    pub fn actor(&self) -> Option<crate::domain::policy::Actor> {
        Some(crate::domain::policy::Actor {
            user_id: self.user_id.parse().ok()?,
            user_name: self.user_name.clone(),
            project_id: self.project_id.parse().ok()?,
            project_name: self.project_name.clone(),
            roles: self.roles,
        })
    }

    /// Whether the user is an administrator in the current project.
    pub fn is_admin(&self) -> bool {
        self.roles.contains(crate::domain::identity::Role::Admin)
    }
}

/// Where to go after login: only local paths, so a crafted `next` cannot send users elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/login") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// The logged-in user, or `None`.
#[server]
pub async fn current_session() -> Result<Option<SessionInfo>, AppError> {
    use crate::server::identity::principal::MaybeActor;
    let services = super::ctx::services()?;
    let MaybeActor(actor) = leptos_axum::extract::<MaybeActor>()
        .await
        .map_err(|_| AppError::Internal)?;
    let Some(actor) = actor else { return Ok(None) };
    let projects = services
        .identity
        .projects_for(&actor.user_id)
        .await?
        .into_iter()
        .map(|(p, _)| ProjectChoice {
            id: p.id.to_string(),
            name: p.name,
        })
        .collect();
    let pending_shares = services.images.pending_shares(&actor).await.unwrap_or(0);
    Ok(Some(SessionInfo {
        pending_shares,
        user_id: actor.user_id.to_string(),
        user_name: actor.user_name,
        project_id: actor.project_id.to_string(),
        project_name: actor.project_name,
        roles: actor.roles,
        projects,
        public_url: services.public_url.to_string(),
    }))
}

/// Logs in with a user name and password; the session id is rotated. Wrong user and wrong
/// password get the same answer; repeated failures are slowed, then refused for a while.
#[server]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::server::identity::principal::start_session;
    let services = super::ctx::services()?;
    let session = super::ctx::session().await?;
    let addr = leptos_axum::extract::<crate::server::http::ClientAddr>()
        .await
        .ok()
        .and_then(|c| c.0);
    let user = services
        .identity
        .authenticate(username.trim(), &password, addr)
        .await?;
    let actor = services.identity.actor_for_session(&user.id, None).await?;
    let Some(actor) = actor else {
        return Err(AppError::LoginRefused(super::error::LoginRefusal::NoRole));
    };
    start_session(&session, &user.id, Some(&actor.project_id)).await?;
    tracing::info!(user = %user.name, "dashboard login");
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Logs out: the session is deleted; the language chosen in it stays for the login page.
#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::app::lang::SESSION_KEY;
    let session = super::ctx::session().await?;
    let lang = session.get::<String>(SESSION_KEY).await.ok().flatten();
    crate::server::identity::principal::end_session(&session).await?;
    if let Some(l) = lang {
        session
            .insert(SESSION_KEY, l)
            .await
            .map_err(|_| AppError::Internal)?;
    }
    leptos_axum::redirect("/login");
    Ok(())
}

/// Switches the session to another project the user holds a role on.
#[server]
pub async fn switch_project(project_id: crate::domain::ids::ProjectId) -> Result<(), AppError> {
    let services = super::ctx::services()?;
    let actor = super::ctx::actor().await?;
    let pid = project_id;
    if services
        .identity
        .actor_in(&actor.user_id, &pid)
        .await?
        .is_none()
    {
        return Err(AppError::Forbidden(
            crate::domain::reason::Reason::NoRoleOnProject,
        ));
    }
    let session = super::ctx::session().await?;
    crate::server::identity::principal::set_session_project(&session, &pid).await?;
    Ok(())
}

/// Keeps the dashboard language in the session (logged in or not): pages render in it from then
/// on, before `Accept-Language`.
#[server]
pub async fn set_language(lang: String) -> Result<(), AppError> {
    use crate::app::lang::{parse, SESSION_KEY};
    use leptos_i18n::Locale as _;
    let Some(l) = parse(&lang) else {
        return Err(AppError::Invalid {
            field: "lang".into(),
            message: "is not a language of the dashboard".into(),
        });
    };
    let session = super::ctx::session().await?;
    session
        .insert(SESSION_KEY, l.as_str())
        .await
        .map_err(|_| AppError::Internal)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/accounts/users")), "/accounts/users");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "/login?x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
