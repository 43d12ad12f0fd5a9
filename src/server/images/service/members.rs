//! Sharing use cases: members of a shared image (add, list, show, accept or reject, remove) and
//! what is shared with the caller.

use super::*;

impl ImageService {
    /// `POST /images/{id}/members`: shares a shared image with an existing project (pending).
    pub async fn add_member(
        &self,
        actor: &Actor,
        id: &ImageId,
        member: &str,
    ) -> Result<Member, ImageError> {
        let (img, m) = self.load(actor, id).await?;
        allow(
            self.decide(
                Rule::AddMember,
                actor,
                Some(&img),
                m,
                policy::can_manage_members(actor, &img, m),
            ),
            id,
        )?;
        if member.trim().is_empty() {
            return Err(ImageError::Invalid(Reason::MemberIdRequired));
        }
        let member = ProjectId::parse(member.trim()).map_err(|_| {
            ImageError::Invalid(Reason::NotAProjectId {
                value: crate::domain::image::excerpt(member),
            })
        })?;
        if !self.repo.project_exists(&member).await? {
            return Err(ImageError::Invalid(Reason::NoSuchProject {
                id: member.to_string(),
            }));
        }
        if self.repo.members(id, None).await?.len() >= MAX_MEMBERS {
            return Err(ImageError::TooLarge(Reason::TooManyMembers {
                max: MAX_MEMBERS,
            }));
        }
        self.repo
            .add_member(id, &member, &clock::stored(clock::now()))
            .await?;
        let added = self.member(actor, id, &member).await?;
        self.notify_member("image.member.create", &img, &added, None)
            .await;
        Ok(added)
    }

    /// A member event; `gone` is a member just removed, who still hears of it.
    async fn notify_member(
        &self,
        event_type: &'static str,
        img: &Image,
        m: &Member,
        gone: Option<&ProjectId>,
    ) {
        if self.events.enabled(event_type) {
            let mut members = self.audience(img).await;
            members.extend(gone.cloned());
            self.events.member(event_type, img, m, members);
        }
    }

    /// `GET /images/{id}/members`: all of them for the owner, only itself for a member.
    pub async fn members(&self, actor: &Actor, id: &ImageId) -> Result<Vec<Member>, ImageError> {
        let (img, _) = self.load(actor, id).await?;
        allow(policy::can_list_members(&img), id)?;
        let all = self.repo.members(id, None).await?;
        Ok(all
            .into_iter()
            .filter(|mb| policy::can_see_member(actor, &img, &mb.member_id).is_allowed())
            .collect())
    }

    /// `GET /images/{id}/members/{member}`.
    pub async fn member(
        &self,
        actor: &Actor,
        id: &ImageId,
        member: &ProjectId,
    ) -> Result<Member, ImageError> {
        let (img, _) = self.load(actor, id).await?;
        allow(policy::can_list_members(&img), id)?;
        let missing = || not_a_member(member, id);
        allow(policy::can_see_member(actor, &img, member), id).map_err(|_| missing())?;
        self.repo
            .members(id, Some(member))
            .await?
            .pop()
            .ok_or_else(missing)
    }

    /// `PUT /images/{id}/members/{member}`: the member accepts, rejects or resets its share.
    pub async fn set_member_status(
        &self,
        actor: &Actor,
        id: &ImageId,
        member: &ProjectId,
        status: &str,
    ) -> Result<Member, ImageError> {
        let (img, _) = self.load(actor, id).await?;
        if !MEMBER_STATUSES.contains(&status) {
            return Err(ImageError::Invalid(Reason::BadMemberStatus {
                status: status.to_string(),
            }));
        }
        allow(policy::can_see_member(actor, &img, member), id)?;
        allow(
            self.decide(
                Rule::ModifyMember,
                actor,
                Some(&img),
                Membership::None,
                policy::can_set_member_status(actor, member),
            ),
            id,
        )?;
        if !self
            .repo
            .set_member_status(id, member, status, &clock::stored(clock::now()))
            .await?
        {
            return Err(not_a_member(member, id));
        }
        let changed = self.member(actor, id, member).await?;
        self.notify_member("image.member.update", &img, &changed, None)
            .await;
        Ok(changed)
    }

    /// `DELETE /images/{id}/members/{member}`: the owner (or an admin) stops sharing.
    pub async fn remove_member(
        &self,
        actor: &Actor,
        id: &ImageId,
        member: &ProjectId,
    ) -> Result<(), ImageError> {
        let (img, m) = self.load(actor, id).await?;
        match self.decide(
            Rule::DeleteMember,
            actor,
            Some(&img),
            m,
            policy::owner_member_decision(actor, &img, m),
        ) {
            Decision::Allow => {}
            Decision::Forbidden(why) => return Err(ImageError::Forbidden(why)),
            Decision::Hidden => return Err(not_found(id)),
        }
        let before = self.repo.members(id, Some(member)).await?.pop();
        if !self.repo.remove_member(id, member).await? {
            return Err(not_a_member(member, id));
        }
        if let Some(mut gone) = before {
            gone.updated_at = clock::stored(clock::now());
            self.notify_member("image.member.delete", &img, &gone, Some(member))
                .await;
        }
        Ok(())
    }
}

impl ImageService {
    /// Shared images the caller's project is a member of (any status), with that membership.
    pub async fn shared_with(&self, actor: &Actor) -> Result<Vec<(Image, Member)>, ImageError> {
        let shared = self.repo.shared_with(&actor.project_id).await?;
        Ok(shared
            .into_iter()
            .map(|(img, m)| (self.readable(actor, img), m))
            .collect())
    }

    /// How many shares wait for the caller's project to accept or reject them.
    pub async fn pending_shares(&self, actor: &Actor) -> Result<usize, ImageError> {
        Ok(self.repo.pending_shares(&actor.project_id).await? as usize)
    }
}

fn not_a_member(member: &ProjectId, id: &ImageId) -> ImageError {
    ImageError::NotFound(Reason::NotAMember {
        member: member.to_string(),
        image: id.to_string(),
    })
}
