//! Image metadata use cases: show, list, count, create, update (JSON patch), delete, tags and
//! deactivate/reactivate.

use super::*;

impl ImageService {
    /// `GET /images/{id}`.
    pub async fn get(&self, actor: &Actor, id: &ImageId) -> Result<Image, ImageError> {
        let img = self.load(actor, id).await?.0;
        Ok(self.readable(actor, img))
    }

    /// Whether a list filters on a property the caller may not read: such a filter matches
    /// nothing, so that it cannot tell which images hold the hidden value.
    fn filters_unreadable(&self, actor: &Actor, q: &ListQuery) -> bool {
        q.properties
            .iter()
            .any(|(k, _)| !self.property_allowed(actor, k, PropertyOp::Read))
    }

    /// `GET /images`.
    pub async fn list(&self, actor: &Actor, q: &ListQuery) -> Result<Vec<Image>, ImageError> {
        if let Some(marker) = &q.marker {
            // The marker must be an image the caller can see.
            self.load(actor, marker).await.map_err(|_| {
                ImageError::Invalid(Reason::MarkerNotFound {
                    marker: marker.to_string(),
                })
            })?;
        }
        if self.filters_unreadable(actor, q) {
            return Ok(vec![]);
        }
        let images = self
            .repo
            .list(&actor.project_id, actor.is_admin(), q)
            .await?;
        Ok(images
            .into_iter()
            .map(|img| self.readable(actor, img))
            .collect())
    }

    /// How many images the caller would list with these filters, over every page; a count past
    /// `cap` stops at `cap + 1` ("more than cap").
    pub async fn count(&self, actor: &Actor, q: &ListQuery, cap: i64) -> Result<i64, ImageError> {
        if self.filters_unreadable(actor, q) {
            return Ok(0);
        }
        self.repo
            .count(&actor.project_id, actor.is_admin(), q, cap)
            .await
    }

    /// `POST /images`: `body` is the request's JSON object.
    pub async fn create(
        &self,
        actor: &Actor,
        body: Map<String, Value>,
    ) -> Result<Image, ImageError> {
        if !self
            .decide(
                Rule::AddImage,
                actor,
                None,
                Membership::None,
                policy::can_create(actor),
            )
            .is_allowed()
        {
            return Err(ImageError::Forbidden(Reason::NotAuthorizedToCreate));
        }
        let now = clock::stored(clock::now());
        let mut img = Image::queued(ImageId::random(), Some(actor.project_id.clone()), now);
        for (key, value) in body {
            match key.as_str() {
                "id" => {
                    let s = value
                        .as_str()
                        .ok_or_else(|| wrong_type("id", Expected::String))?;
                    img.id = ImageId::parse(s).map_err(|_| {
                        schema(SchemaProblem::NotAUuid {
                            value: s.to_string(),
                        })
                    })?;
                }
                "tags" => img.tags = tags_from(&value)?,
                _ => self.set_field(actor, &mut img, &key, value, true)?,
            }
        }
        if img.properties.len() > MAX_PROPERTIES {
            return Err(ImageError::TooLarge(Reason::TooManyProperties {
                max: MAX_PROPERTIES,
            }));
        }
        if let Some(owner) = &img.owner {
            if let Some(limit) = self.repo.limit(owner, "image_count_total").await? {
                if self.repo.usage(owner).await?.1 + 1 > limit {
                    return Err(ImageError::TooLarge(Reason::ImageCountQuota { limit }));
                }
            }
        }
        if self.repo.id_taken(&img.id).await? {
            return Err(ImageError::Conflict(Reason::ImageExists {
                id: img.id.to_string(),
            }));
        }
        self.repo.insert(&img).await?;
        tracing::info!(image = %img.id, project = %actor.project_id, "image created");
        self.notify("image.create", &img).await;
        Ok(self.readable(actor, img))
    }

    /// Sets one field from JSON, with every check Glance makes.
    fn set_field(
        &self,
        actor: &Actor,
        img: &mut Image,
        key: &str,
        value: Value,
        creating: bool,
    ) -> Result<(), ImageError> {
        if !check_key(key)? {
            let s = value.as_str().ok_or_else(|| {
                schema(SchemaProblem::ValueNotString {
                    key: key.to_string(),
                })
            })?;
            check_extra_value(key, s)?;
            // Unreadable properties were split off: a key the caller cannot see is a new one.
            let op = if img.properties.contains_key(key) {
                PropertyOp::Update
            } else {
                PropertyOp::Create
            };
            self.check_property(actor, key, op)?;
            img.properties.insert(key.to_string(), s.to_string());
            return Ok(());
        }
        match key {
            "name" => {
                img.name = match value {
                    Value::Null => None,
                    Value::String(s) => {
                        check_name(&s)?;
                        Some(s)
                    }
                    _ => return Err(wrong_type("name", Expected::StringOrNull)),
                }
            }
            "visibility" => {
                let s = value
                    .as_str()
                    .ok_or_else(|| wrong_type("visibility", Expected::String))?;
                let v = Visibility::parse(s).ok_or_else(|| {
                    schema(SchemaProblem::NotAVisibility {
                        value: s.to_string(),
                    })
                })?;
                if v != img.visibility {
                    let rule = match v {
                        Visibility::Public => Rule::PublicizeImage,
                        Visibility::Community => Rule::CommunitizeImage,
                        _ => Rule::ModifyImage,
                    };
                    let default = policy::can_set_visibility(actor, v);
                    allow(
                        self.decide(rule, actor, Some(img), Membership::None, default),
                        &img.id,
                    )?;
                }
                img.visibility = v;
            }
            "protected" | "os_hidden" => {
                let b = value
                    .as_bool()
                    .ok_or_else(|| wrong_type(key, Expected::Boolean))?;
                if key == "protected" {
                    img.protected = b;
                } else {
                    img.os_hidden = b;
                }
            }
            "owner" => {
                let owner =
                    match value {
                        Value::Null => None,
                        Value::String(s) => Some(ProjectId::parse(&s).map_err(|_| {
                            schema(SchemaProblem::NotAProjectId { value: s.clone() })
                        })?),
                        _ => return Err(wrong_type("owner", Expected::StringOrNull)),
                    };
                if owner != img.owner {
                    allow(policy::can_set_owner(actor, owner.as_ref()), &img.id)?;
                }
                img.owner = owner;
            }
            "disk_format" | "container_format" => {
                if !creating && !matches!(img.status, ImageStatus::Queued | ImageStatus::Importing)
                {
                    return Err(ImageError::Forbidden(Reason::ReplaceOnlyWhenQueued {
                        attribute: key.to_string(),
                    }));
                }
                let v = match value {
                    Value::Null => None,
                    Value::String(s) => {
                        if key == "disk_format" {
                            check_disk_format(&s)?;
                        } else {
                            check_container_format(&s)?;
                        }
                        Some(s)
                    }
                    _ => return Err(wrong_type(key, Expected::StringOrNull)),
                };
                if key == "disk_format" {
                    img.disk_format = v;
                } else {
                    img.container_format = v;
                }
            }
            "min_ram" | "min_disk" => {
                let n = value
                    .as_i64()
                    .ok_or_else(|| wrong_type(key, Expected::Integer))?;
                check_minimum(key, n)?;
                if key == "min_ram" {
                    img.min_ram = n;
                } else {
                    img.min_disk = n;
                }
            }
            _ => unreachable!("check_key lists the writable keys"),
        }
        Ok(())
    }

    /// `PATCH /images/{id}`: applies the changes in order, all or nothing.
    pub async fn update(
        &self,
        actor: &Actor,
        id: &ImageId,
        changes: Vec<Change>,
    ) -> Result<Image, ImageError> {
        let mut img = self.load_for_modify(actor, id).await?;
        let hidden = self.split_unreadable(actor, &mut img);
        for change in changes {
            match change {
                Change::Add(key, value) | Change::Replace(key, value) if key == "tags" => {
                    img.tags = tags_from(&value)?
                }
                Change::Remove(key) if key == "tags" => img.tags.clear(),
                Change::Add(key, value) => self.set_field(actor, &mut img, &key, value, false)?,
                Change::AddNew(key, value) => {
                    if key == "tags" || check_key(&key)? || img.properties.contains_key(&key) {
                        return Err(ImageError::Conflict(Reason::PropertyPresent {
                            key: key.to_string(),
                        }));
                    }
                    self.set_field(actor, &mut img, &key, value, false)?;
                }
                Change::Replace(key, value) => {
                    if !check_key(&key)? && !img.properties.contains_key(&key) {
                        return Err(ImageError::Conflict(Reason::PropertyMissing {
                            key: key.to_string(),
                        }));
                    }
                    self.set_field(actor, &mut img, &key, value, false)?;
                }
                Change::Remove(key) => {
                    if check_key(&key)? {
                        return Err(ImageError::Forbidden(Reason::BaseProperty {
                            name: key.to_string(),
                        }));
                    }
                    if !img.properties.contains_key(&key) {
                        return Err(ImageError::Conflict(Reason::PropertyMissing {
                            key: key.to_string(),
                        }));
                    }
                    self.check_property(actor, &key, PropertyOp::Delete)?;
                    img.properties.remove(&key);
                }
            }
        }
        let mut saved = img.clone();
        for (k, v) in hidden {
            saved.properties.entry(k).or_insert(v);
        }
        if saved.properties.len() > MAX_PROPERTIES {
            return Err(ImageError::TooLarge(Reason::TooManyProperties {
                max: MAX_PROPERTIES,
            }));
        }
        saved.updated_at = clock::stored(clock::now());
        self.repo.save(&saved).await?;
        self.notify("image.update", &saved).await;
        img.updated_at = saved.updated_at;
        Ok(img)
    }

    /// `DELETE /images/{id}`: refused for protected images; the data goes, the row is soft-deleted.
    pub async fn delete(&self, actor: &Actor, id: &ImageId) -> Result<(), ImageError> {
        let (img, m) = self.load(actor, id).await?;
        allow(
            self.decide(
                Rule::DeleteImage,
                actor,
                Some(&img),
                m,
                policy::can_delete(actor, &img, m),
            ),
            id,
        )?;
        if img.protected {
            return Err(ImageError::Forbidden(Reason::ImageProtected {
                id: id.to_string(),
            }));
        }
        // Who hears of the deletion: read before the members go.
        let members = self.audience(&img).await;
        let event = if self.delayed_delete {
            Event::DelayedDelete
        } else {
            Event::Delete
        };
        let to = transition(img.status, event)?;
        let now = clock::stored(clock::now());
        if to == ImageStatus::PendingDelete {
            // The data, members, tags and properties stay until the scrubber (or a restore).
            self.repo.mark_pending_delete(id, to, &now).await?;
            tracing::info!(image = %id, by = %actor.user_name, "image deleted (pending the scrubber)");
            self.notify_deleted(img, to, now, members);
            return Ok(());
        }
        let locations = self.repo.locations(id).await?;
        self.repo.soft_delete(id, to, &now).await?;
        // Data staged for an import goes with the image.
        if matches!(img.status, ImageStatus::Uploading | ImageStatus::Importing) {
            if let Some(staging) = self.stores.staging() {
                staging.delete(&staging.location_for(id)).await?;
            }
        }
        for (store, location) in locations {
            match self.stores.get(&store) {
                Some(s) => s.delete(&location).await?,
                None => {
                    tracing::warn!(image = %id, store, "data left in a store no longer configured")
                }
            }
        }
        tracing::info!(image = %id, by = %actor.user_name, "image deleted");
        self.notify_deleted(img, to, now, members);
        Ok(())
    }

    /// `image.delete`, with the image as it ends and the members it had.
    fn notify_deleted(
        &self,
        mut img: Image,
        to: ImageStatus,
        now: String,
        members: Vec<ProjectId>,
    ) {
        img.status = to;
        img.updated_at = now;
        self.events.image("image.delete", &img, members);
    }

    /// `PUT /images/{id}/tags/{tag}` (idempotent).
    pub async fn add_tag(&self, actor: &Actor, id: &ImageId, tag: &str) -> Result<(), ImageError> {
        let mut img = self.load_for_modify(actor, id).await?;
        check_tag(tag)?;
        if !img.tags.iter().any(|t| t == tag) {
            if img.tags.len() >= MAX_TAGS {
                return Err(ImageError::TooLarge(Reason::TooManyTags { max: MAX_TAGS }));
            }
            img.tags.push(tag.to_string());
            img.updated_at = clock::stored(clock::now());
            self.repo.save(&img).await?;
            self.notify("image.update", &img).await;
        }
        Ok(())
    }

    /// `DELETE /images/{id}/tags/{tag}`: 404 if the tag is not there.
    pub async fn remove_tag(
        &self,
        actor: &Actor,
        id: &ImageId,
        tag: &str,
    ) -> Result<(), ImageError> {
        let mut img = self.load_for_modify(actor, id).await?;
        let before = img.tags.len();
        img.tags.retain(|t| t != tag);
        if img.tags.len() == before {
            return Err(ImageError::NotFound(Reason::TagNotFound {
                tag: tag.to_string(),
            }));
        }
        img.updated_at = clock::stored(clock::now());
        self.repo.save(&img).await?;
        self.notify("image.update", &img).await;
        Ok(())
    }

    /// `POST /images/{id}/actions/deactivate` or `reactivate` (no-op when already there).
    pub async fn set_active(
        &self,
        actor: &Actor,
        id: &ImageId,
        active: bool,
    ) -> Result<(), ImageError> {
        let (img, m) = self.load(actor, id).await?;
        let rule = if active {
            Rule::Reactivate
        } else {
            Rule::Deactivate
        };
        allow(
            self.decide(
                rule,
                actor,
                Some(&img),
                m,
                policy::can_deactivate(actor, &img, m),
            ),
            id,
        )?;
        let to = transition(
            img.status,
            if active {
                Event::Reactivate
            } else {
                Event::Deactivate
            },
        )?;
        if to != img.status
            && !self
                .repo
                .set_status(id, img.status, to, &clock::stored(clock::now()))
                .await?
        {
            return Err(ImageError::Conflict(Reason::StatusChangedMeanwhile));
        }
        if to != img.status {
            let mut img = img;
            img.status = to;
            self.notify("image.update", &img).await;
        }
        Ok(())
    }
}

fn tags_from(value: &Value) -> Result<Vec<String>, ImageError> {
    let arr = value
        .as_array()
        .ok_or_else(|| wrong_type("tags", Expected::Strings))?;
    let mut tags: Vec<String> = Vec::new();
    for t in arr {
        let s = t
            .as_str()
            .ok_or_else(|| wrong_type("tags", Expected::Strings))?;
        check_tag(s)?;
        if !tags.iter().any(|x| x == s) {
            tags.push(s.to_string());
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(ImageError::TooLarge(Reason::TooManyTags { max: MAX_TAGS }));
    }
    Ok(tags)
}
