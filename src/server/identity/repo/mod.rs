//! All identity SQL, split by resource: this module holds projects and users; `access` roles,
//! assignments and tokens; `limits` the unified limits; `failures` the shared login throttle
//! records. Rows become domain types here; "no row" becomes `None` and unique violations
//! become `Conflict` at the query that can cause them.

mod access;
mod failures;
mod limits;

use super::error::IdentityError;
use crate::domain::identity::{Assignment, Limit, Project, Role, User};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::reason::Reason;
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
                .map_err(|e| conflict_on_unique(e, || IdentityError::Conflict(Reason::ProjectNameTaken { name: p.name.clone() })))?;
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
                        IdentityError::Conflict(Reason::ProjectNameTaken { name: p.name.clone() })
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
            .map_err(|e| conflict_on_unique(e, || IdentityError::Conflict(Reason::UserNameTaken { name: u.name.clone() })))?;
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
            .map_err(|e| conflict_on_unique(e, || IdentityError::Conflict(Reason::UserNameTaken { name: u.name.clone() })))?;
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
}
