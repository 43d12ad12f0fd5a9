//! Sharing: memberships, members of an image, and what is shared with a project.

use super::*;

impl ImageRepo {
    /// The membership of `project` in an image.
    pub async fn membership(
        &self,
        id: &ImageId,
        project: &ProjectId,
    ) -> Result<Membership, ImageError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM image_members WHERE image_id = ? AND member = ?")
                .bind(id.as_str())
                .bind(project.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row.as_ref().map(|r| r.0.as_str()) {
            Some("accepted") => Membership::Accepted,
            Some("rejected") => Membership::Rejected,
            Some(_) => Membership::Pending,
            None => Membership::None,
        })
    }

    /// Shared images `project` is a member of, with its membership, newest first (at most 1000).
    pub async fn shared_with(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<(Image, Member)>, ImageError> {
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT i.id FROM image_members m JOIN images i ON i.id = m.image_id
              WHERE m.member = ? AND i.deleted = 0 AND i.visibility = 'shared'
              ORDER BY i.created_at DESC LIMIT 1000",
        )
        .bind(project.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let Ok(id) = ImageId::parse(&id) else {
                continue;
            };
            if let (Some(img), Some(m)) = (
                self.get(&id).await?,
                self.members(&id, Some(project)).await?.pop(),
            ) {
                out.push((img, m));
            }
        }
        Ok(out)
    }

    /// How many shares wait for `project`'s answer.
    pub async fn pending_shares(&self, project: &ProjectId) -> Result<i64, ImageError> {
        let n: (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM image_members m JOIN images i ON i.id = m.image_id
              WHERE m.member = ? AND m.status = 'pending' AND i.deleted = 0 AND i.visibility = 'shared'",
        )
        .bind(project.as_str())
        .fetch_one(&self.pool)
        .await?;
        Ok(n.0)
    }

    /// Whether a project exists (members must be real projects).
    pub async fn project_exists(&self, id: &ProjectId) -> Result<bool, ImageError> {
        let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM projects WHERE id = ?")
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(n.0 > 0)
    }

    /// The members of an image, optionally only one.
    pub async fn members(
        &self,
        id: &ImageId,
        only: Option<&ProjectId>,
    ) -> Result<Vec<Member>, ImageError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT member, status, created_at, updated_at FROM image_members
              WHERE image_id = ?1 AND (?2 IS NULL OR member = ?2) ORDER BY created_at, member",
        )
        .bind(id.as_str())
        .bind(only.map(|p| p.as_str()))
        .fetch_all(&self.pool)
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
    }

    /// Adds a member (pending); `Conflict` if it is one already.
    pub async fn add_member(
        &self,
        id: &ImageId,
        member: &ProjectId,
        now: &str,
    ) -> Result<(), ImageError> {
        sqlx::query("INSERT INTO image_members (image_id, member, status, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?)")
            .bind(id.as_str())
            .bind(member.as_str())
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(|e| {
                conflict_on_unique(e, || {
                    ImageError::Conflict(format!("Member {member} already exists for image {id}."))
                })
            })?;
        Ok(())
    }

    /// Sets a member's status; false if there is no such member.
    pub async fn set_member_status(
        &self,
        id: &ImageId,
        member: &ProjectId,
        status: &str,
        now: &str,
    ) -> Result<bool, ImageError> {
        let r = sqlx::query(
            "UPDATE image_members SET status = ?, updated_at = ? WHERE image_id = ? AND member = ?",
        )
        .bind(status)
        .bind(now)
        .bind(id.as_str())
        .bind(member.as_str())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Removes a member; false if there was none.
    pub async fn remove_member(
        &self,
        id: &ImageId,
        member: &ProjectId,
    ) -> Result<bool, ImageError> {
        let r = sqlx::query("DELETE FROM image_members WHERE image_id = ? AND member = ?")
            .bind(id.as_str())
            .bind(member.as_str())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }
}
