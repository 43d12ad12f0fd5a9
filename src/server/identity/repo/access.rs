//! Roles, role assignments and API tokens (stored by the hash of their secret).

use super::*;

impl IdentityRepo {
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

    /// A token that has not expired at `now`, with its user, in one query.
    pub async fn token_with_user(
        &self,
        hash: &str,
        now: &str,
    ) -> Result<Option<(TokenRow, User)>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            type Joined = (
                Option<String>,
                String,
                String,
                String,
                String,
                String,
                String,
                bool,
                Option<String>,
                Option<String>,
                String,
                String,
            );
            let row: Option<Joined> = sqlx::query_as(
                "SELECT t.project_id, t.methods, t.audit_id, t.issued_at, t.expires_at,
                        u.id, u.name, u.enabled, u.default_project_id, u.email, u.description, u.created_at
                   FROM tokens t JOIN users u ON u.id = t.user_id
                  WHERE t.hash = $1 AND t.expires_at > $2",
            )
            .bind(hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| {
                let u = super::user((r.5, r.6, r.7, r.8, r.9, r.10, r.11));
                let t = TokenRow {
                    user_id: u.id.clone(),
                    project_id: r.0.and_then(|p| ProjectId::parse(&p).ok()),
                    methods: r.1.split(',').map(str::to_string).collect(),
                    audit_id: r.2,
                    issued_at: r.3,
                    expires_at: r.4,
                };
                (t, u)
            }))
        })
    }

    /// A project and the roles `user` holds on it (none: an empty list), in one query.
    pub async fn project_with_roles(
        &self,
        project: &ProjectId,
        user: &UserId,
    ) -> Result<Option<(Project, Vec<Role>)>, IdentityError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<(String, String, String, bool, String, Option<String>)> = sqlx::query_as(
                "SELECT p.id, p.name, p.description, p.enabled, p.created_at, r.name
                   FROM projects p
                   LEFT JOIN role_assignments a ON a.project_id = p.id AND a.user_id = $2
                   LEFT JOIN roles r ON r.id = a.role_id
                  WHERE p.id = $1",
            )
            .bind(project.as_str())
            .bind(user.as_str())
            .fetch_all(pool)
            .await?;
            let roles = rows
                .iter()
                .filter_map(|r| r.5.as_deref().and_then(Role::parse))
                .collect();
            Ok(rows
                .into_iter()
                .next()
                .map(|r| (super::project((r.0, r.1, r.2, r.3, r.4)), roles)))
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
}
