//! All identity SQL. Rows become domain types here; "no row" becomes `None` and unique violations
//! become `Conflict` at the query that can cause them.

use super::error::IdentityError;
use super::throttle::FailureRecord;
use crate::domain::identity::{Assignment, Limit, Project, Role, User};
use crate::domain::ids::{ProjectId, UserId};
use crate::server::db::conflict_on_unique;
use crate::server::db::{BeginWrite, Db};

type ProjectRow = (String, String, String, bool, String);
type UserHashRow = (
    String,
    String,
    bool,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);
type UserRow = (
    String,
    String,
    bool,
    Option<String>,
    Option<String>,
    String,
    String,
);

const PROJECT_COLS: &str = "id, name, description, enabled, created_at";
const USER_COLS: &str = "id, name, enabled, default_project_id, email, description, created_at";

fn project(r: ProjectRow) -> Project {
    Project {
        id: ProjectId::parse(&r.0).expect("stored project ids are valid"),
        name: r.1,
        description: r.2,
        enabled: r.3,
        created_at: r.4,
    }
}

fn user(r: UserRow) -> User {
    User {
        id: UserId::parse(&r.0).expect("stored user ids are valid"),
        name: r.1,
        enabled: r.2,
        default_project_id: r.3.and_then(|p| ProjectId::parse(&p).ok()),
        email: r.4,
        description: r.5,
        created_at: r.6,
    }
}

/// A stored API token, found by the hash of its secret.
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// Owner.
    pub user_id: UserId,
    /// Scope, if any.
    pub project_id: Option<ProjectId>,
    /// Auth methods ("password", "token").
    pub methods: Vec<String>,
    /// Keystone's audit id.
    pub audit_id: String,
    /// Issue time (stored form).
    pub issued_at: String,
    /// Expiry (stored form).
    pub expires_at: String,
}

/// Identity queries over one database.
#[derive(Debug, Clone)]
pub struct IdentityRepo {
    db: Db,
}

impl IdentityRepo {
    /// A repository over `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    // --- projects ---

    /// Every project, by name.
    pub async fn projects(&self) -> Result<Vec<Project>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<ProjectRow> = sqlx::query_as(&format!(
                "SELECT {PROJECT_COLS} FROM projects ORDER BY name"
            ))
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(project).collect())
        })
    }

    /// One project by id.
    pub async fn project(&self, id: &ProjectId) -> Result<Option<Project>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let row: Option<ProjectRow> =
                sqlx::query_as(&format!("SELECT {PROJECT_COLS} FROM projects WHERE id = $1"))
                    .bind(id.as_str())
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(project))
        })
    }

    /// The projects among `ids` that exist, in one query.
    pub async fn projects_by_ids(&self, ids: &[ProjectId]) -> Result<Vec<Project>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let mut b =
                sqlx::QueryBuilder::new(format!("SELECT {PROJECT_COLS} FROM projects WHERE id IN ("));
            let mut sep = b.separated(", ");
            for id in ids {
                sep.push_bind(id.as_str().to_string());
            }
            b.push(")");
            let rows: Vec<ProjectRow> = b.build_query_as().fetch_all(pool).await?;
            Ok(rows.into_iter().map(project).collect())
        })
    }

    /// One project by name.
    pub async fn project_by_name(&self, name: &str) -> Result<Option<Project>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let row: Option<ProjectRow> = sqlx::query_as(&format!(
                "SELECT {PROJECT_COLS} FROM projects WHERE name = $1"
            ))
            .bind(name)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(project))
        })
    }

    /// Stores a new project.
    pub async fn insert_project(&self, p: &Project) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("INSERT INTO projects (id, name, description, enabled, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(p.id.as_str())
                .bind(&p.name)
                .bind(&p.description)
                .bind(p.enabled)
                .bind(&p.created_at)
                .execute(pool)
                .await
                .map_err(|e| conflict_on_unique(e, || IdentityError::Conflict(format!("A project named {:?} already exists.", p.name))))?;
            Ok(())
        })
    }

    /// Saves a project's name, description and enabled flag.
    pub async fn update_project(&self, p: &Project) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("UPDATE projects SET name = $1, description = $2, enabled = $3 WHERE id = $4")
                .bind(&p.name)
                .bind(&p.description)
                .bind(p.enabled)
                .bind(p.id.as_str())
                .execute(pool)
                .await
                .map_err(|e| {
                    conflict_on_unique(e, || {
                        IdentityError::Conflict(format!("A project named {:?} already exists.", p.name))
                    })
                })?;
            Ok(())
        })
    }

    /// Deletes a project (its role assignments and tokens go with it).
    pub async fn delete_project(&self, id: &ProjectId) -> Result<bool, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query("DELETE FROM projects WHERE id = $1")
                .bind(id.as_str())
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    // --- users ---

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<UserRow> =
                sqlx::query_as(&format!("SELECT {USER_COLS} FROM users ORDER BY name"))
                    .fetch_all(pool)
                    .await?;
            Ok(rows.into_iter().map(user).collect())
        })
    }

    /// One user by id.
    pub async fn user(&self, id: &UserId) -> Result<Option<User>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let row: Option<UserRow> =
                sqlx::query_as(&format!("SELECT {USER_COLS} FROM users WHERE id = $1"))
                    .bind(id.as_str())
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(user))
        })
    }

    /// One user by name, with the password hash (for login only).
    pub async fn user_with_hash(
        &self,
        name: &str,
    ) -> Result<Option<(User, String)>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let row: Option<UserHashRow> = sqlx::query_as(&format!(
                "SELECT {USER_COLS}, password_hash FROM users WHERE name = $1"
            ))
            .bind(name)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| (user((r.0, r.1, r.2, r.3, r.4, r.5, r.6)), r.7)))
        })
    }

    /// The password hash of a user by id.
    pub async fn password_hash(&self, id: &UserId) -> Result<Option<String>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let row: Option<(String,)> = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| r.0))
        })
    }

    /// Stores a new user.
    pub async fn insert_user(&self, u: &User, password_hash: &str) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO users (id, name, password_hash, enabled, default_project_id, email, description, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(u.id.as_str())
            .bind(&u.name)
            .bind(password_hash)
            .bind(u.enabled)
            .bind(u.default_project_id.as_ref().map(|p| p.as_str()))
            .bind(&u.email)
            .bind(&u.description)
            .bind(&u.created_at)
            .execute(pool)
            .await
            .map_err(|e| conflict_on_unique(e, || IdentityError::Conflict(format!("A user named {:?} already exists.", u.name))))?;
            Ok(())
        })
    }

    /// Saves a user's profile fields (not the password).
    pub async fn update_user(&self, u: &User) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query(
                "UPDATE users SET name = $1, enabled = $2, default_project_id = $3, email = $4, description = $5 WHERE id = $6",
            )
            .bind(&u.name)
            .bind(u.enabled)
            .bind(u.default_project_id.as_ref().map(|p| p.as_str()))
            .bind(&u.email)
            .bind(&u.description)
            .bind(u.id.as_str())
            .execute(pool)
            .await
            .map_err(|e| conflict_on_unique(e, || IdentityError::Conflict(format!("A user named {:?} already exists.", u.name))))?;
            Ok(())
        })
    }

    /// Replaces a user's password hash and revokes their tokens, in one transaction.
    pub async fn set_password_hash(&self, id: &UserId, hash: &str) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM tokens WHERE user_id = $1")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Deletes a user (assignments and tokens go with it).
    pub async fn delete_user(&self, id: &UserId) -> Result<bool, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(id.as_str())
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Whether any user exists (bootstrap runs only on an empty database).
    pub async fn any_user(&self) -> Result<bool, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
                .fetch_one(pool)
                .await?;
            Ok(n.0 > 0)
        })
    }

    // --- roles and assignments ---

    /// The role's stored id.
    pub async fn role_id(&self, role: Role) -> Result<String, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r: (String,) = sqlx::query_as("SELECT id FROM roles WHERE name = $1")
                .bind(role.name())
                .fetch_one(pool)
                .await?;
            Ok(r.0)
        })
    }

    /// Every role with its id.
    pub async fn roles(&self) -> Result<Vec<(String, Role)>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT id, name FROM roles ORDER BY name")
                    .fetch_all(pool)
                    .await?;
            Ok(rows
                .into_iter()
                .filter_map(|(id, n)| Role::parse(&n).map(|r| (id, r)))
                .collect())
        })
    }

    /// Assigns a role; assigning it twice is not an error.
    pub async fn assign(
        &self,
        user: &UserId,
        project: &ProjectId,
        role: Role,
    ) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO role_assignments (user_id, project_id, role_id)
             SELECT $1, $2, id FROM roles WHERE name = $3
             ON CONFLICT DO NOTHING",
            )
            .bind(user.as_str())
            .bind(project.as_str())
            .bind(role.name())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Removes a role assignment; returns whether it existed.
    pub async fn unassign(
        &self,
        user: &UserId,
        project: &ProjectId,
        role: Role,
    ) -> Result<bool, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query(
                "DELETE FROM role_assignments WHERE user_id = $1 AND project_id = $2
                   AND role_id = (SELECT id FROM roles WHERE name = $3)",
            )
            .bind(user.as_str())
            .bind(project.as_str())
            .bind(role.name())
            .execute(pool)
            .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Roles assigned directly to `user` on `project`.
    pub async fn roles_on(
        &self,
        user: &UserId,
        project: &ProjectId,
    ) -> Result<Vec<Role>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<(String,)> = sqlx::query_as(
                "SELECT r.name FROM role_assignments a JOIN roles r ON r.id = a.role_id
                 WHERE a.user_id = $1 AND a.project_id = $2",
            )
            .bind(user.as_str())
            .bind(project.as_str())
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().filter_map(|r| Role::parse(&r.0)).collect())
        })
    }

    /// Assignments, optionally narrowed to one user, project and/or role.
    pub async fn assignments(
        &self,
        user: Option<&UserId>,
        project: Option<&ProjectId>,
        role: Option<Role>,
    ) -> Result<Vec<Assignment>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
                "SELECT u.id, u.name, p.id, p.name, r.name
               FROM role_assignments a
               JOIN users u ON u.id = a.user_id
               JOIN projects p ON p.id = a.project_id
               JOIN roles r ON r.id = a.role_id
              WHERE ($1 IS NULL OR a.user_id = $1)
                AND ($2 IS NULL OR a.project_id = $2)
                AND ($3 IS NULL OR r.name = $3)
              ORDER BY u.name, p.name, r.name",
            )
            .bind(user.map(|u| u.as_str()))
            .bind(project.map(|p| p.as_str()))
            .bind(role.map(|r| r.name()))
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(|r| {
                    Some(Assignment {
                        user_id: UserId::parse(&r.0).ok()?,
                        user_name: r.1,
                        project_id: ProjectId::parse(&r.2).ok()?,
                        project_name: r.3,
                        role: Role::parse(&r.4)?,
                    })
                })
                .collect())
        })
    }

    // --- tokens ---

    /// Stores a token under the hash of its secret; expired tokens are purged on the way.
    pub async fn insert_token(
        &self,
        hash: &str,
        t: &TokenRow,
        now: &str,
    ) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("DELETE FROM tokens WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO tokens (hash, user_id, project_id, methods, audit_id, issued_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(hash)
            .bind(t.user_id.as_str())
            .bind(t.project_id.as_ref().map(|p| p.as_str()))
            .bind(t.methods.join(","))
            .bind(&t.audit_id)
            .bind(&t.issued_at)
            .bind(&t.expires_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// A token that has not expired at `now`.
    pub async fn token(&self, hash: &str, now: &str) -> Result<Option<TokenRow>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let row: Option<(String, Option<String>, String, String, String, String)> = sqlx::query_as(
                "SELECT user_id, project_id, methods, audit_id, issued_at, expires_at
                   FROM tokens WHERE hash = $1 AND expires_at > $2",
            )
            .bind(hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|r| {
                Some(TokenRow {
                    user_id: UserId::parse(&r.0).ok()?,
                    project_id: r.1.and_then(|p| ProjectId::parse(&p).ok()),
                    methods: r.2.split(',').map(str::to_string).collect(),
                    audit_id: r.3,
                    issued_at: r.4,
                    expires_at: r.5,
                })
            }))
        })
    }

    /// Deletes a token; returns whether it existed.
    pub async fn delete_token(&self, hash: &str) -> Result<bool, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query("DELETE FROM tokens WHERE hash = $1")
                .bind(hash)
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    // --- limits ---

    /// Limits matching the filters.
    pub async fn limits(
        &self,
        project: Option<&ProjectId>,
        service: Option<&str>,
        resource: Option<&str>,
        id: Option<&str>,
    ) -> Result<Vec<Limit>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<(String, String, String, String, i64, Option<String>)> = sqlx::query_as(
                "SELECT id, project_id, service_id, resource_name, resource_limit, description FROM limits
              WHERE ($1 IS NULL OR project_id = $1) AND ($2 IS NULL OR service_id = $2)
                AND ($3 IS NULL OR resource_name = $3) AND ($4 IS NULL OR id = $4)
              ORDER BY project_id, resource_name",
            )
            .bind(project.map(|p| p.as_str()))
            .bind(service)
            .bind(resource)
            .bind(id)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(|r| {
                    Some(Limit {
                        id: r.0,
                        project_id: ProjectId::parse(&r.1).ok()?,
                        service_id: r.2,
                        resource_name: r.3,
                        resource_limit: r.4,
                        description: r.5,
                    })
                })
                .collect())
        })
    }

    /// Stores a limit; `Conflict` if the project already has one for that resource.
    pub async fn insert_limit(&self, l: &Limit) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO limits (id, project_id, service_id, resource_name, resource_limit, description)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&l.id)
            .bind(l.project_id.as_str())
            .bind(&l.service_id)
            .bind(&l.resource_name)
            .bind(l.resource_limit)
            .bind(&l.description)
            .execute(pool)
            .await
            .map_err(|e| conflict_on_unique(e, || IdentityError::Conflict(format!("Project {} already has a limit on {}.", l.project_id, l.resource_name))))?;
            Ok(())
        })
    }

    /// Changes a limit's value and description.
    pub async fn update_limit(
        &self,
        id: &str,
        value: i64,
        description: Option<&str>,
    ) -> Result<bool, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query("UPDATE limits SET resource_limit = $1, description = COALESCE($2, description) WHERE id = $3")
                .bind(value)
                .bind(description)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Deletes a limit.
    pub async fn delete_limit(&self, id: &str) -> Result<bool, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query("DELETE FROM limits WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    // --- login failures (shared by every node on this database) ---

    /// The failure records of these keys.
    pub async fn login_failures(
        &self,
        keys: &[String],
    ) -> Result<Vec<FailureRecord>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut b = sqlx::QueryBuilder::new(
                "SELECT key, failures, last_ms, locked_until_ms FROM login_failures WHERE key IN (",
            );
            let mut sep = b.separated(", ");
            for k in keys {
                sep.push_bind(k.as_str());
            }
            b.push(")");
            Ok(b.build_query_as().fetch_all(pool).await?)
        })
    }

    /// Counts one failure for `key` at `now_ms`, atomically across nodes; a record that went
    /// stale (last failure before `stale_before`, or its lock has ended) starts again at one.
    /// Locks the key until `lock_until` once its count reaches `lock_at`. Returns the count.
    pub async fn record_login_failure(
        &self,
        key: &str,
        now_ms: i64,
        stale_before: i64,
        (lock_at, lock_until): (i64, i64),
    ) -> Result<i64, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let failures: i64 = sqlx::query_scalar(
                "INSERT INTO login_failures (key, failures, last_ms, locked_until_ms)
                 VALUES ($1, 1, $2, CASE WHEN $4 <= 1 THEN $5 END)
                 ON CONFLICT (key) DO UPDATE SET
                     failures = CASE
                         WHEN login_failures.last_ms < $3 OR login_failures.locked_until_ms <= $2 THEN 1
                         ELSE login_failures.failures + 1 END,
                     locked_until_ms = CASE
                         WHEN login_failures.locked_until_ms > $2 THEN login_failures.locked_until_ms
                         WHEN (CASE
                             WHEN login_failures.last_ms < $3 OR login_failures.locked_until_ms <= $2 THEN 1
                             ELSE login_failures.failures + 1 END) >= $4 THEN $5
                         END,
                     last_ms = $2
                 RETURNING failures",
            )
            .bind(key)
            .bind(now_ms)
            .bind(stale_before)
            .bind(lock_at)
            .bind(lock_until)
            .fetch_one(pool)
            .await?;
            // Keep the table small: records that can no longer slow or lock anyone go.
            sqlx::query(
                "DELETE FROM login_failures WHERE last_ms < $1
                    AND (locked_until_ms IS NULL OR locked_until_ms <= $2)",
            )
            .bind(stale_before)
            .bind(now_ms)
            .execute(pool)
            .await?;
            Ok(failures)
        })
    }

    /// Clears a key's failures (a user who logged in).
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("DELETE FROM login_failures WHERE key = $1")
                .bind(key)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
