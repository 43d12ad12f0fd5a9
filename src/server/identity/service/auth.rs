//! Logins and tokens: password authentication (throttled), the actor of a session or a token
//! scope, the projects a user may work in, issuing, validating, inspecting and revoking tokens.

use super::*;

impl IdentityService {
    /// Checks a user name and password, with throttling. Unknown user, wrong password and
    /// disabled user all answer `Unauthenticated`.
    pub async fn authenticate(
        &self,
        name: &str,
        pw: &str,
        addr: Option<IpAddr>,
    ) -> Result<User, IdentityError> {
        let keys = self.throttle.keys(name, addr);
        let names: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let records = self.repo.login_failures(&names).await?;
        match self.throttle.verdict(&records, clock::now_ms()) {
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
                self.repo
                    .clear_login_failures(&LoginThrottle::user_key(name))
                    .await?;
                Ok(u)
            }
            _ => {
                let now = clock::now_ms();
                for (key, lock_at) in keys {
                    self.repo
                        .record_login_failure(
                            &key,
                            now,
                            self.throttle.stale_before(now),
                            (lock_at, now + self.throttle.lockout_ms()),
                        )
                        .await?;
                }
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
            IdentityError::NotFound(Reason::TokenNotFound { prefix: short })
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
        let Some((p, roles)) = self.access_in(&u, project).await? else {
            return Ok(None);
        };
        Ok(Some(Actor {
            user_id: u.id,
            user_name: u.name,
            project_id: p.id,
            project_name: p.name,
            roles,
        }))
    }

    /// The enabled `project` and the roles the (already fetched, enabled) user holds there, if
    /// any.
    async fn access_in(
        &self,
        user: &User,
        project: &ProjectId,
    ) -> Result<Option<(Project, RoleSet)>, IdentityError> {
        let Some((p, roles)) = self.repo.project_with_roles(project, &user.id).await? else {
            return Ok(None);
        };
        let roles = RoleSet::effective(roles);
        Ok((p.enabled && !roles.is_empty()).then_some((p, roles)))
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
        let Some((row, user)) = self.repo.token_with_user(&token_hash(secret), &now).await? else {
            return Ok(None);
        };
        if !user.enabled {
            return Ok(None);
        }
        let (project, roles) = match &row.project_id {
            Some(pid) => match self.access_in(&user, pid).await? {
                Some((project, roles)) => (Some(project), roles),
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
}
