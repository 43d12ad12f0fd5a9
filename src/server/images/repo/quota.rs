//! A project's usage and its Keystone-style limits.

use super::*;

impl ImageRepo {
    /// What a project's images use: (bytes of data, live images, images receiving data).
    pub async fn usage(&self, project: &ProjectId) -> Result<(i64, i64, i64), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r: (i64, i64, i64) = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT), COUNT(*),
                    COUNT(CASE WHEN status IN ('saving', 'uploading', 'importing') THEN 1 END)
               FROM images WHERE owner = $1 AND deleted = FALSE",
            )
            .bind(project.as_str())
            .fetch_one(pool)
            .await?;
            Ok(r)
        })
    }

    /// A project's limit on an image resource, if one is set.
    pub async fn limit(
        &self,
        project: &ProjectId,
        resource: &str,
    ) -> Result<Option<i64>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r: Option<(i64,)> = sqlx::query_as(
                "SELECT resource_limit FROM limits WHERE project_id = $1 AND service_id = $2 AND resource_name = $3",
            )
            .bind(project.as_str())
            .bind(crate::domain::identity::IMAGE_SERVICE_ID)
            .bind(resource)
            .fetch_optional(pool)
            .await?;
            Ok(r.map(|r| r.0).filter(|l| *l >= 0))
        })
    }

    /// Every image limit of `project` in one query, by resource name (negative ones left out).
    pub async fn limits(
        &self,
        project: &ProjectId,
    ) -> Result<std::collections::HashMap<String, i64>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT resource_name, resource_limit FROM limits WHERE project_id = $1 AND service_id = $2",
            )
            .bind(project.as_str())
            .bind(crate::domain::identity::IMAGE_SERVICE_ID)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().filter(|(_, l)| *l >= 0).collect())
        })
    }
}
