//! `IdentityService`: THE entry point for every identity use case (login, tokens, projects, users,
//! role assignments). Keystone handlers, server functions and the CLI are thin adapters over it;
//! each admin method checks the domain policy first.

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
use crate::server::clock;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

fn allow(d: Decision) -> Result<(), IdentityError> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Forbidden(m) => Err(IdentityError::Forbidden(m)),
        Decision::Hidden => Err(IdentityError::NotFound("Not found.".into())),
    }
}

fn token_hash(secret: &str) -> String {
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

    /// Checks a user name and password, with throttling. Unknown user, wrong password and
    /// disabled user all answer `Unauthenticated`.
    pub async fn authenticate(
        &self,
        name: &str,
        pw: &str,
        addr: Option<IpAddr>,
    ) -> Result<User, IdentityError> {
        match self.throttle.check(name, addr, Instant::now()) {
            Verdict::Locked(left) => return Err(IdentityError::Locked(left)),
            Verdict::Proceed(delay) if !delay.is_zero() => tokio::time::sleep(delay).await,
            Verdict::Proceed(_) => {}
        }
        let found = self.repo.user_with_hash(name).await?;
        let (user, hash) = match found {
            Some((u, h)) => (Some(u), Some(h)),
            None => (None, None),
        };
        let ok = password::verify(hash, pw.to_string()).await;
        match user {
            Some(u) if ok && u.enabled => {
                self.throttle.success(name);
                Ok(u)
            }
            _ => {
                self.throttle.failure(name, addr, Instant::now());
                Err(IdentityError::Unauthenticated)
            }
        }
    }

    /// A password login naming the user by name or by id (Keystone allows both); an unknown id
    /// is the same failure as a wrong password.
    pub async fn authenticate_ref(
        &self,
        who: &UserRef,
        pw: &str,
        addr: Option<IpAddr>,
    ) -> Result<User, IdentityError> {
        let name = match who {
            UserRef::Name(n) => n.clone(),
            UserRef::Id(id) => match self.repo.user(id).await? {
                Some(u) => u.name,
                None => return Err(IdentityError::Unauthenticated),
            },
        };
        self.authenticate(&name, pw, addr).await
    }

    /// The project a token request names for its scope, by id or by name (`None`: no such
    /// project, which the caller reports as a failed login). Whether the user may have that
    /// scope is `issue_token`'s decision.
    pub async fn scope_project(
        &self,
        which: &ProjectRef,
    ) -> Result<Option<ProjectId>, IdentityError> {
        Ok(match which {
            ProjectRef::Id(id) => Some(id.clone()),
            ProjectRef::Name(name) => self.repo.project_by_name(name).await?.map(|p| p.id),
        })
    }

    /// The token `subject` as the holder of token `caller` may see it (to validate or revoke
    /// it): its own, or any with the admin role.
    pub async fn inspect_token(
        &self,
        caller: &str,
        subject: &str,
    ) -> Result<TokenInfo, IdentityError> {
        let caller_info = self
            .validate_token(caller)
            .await?
            .ok_or(IdentityError::Unauthenticated)?;
        allow(can_inspect_token(caller_info.roles, subject == caller))?;
        self.validate_token(subject).await?.ok_or_else(|| {
            let short: String = subject.chars().take(6).collect();
            IdentityError::NotFound(format!("Could not find token: {short}…."))
        })
    }

    /// The actor for `user` working in `project`, if the user is enabled and holds a role on the
    /// enabled project.
    pub async fn actor_in(
        &self,
        user: &UserId,
        project: &ProjectId,
    ) -> Result<Option<Actor>, IdentityError> {
        let Some(u) = self.repo.user(user).await?.filter(|u| u.enabled) else {
            return Ok(None);
        };
        let Some(p) = self.repo.project(project).await?.filter(|p| p.enabled) else {
            return Ok(None);
        };
        let roles = RoleSet::effective(self.repo.roles_on(&u.id, &p.id).await?);
        if roles.is_empty() {
            return Ok(None);
        }
        Ok(Some(Actor {
            user_id: u.id,
            user_name: u.name,
            project_id: p.id,
            project_name: p.name,
            roles,
        }))
    }

    /// The actor for a dashboard session: the remembered project if still allowed, else the
    /// user's default project, else the first project they hold a role on.
    pub async fn actor_for_session(
        &self,
        user: &UserId,
        project_hint: Option<&ProjectId>,
    ) -> Result<Option<Actor>, IdentityError> {
        if let Some(p) = project_hint {
            if let Some(a) = self.actor_in(user, p).await? {
                return Ok(Some(a));
            }
        }
        let Some(u) = self.repo.user(user).await?.filter(|u| u.enabled) else {
            return Ok(None);
        };
        if let Some(p) = &u.default_project_id {
            if let Some(a) = self.actor_in(user, p).await? {
                return Ok(Some(a));
            }
        }
        for (p, _) in self.projects_for(user).await? {
            if let Some(a) = self.actor_in(user, &p.id).await? {
                return Ok(Some(a));
            }
        }
        Ok(None)
    }

    /// The enabled projects `user` holds a role on, with the effective roles there.
    pub async fn projects_for(
        &self,
        user: &UserId,
    ) -> Result<Vec<(Project, RoleSet)>, IdentityError> {
        let assignments = self.repo.assignments(Some(user), None, None).await?;
        let mut out: Vec<(Project, RoleSet)> = Vec::new();
        for a in assignments {
            if let Some(entry) = out.iter_mut().find(|(p, _)| p.id == a.project_id) {
                entry.1 = RoleSet::effective(entry.1.iter().chain([a.role]));
                continue;
            }
            if let Some(p) = self
                .repo
                .project(&a.project_id)
                .await?
                .filter(|p| p.enabled)
            {
                out.push((p, a.role.implied()));
            }
        }
        Ok(out)
    }

    // --- tokens ---

    /// Issues a token for an authenticated user. With a scope the user must hold a role on that
    /// enabled project; without one the token is scoped to the user's default project if allowed,
    /// else unscoped. Returns the secret (shown once) and the token.
    pub async fn issue_token(
        &self,
        user: &User,
        scope: Option<&ProjectId>,
        methods: Vec<String>,
    ) -> Result<(String, TokenInfo), IdentityError> {
        let mut project = None;
        let mut roles = RoleSet::EMPTY;
        let target = scope.or(user.default_project_id.as_ref());
        if let Some(pid) = target {
            match self.actor_in(&user.id, pid).await? {
                Some(actor) => {
                    project = self.repo.project(&actor.project_id).await?;
                    roles = actor.roles;
                }
                None if scope.is_some() => {
                    return Err(IdentityError::Unauthenticated);
                }
                None => {}
            }
        }
        let secret = password::generate(48);
        let now = clock::now();
        let row = TokenRow {
            user_id: user.id.clone(),
            project_id: project.as_ref().map(|p: &Project| p.id.clone()),
            methods,
            audit_id: password::generate(22),
            issued_at: clock::stored(now),
            expires_at: clock::stored(now + self.token_lifetime),
        };
        self.repo
            .insert_token(&token_hash(&secret), &row, &clock::stored(now))
            .await?;
        let info = TokenInfo {
            user: user.clone(),
            project,
            roles,
            methods: row.methods,
            audit_id: row.audit_id,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
        };
        Ok((secret, info))
    }

    /// A live token: not expired or revoked, its user enabled, and (when scoped) its project
    /// enabled with the user still holding a role there. Roles are the current ones.
    pub async fn validate_token(&self, secret: &str) -> Result<Option<TokenInfo>, IdentityError> {
        let now = clock::stored(clock::now());
        let Some(row) = self.repo.token(&token_hash(secret), &now).await? else {
            return Ok(None);
        };
        let Some(user) = self.repo.user(&row.user_id).await?.filter(|u| u.enabled) else {
            return Ok(None);
        };
        let (project, roles) = match &row.project_id {
            Some(pid) => match self.actor_in(&user.id, pid).await? {
                Some(actor) => (self.repo.project(pid).await?, actor.roles),
                None => return Ok(None),
            },
            None => (None, RoleSet::EMPTY),
        };
        Ok(Some(TokenInfo {
            user,
            project,
            roles,
            methods: row.methods,
            audit_id: row.audit_id,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
        }))
    }

    /// Revokes a token; returns whether it existed.
    pub async fn revoke_token(&self, secret: &str) -> Result<bool, IdentityError> {
        self.repo.delete_token(&token_hash(secret)).await
    }

    // --- projects (admin) ---

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
        let not_found = || IdentityError::NotFound(format!("Could not find project: {id}."));
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
        let mut p = self
            .repo
            .project(id)
            .await?
            .ok_or_else(|| IdentityError::NotFound(format!("Could not find project: {id}.")))?;
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
                return Err(IdentityError::Forbidden(
                    "You cannot disable the project you are working in.".into(),
                ));
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
            return Err(IdentityError::Forbidden(
                "You cannot delete the project you are working in.".into(),
            ));
        }
        if !self.repo.delete_project(id).await? {
            return Err(IdentityError::NotFound(format!(
                "Could not find project: {id}."
            )));
        }
        Ok(())
    }

    // --- users (admin) ---

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
            .ok_or_else(|| IdentityError::NotFound(format!("Could not find user: {id}.")))
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
            self.repo
                .project(p)
                .await?
                .ok_or_else(|| IdentityError::NotFound(format!("Could not find project: {p}.")))?;
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
        let mut u = self
            .repo
            .user(id)
            .await?
            .ok_or_else(|| IdentityError::NotFound(format!("Could not find user: {id}.")))?;
        if let Some(name) = patch.name {
            validate_name("name", &name)?;
            u.name = name;
        }
        if let Some(enabled) = patch.enabled {
            if !enabled && *id == actor.user_id {
                return Err(IdentityError::Forbidden(
                    "You cannot disable your own account.".into(),
                ));
            }
            u.enabled = enabled;
        }
        if let Some(dp) = patch.default_project_id {
            if let Some(p) = &dp {
                self.repo.project(p).await?.ok_or_else(|| {
                    IdentityError::NotFound(format!("Could not find project: {p}."))
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
            return Err(IdentityError::Forbidden(
                "You cannot delete your own account.".into(),
            ));
        }
        if !self.repo.delete_user(id).await? {
            return Err(IdentityError::NotFound(format!(
                "Could not find user: {id}."
            )));
        }
        Ok(())
    }

    // --- roles (reading: any user; assigning: admin) ---

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
        self.repo
            .user(user)
            .await?
            .ok_or_else(|| IdentityError::NotFound(format!("Could not find user: {user}.")))?;
        self.repo.project(project).await?.ok_or_else(|| {
            IdentityError::NotFound(format!("Could not find project: {project}."))
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
            return Err(IdentityError::Forbidden(
                "You cannot remove your own admin role from the project you are working in.".into(),
            ));
        }
        if !self.repo.unassign(user, project, role).await? {
            return Err(IdentityError::NotFound(format!(
                "Could not find role assignment with role: {role}, user: {user}, project: {project}."
            )));
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
            _ => Err(IdentityError::NotFound(format!(
                "Could not find limit for {id}."
            ))),
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
            IdentityError::NotFound(format!("Could not find project: {project}."))
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
            return Err(IdentityError::NotFound(format!(
                "Could not find limit for {id}."
            )));
        }
        self.get_limit(actor, id).await
    }

    /// Deletes a limit (admin).
    pub async fn delete_limit(&self, actor: &Actor, id: &str) -> Result<(), IdentityError> {
        allow(can_administer_identity(actor))?;
        if !self.repo.delete_limit(id).await? {
            return Err(IdentityError::NotFound(format!(
                "Could not find limit for {id}."
            )));
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
