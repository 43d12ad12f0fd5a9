//! Keystone-style unified limits.

use super::*;
use crate::domain::reason::Reason;

impl IdentityRepo {
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
            .map_err(|e| conflict_on_unique(e, || IdentityError::Conflict(Reason::LimitExists { project: l.project_id.to_string(), resource: l.resource_name.clone() })))?;
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
}
