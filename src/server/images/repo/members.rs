//! Sharing: memberships, members of an image, and what is shared with a project.

use super::*;

impl ImageRepo {
    /// The membership of `project` in an image.
    pub async fn membership(
        &self,
        id: &ImageId,
        project: &ProjectId,
    ) -> Result<Membership, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let row: Option<(String,)> =
                sqlx::query_as("SELECT status FROM image_members WHERE image_id = $1 AND member = $2")
                    .bind(id.as_str())
                    .bind(project.as_str())
                    .fetch_optional(pool)
                    .await?;
            Ok(match row.as_ref().map(|r| r.0.as_str()) {
                Some("accepted") => Membership::Accepted,
                Some("rejected") => Membership::Rejected,
                Some(_) => Membership::Pending,
                None => Membership::None,
            })
        })
    }

    /// Shared images `project` is a member of, with its membership, newest first (at most 1000).
    pub async fn shared_with(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<(Image, Member)>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            // One query for the images with the project's membership, one for their children.
            #[derive(sqlx::FromRow)]
            struct SharedRow {
                #[sqlx(flatten)]
                image: Row,
                m_status: String,
                m_created_at: String,
                m_updated_at: String,
            }
            let rows: Vec<SharedRow> = sqlx::query_as(&format!(
                "SELECT {COLS}, m.status AS m_status, m.created_at AS m_created_at,
                        m.updated_at AS m_updated_at
                   FROM image_members m JOIN images i ON i.id = m.image_id
                  WHERE m.member = $1 AND i.deleted = FALSE AND i.visibility = 'shared'
                  ORDER BY i.created_at DESC LIMIT 1000"
            ))
            .bind(project.as_str())
            .fetch_all(pool)
            .await?;
            let mut members = Vec::with_capacity(rows.len());
            let mut images = Vec::with_capacity(rows.len());
            for r in rows {
                if let Some(img) = r.image.into_image() {
                    members.push(Member {
                        image_id: img.id.clone(),
                        member_id: project.clone(),
                        status: r.m_status,
                        created_at: r.m_created_at,
                        updated_at: r.m_updated_at,
                    });
                    images.push(img);
                }
            }
            self.load_children(&mut images).await?;
            Ok(images.into_iter().zip(members).collect())
        })
    }

    /// How many shares wait for `project`'s answer.
    pub async fn pending_shares(&self, project: &ProjectId) -> Result<i64, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let n: (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM image_members m JOIN images i ON i.id = m.image_id
                  WHERE m.member = $1 AND m.status = 'pending' AND i.deleted = FALSE AND i.visibility = 'shared'",
            )
            .bind(project.as_str())
            .fetch_one(pool)
            .await?;
            Ok(n.0)
        })
    }

    /// Whether a project exists (members must be real projects).
    pub async fn project_exists(&self, id: &ProjectId) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM projects WHERE id = $1")
                .bind(id.as_str())
                .fetch_one(pool)
                .await?;
            Ok(n.0 > 0)
        })
    }

    /// The members of an image, optionally only one.
    pub async fn members(
        &self,
        id: &ImageId,
        only: Option<&ProjectId>,
    ) -> Result<Vec<Member>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                "SELECT member, status, created_at, updated_at FROM image_members
                  WHERE image_id = $1 AND ($2 IS NULL OR member = $2) ORDER BY created_at, member",
            )
            .bind(id.as_str())
            .bind(only.map(|p| p.as_str()))
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(|r| {
                    Some(Member {
                        image_id: id.clone(),
                        member_id: ProjectId::parse(&r.0).ok()?,
                        status: r.1,
                        created_at: r.2,
                        updated_at: r.3,
                    })
                })
                .collect())
        })
    }

    /// Adds a member (pending); `Conflict` if it is one already.
    pub async fn add_member(
        &self,
        id: &ImageId,
        member: &ProjectId,
        now: &str,
    ) -> Result<(), ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            sqlx::query("INSERT INTO image_members (image_id, member, status, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $4)")
                .bind(id.as_str())
                .bind(member.as_str())
                .bind(now)
                .bind(now)
                .execute(pool)
                .await
                .map_err(|e| {
                    conflict_on_unique(e, || {
                        ImageError::Conflict(Reason::MemberExists {
                            member: member.to_string(),
                            image: id.to_string(),
                        })
                    })
                })?;
            Ok(())
        })
    }

    /// Sets a member's status; false if there is no such member.
    pub async fn set_member_status(
        &self,
        id: &ImageId,
        member: &ProjectId,
        status: &str,
        now: &str,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query(
                "UPDATE image_members SET status = $1, updated_at = $2 WHERE image_id = $3 AND member = $4",
            )
            .bind(status)
            .bind(now)
            .bind(id.as_str())
            .bind(member.as_str())
            .execute(pool)
            .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Removes a member; false if there was none.
    pub async fn remove_member(
        &self,
        id: &ImageId,
        member: &ProjectId,
    ) -> Result<bool, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let r = sqlx::query("DELETE FROM image_members WHERE image_id = $1 AND member = $2")
                .bind(id.as_str())
                .bind(member.as_str())
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }
}
