//! The list and count queries: live images the caller may see, Glance's filters, and keyset
//! pages in any sort order (forwards, or backwards from a marker).

use super::*;

impl ImageRepo {
    /// One page of images visible to `project` (`admin` sees every project's).
    pub async fn list(
        &self,
        project: &ProjectId,
        admin: bool,
        q: &ListQuery,
    ) -> Result<Vec<Image>, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            let mut b: QueryBuilder<_> = QueryBuilder::new(format!("SELECT {COLS} FROM images i"));
            push_filters(&mut b, project, admin, q);
            let mut keys = q.sort.clone();
            let last_dir = keys.last().map(|k| k.1).unwrap_or(true);
            for tie in [SortKey::CreatedAt, SortKey::Id] {
                if !keys.iter().any(|k| k.0 == tie) {
                    keys.push((tie, last_dir));
                }
            }
            // Backwards: the same keyset walk in the opposite order, then the page turned around.
            let backwards = q.before_marker && q.marker.is_some();
            if backwards {
                for k in &mut keys {
                    k.1 = !k.1;
                }
            }
            if let Some(marker) = &q.marker {
                let m: Option<Row> =
                    sqlx::query_as(&format!("SELECT {COLS} FROM images i WHERE i.id = $1"))
                        .bind(marker.as_str())
                        .fetch_optional(pool)
                        .await?;
                let m = m.ok_or_else(|| ImageError::Invalid(Reason::MarkerNotFound { marker: marker.to_string() }))?;
                push_keyset(&mut b, &keys, &m);
            }
            b.push(" ORDER BY ");
            let mut sep = b.separated(", ");
            for (k, desc) in &keys {
                sep.push(format!(
                    "{} {}",
                    k.sql(),
                    if *desc { "DESC" } else { "ASC" }
                ));
            }
            b.push(" LIMIT ").push_bind(q.limit);
            let rows: Vec<Row> = b.build_query_as().fetch_all(pool).await?;
            let mut images: Vec<Image> = rows.into_iter().filter_map(Row::into_image).collect();
            if backwards {
                images.reverse();
            }
            self.load_children(&mut images).await?;
            Ok(images)
        })
    }

    /// How many images match the query's filters (marker and limit aside), counting no further
    /// than `cap + 1`.
    pub async fn count(
        &self,
        project: &ProjectId,
        admin: bool,
        q: &ListQuery,
        cap: i64,
    ) -> Result<i64, ImageError> {
        crate::server::db::db_run!(&self.db, pool => {
            // Counting stops past `cap`: the cost stays bounded however many images match.
            let mut b: QueryBuilder<_> =
                QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM images i");
            push_filters(&mut b, project, admin, q);
            b.push(" LIMIT ").push_bind(cap.saturating_add(1)).push(") AS capped");
            Ok(b.build_query_scalar().fetch_one(pool).await?)
        })
    }
}

/// The WHERE clause of a list or count: live images the caller may see, then every filter.
fn push_filters<D: Dialect>(
    b: &mut QueryBuilder<'_, D>,
    project: &ProjectId,
    admin: bool,
    q: &ListQuery,
) {
    b.push(" WHERE i.deleted = FALSE AND i.status NOT IN ('killed', 'deleted')");
    push_visibility(b, project, admin, q);
    if let Some(term) = q.name_contains.as_deref().filter(|t| !t.is_empty()) {
        D::name_contains(b, "i.name", term);
    }
    {
        let b = &mut *b;
        for (col, values) in &q.columns {
            let col = match col {
                Column::Name => "name",
                Column::Id => "id",
                Column::Status => "status",
                Column::DiskFormat => "disk_format",
                Column::ContainerFormat => "container_format",
                Column::Owner => "owner",
                Column::Checksum => "checksum",
                Column::OsHashValue => "os_hash_value",
            };
            b.push(format!(" AND i.{col} IN ("));
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    b.push(", ");
                }
                D::text(b, v.clone());
            }
            b.push(")");
        }
        for (col, conds) in [("created_at", &q.created_at), ("updated_at", &q.updated_at)] {
            for (op, v) in conds {
                let op = match op {
                    Cmp::Gt => ">",
                    Cmp::Gte => ">=",
                    Cmp::Lt => "<",
                    Cmp::Lte => "<=",
                    Cmp::Eq => "=",
                    Cmp::Neq => "!=",
                };
                b.push(format!(" AND substr(i.{col}, 1, 19) {op} substr("));
                D::text(b, v.clone());
                b.push(", 1, 19)");
            }
        }
        if let Some(min) = q.size_min {
            b.push(" AND i.size >= ");
            D::int(b, min);
        }
        if let Some(max) = q.size_max {
            b.push(" AND i.size <= ");
            D::int(b, max);
        }
        if let Some(p) = q.protected {
            b.push(" AND i.protected = ");
            D::boolean(b, p);
        }
        b.push(" AND i.os_hidden = ");
        D::boolean(b, q.os_hidden);
        for t in &q.tags {
            b.push(" AND EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = i.id AND t.tag = ");
            D::text(b, t.clone());
            b.push(")");
        }
        for (k, v) in &q.properties {
            b.push(" AND EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = i.id AND p.name = ");
            D::text(b, k.clone());
            b.push(" AND p.value = ");
            D::text(b, v.clone());
            b.push(")");
        }
    }
}

fn push_member<D: Dialect>(
    b: &mut QueryBuilder<'_, D>,
    project: &ProjectId,
    status: MemberStatusFilter,
) {
    b.push("EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member = ");
    D::text(b, project.as_str().to_string());
    match status {
        MemberStatusFilter::All => {}
        s => {
            let v = match s {
                MemberStatusFilter::Pending => "pending",
                MemberStatusFilter::Rejected => "rejected",
                _ => "accepted",
            };
            b.push(" AND m.status = ");
            D::text(b, v.to_string());
        }
    }
    b.push(")");
}

/// Glance's visible set: own images, public ones, shared ones where the project is a member with
/// the requested status; community images only when asked for (or owned). Admins see all.
fn push_visibility<D: Dialect>(
    b: &mut QueryBuilder<'_, D>,
    project: &ProjectId,
    admin: bool,
    q: &ListQuery,
) {
    let p = project.as_str().to_string();
    match (admin, q.visibility) {
        (true, None) => {
            b.push(" AND (i.visibility != 'community' OR i.owner = ");
            D::text(b, p);
            b.push(")");
        }
        (true, Some(VisibilityFilter::All)) => {}
        (true, Some(VisibilityFilter::Only(v))) => {
            b.push(" AND i.visibility = ");
            D::text(b, v.as_str().to_string());
        }
        (false, vis) => {
            b.push(" AND (");
            match vis {
                None | Some(VisibilityFilter::All) => {
                    b.push("i.owner = ");
                    D::text(b, p.clone());
                    b.push(" OR i.visibility = 'public'");
                    if vis.is_some() {
                        b.push(" OR i.visibility = 'community'");
                    }
                    b.push(" OR (i.visibility = 'shared' AND ");
                    push_member(b, project, q.member_status);
                    b.push(")");
                }
                Some(VisibilityFilter::Only(Visibility::Public)) => {
                    b.push("i.visibility = 'public'");
                }
                Some(VisibilityFilter::Only(Visibility::Community)) => {
                    b.push("i.visibility = 'community'");
                }
                Some(VisibilityFilter::Only(Visibility::Private)) => {
                    b.push("i.visibility = 'private' AND i.owner = ");
                    D::text(b, p.clone());
                }
                Some(VisibilityFilter::Only(Visibility::Shared)) => {
                    b.push("i.visibility = 'shared' AND (i.owner = ");
                    D::text(b, p.clone());
                    b.push(" OR ");
                    push_member(b, project, q.member_status);
                    b.push(")");
                }
            }
            b.push(")");
        }
    }
}

fn sort_value(k: SortKey, m: &Row) -> SortValue {
    match k {
        SortKey::Name => SortValue::Text(m.name.clone().unwrap_or_default()),
        SortKey::Status => SortValue::Text(m.status.clone()),
        SortKey::ContainerFormat => SortValue::Text(m.container_format.clone().unwrap_or_default()),
        SortKey::DiskFormat => SortValue::Text(m.disk_format.clone().unwrap_or_default()),
        SortKey::Size => SortValue::Int(m.size.unwrap_or(-1)),
        SortKey::Id => SortValue::Text(m.id.clone()),
        SortKey::CreatedAt => SortValue::Text(m.created_at.clone()),
        SortKey::UpdatedAt => SortValue::Text(m.updated_at.clone()),
    }
}

enum SortValue {
    Text(String),
    Int(i64),
}

fn push_value<D: Dialect>(b: &mut QueryBuilder<'_, D>, v: SortValue) {
    match v {
        SortValue::Text(s) => D::text(b, s),
        SortValue::Int(i) => D::int(b, i),
    }
}

/// Rows strictly after the marker in the sort order: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR …
fn push_keyset<D: Dialect>(b: &mut QueryBuilder<'_, D>, keys: &[(SortKey, bool)], marker: &Row) {
    b.push(" AND (");
    for (i, (k, desc)) in keys.iter().enumerate() {
        if i > 0 {
            b.push(" OR ");
        }
        b.push("(");
        for (prev, _) in &keys[..i] {
            b.push(format!("{} = ", prev.sql()));
            push_value(b, sort_value(*prev, marker));
            b.push(" AND ");
        }
        b.push(format!("{} {} ", k.sql(), if *desc { "<" } else { ">" }));
        push_value(b, sort_value(*k, marker));
        b.push(")");
    }
    b.push(")");
}
