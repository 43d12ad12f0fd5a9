//! `IdentityService`: THE entry point for every identity use case (login, tokens, projects, users,
//! role assignments). Keystone handlers, server functions and the CLI are thin adapters over it;
//! each admin method checks the domain policy first. Split by area: `auth` (logins and tokens),
//! `projects`, `users`, `roles`, `limits`.

mod auth;
mod limits;
mod projects;
mod roles;
mod users;

use super::error::IdentityError;
use super::password;
use super::repo::{IdentityRepo, TokenRow};
use super::throttle::{LoginThrottle, Verdict};
use crate::domain::identity::{
    validate_description, validate_name, validate_password, Assignment, Project, Role, RoleSet,
    User,
};
use crate::domain::identity::{Limit, IMAGE_RESOURCES, IMAGE_SERVICE_ID};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::policy::{can_administer_identity, can_inspect_token, Actor, Decision};
pub(crate) use crate::domain::reason::Reason;
use crate::server::clock;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// Who a password login names: a user by name or by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    /// By name.
    Name(String),
    /// By id.
    Id(UserId),
}

/// The project a token's scope names: by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRef {
    /// By id.
    Id(ProjectId),
    /// By name.
    Name(String),
}

/// A token as validation sees it: whose it is, its scope and the roles held there now.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// The owner.
    pub user: User,
    /// The scope, if any.
    pub project: Option<Project>,
    /// Effective roles on the scope now (empty when unscoped).
    pub roles: RoleSet,
    /// Auth methods used to get it.
    pub methods: Vec<String>,
    /// Keystone's audit id.
    pub audit_id: String,
    /// Issue time (stored form).
    pub issued_at: String,
    /// Expiry (stored form).
    pub expires_at: String,
}

impl TokenInfo {
    /// The actor a scoped token acts as.
    pub fn actor(&self) -> Option<Actor> {
        let p = self.project.as_ref()?;
        Some(Actor {
            user_id: self.user.id.clone(),
            user_name: self.user.name.clone(),
            project_id: p.id.clone(),
            project_name: p.name.clone(),
            roles: self.roles,
        })
    }
}

/// A new project's fields.
#[derive(Debug, Clone, Default)]
pub struct NewProject {
    /// Name (unique).
    pub name: String,
    /// Description.
    pub description: String,
    /// Enabled flag.
    pub enabled: bool,
}

/// Changes to a project; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New enabled flag.
    pub enabled: Option<bool>,
}

/// A new user's fields.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Login name (unique).
    pub name: String,
    /// Initial password.
    pub password: String,
    /// Enabled flag.
    pub enabled: bool,
    /// Default project.
    pub default_project_id: Option<ProjectId>,
    /// E-mail.
    pub email: Option<String>,
    /// Description.
    pub description: String,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    /// New name.
    pub name: Option<String>,
    /// New password (revokes the user's tokens).
    pub password: Option<String>,
    /// New enabled flag.
    pub enabled: Option<bool>,
    /// New default project (`Some(None)` clears it).
    pub default_project_id: Option<Option<ProjectId>>,
    /// New e-mail (`Some(None)` clears it).
    pub email: Option<Option<String>>,
    /// New description.
    pub description: Option<String>,
}

/// The identity service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct IdentityService {
    repo: IdentityRepo,
    throttle: Arc<LoginThrottle>,
    token_lifetime: Duration,
}

pub(super) fn allow(d: Decision) -> Result<(), IdentityError> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Forbidden(m) => Err(IdentityError::Forbidden(m)),
        Decision::Hidden => Err(IdentityError::NotFound(Reason::Hidden)),
    }
}

pub(super) fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl IdentityService {
    /// A service over `repo`.
    pub fn new(repo: IdentityRepo, throttle: LoginThrottle, token_lifetime: Duration) -> Self {
        Self {
            repo,
            throttle: Arc::new(throttle),
            token_lifetime,
        }
    }

    /// On an empty database: creates project `admin` and user `admin` holding role admin there.
    /// Returns the generated password when none was given, `None` when users already exist.
    pub async fn bootstrap(
        &self,
        admin_password: Option<String>,
    ) -> Result<Option<String>, IdentityError> {
        if self.repo.any_user().await? {
            return Ok(None);
        }
        let (pw, generated) = match admin_password.filter(|p| !p.is_empty()) {
            Some(p) => (p, false),
            None => (password::generate(20), true),
        };
        validate_password(&pw)?;
        let now = clock::stored(clock::now());
        let project = Project {
            id: ProjectId::random(),
            name: "admin".into(),
            description: "Bootstrap project for cloud administrators".into(),
            enabled: true,
            created_at: now.clone(),
        };
        self.repo.insert_project(&project).await?;
        let user = User {
            id: UserId::random(),
            name: "admin".into(),
            enabled: true,
            default_project_id: Some(project.id.clone()),
            email: None,
            description: "Bootstrap administrator".into(),
            created_at: now,
        };
        self.repo
            .insert_user(&user, &password::hash(pw.clone()).await?)
            .await?;
        self.repo.assign(&user.id, &project.id, Role::Admin).await?;
        Ok(generated.then_some(pw))
    }

    // --- authentication ---
}
