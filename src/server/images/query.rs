//! The image list query: filters, sort and page, parsed once from Glance's query parameters into
//! typed filters (the Glance API and the dashboard share the parser; column names stay in the
//! repository).

use crate::domain::ids::ImageId;
use crate::domain::image::{ImageStatus, Visibility};
use crate::server::clock;

/// Glance's page size limit.
pub const LIMIT_MAX: i64 = 1000;

/// Why list parameters are refused (400), in Glance's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

impl QueryError {
    fn new(msg: impl Into<String>) -> Self {
        QueryError(msg.into())
    }
}

/// A plain image field the list filters on by equality (or Glance's `in:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// name
    Name,
    /// id
    Id,
    /// status
    Status,
    /// disk_format
    DiskFormat,
    /// container_format
    ContainerFormat,
    /// owner
    Owner,
    /// checksum
    Checksum,
    /// os_hash_value
    OsHashValue,
}

/// A sortable column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// name
    Name,
    /// status
    Status,
    /// container_format
    ContainerFormat,
    /// disk_format
    DiskFormat,
    /// size
    Size,
    /// id
    Id,
    /// created_at
    CreatedAt,
    /// updated_at
    UpdatedAt,
}

impl SortKey {
    /// Parses Glance's key name.
    pub fn parse(s: &str) -> Option<SortKey> {
        Some(match s {
            "name" => SortKey::Name,
            "status" => SortKey::Status,
            "container_format" => SortKey::ContainerFormat,
            "disk_format" => SortKey::DiskFormat,
            "size" => SortKey::Size,
            "id" => SortKey::Id,
            "created_at" => SortKey::CreatedAt,
            "updated_at" => SortKey::UpdatedAt,
            _ => return None,
        })
    }

    /// The SQL expression sorted on (NULLs folded so that keyset comparisons work).
    pub fn sql(self) -> &'static str {
        match self {
            SortKey::Name => "COALESCE(i.name, '')",
            SortKey::Status => "i.status",
            SortKey::ContainerFormat => "COALESCE(i.container_format, '')",
            SortKey::DiskFormat => "COALESCE(i.disk_format, '')",
            SortKey::Size => "COALESCE(i.size, -1)",
            SortKey::Id => "i.id",
            SortKey::CreatedAt => "i.created_at",
            SortKey::UpdatedAt => "i.updated_at",
        }
    }
}

/// Comparison operators for timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// >
    Gt,
    /// >=
    Gte,
    /// <
    Lt,
    /// <=
    Lte,
    /// =
    Eq,
    /// !=
    Neq,
}

/// Which visibilities to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisibilityFilter {
    /// One visibility.
    Only(Visibility),
    /// Everything the caller may see.
    All,
}

/// Which member statuses make a shared image listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatusFilter {
    /// pending
    Pending,
    /// accepted (the default)
    Accepted,
    /// rejected
    Rejected,
    /// any
    All,
}

/// A parsed list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    /// Page size (1..=1000).
    pub limit: i64,
    /// Start after this image.
    pub marker: Option<ImageId>,
    /// Sort keys with their direction (true = descending); tie-breakers are added by the repo.
    pub sort: Vec<(SortKey, bool)>,
    /// Equality or `in:` filters on plain fields: (field, values).
    pub columns: Vec<(Column, Vec<String>)>,
    /// created_at comparisons (stored form).
    pub created_at: Vec<(Cmp, String)>,
    /// updated_at comparisons (stored form).
    pub updated_at: Vec<(Cmp, String)>,
    /// Minimum size.
    pub size_min: Option<i64>,
    /// Maximum size.
    pub size_max: Option<i64>,
    /// Every tag must be present.
    pub tags: Vec<String>,
    /// protected filter.
    pub protected: Option<bool>,
    /// os_hidden (false by default: hidden images are not listed).
    pub os_hidden: bool,
    /// Extra property equality filters.
    pub properties: Vec<(String, String)>,
    /// visibility filter (None = Glance's default list).
    pub visibility: Option<VisibilityFilter>,
    /// member_status filter.
    pub member_status: MemberStatusFilter,
    /// Case-insensitive substring of the name: the dashboard's search (Glance's `name=` filter
    /// stays exact), served by the database's trigram index.
    pub name_contains: Option<String>,
    /// Page backwards: the `limit` images just before `marker`, still in the requested order.
    pub before_marker: bool,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            limit: 25,
            marker: None,
            sort: vec![],
            columns: vec![],
            created_at: vec![],
            updated_at: vec![],
            size_min: None,
            size_max: None,
            tags: vec![],
            protected: None,
            os_hidden: false,
            properties: vec![],
            visibility: None,
            member_status: MemberStatusFilter::Accepted,
            name_contains: None,
            before_marker: false,
        }
    }
}

fn parse_bool(key: &str, v: &str) -> Result<bool, QueryError> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(QueryError::new(format!(
            "Invalid value '{v}' for '{key}': expected true or false"
        ))),
    }
}

fn parse_int(key: &str, v: &str) -> Result<i64, QueryError> {
    v.parse::<i64>()
        .map_err(|_| QueryError::new(format!("{key} param must be an integer")))
}

/// `in:a,b,"c,d"` -> [a, b, "c,d"]; `eq:x` and plain values -> [x]; other operators are refused.
fn parse_in(key: &str, v: &str) -> Result<Vec<String>, QueryError> {
    if let Some(list) = v.strip_prefix("in:") {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        for c in list.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        out.push(cur);
        return Ok(out);
    }
    if let Some(x) = v.strip_prefix("eq:") {
        return Ok(vec![x.to_string()]);
    }
    if let Some((op, _)) = v.split_once(':') {
        if ["neq", "gt", "gte", "lt", "lte"].contains(&op) {
            return Err(QueryError::new(format!(
                "Unable to filter on {key} using operator '{op}'"
            )));
        }
    }
    Ok(vec![v.to_string()])
}

fn parse_time_filter(key: &str, v: &str) -> Result<(Cmp, String), QueryError> {
    let (op, ts) = match v.split_once(':') {
        Some((op, rest)) if ["gt", "gte", "lt", "lte", "eq", "neq"].contains(&op) => (op, rest),
        _ => ("eq", v),
    };
    let cmp = match op {
        "gt" => Cmp::Gt,
        "gte" => Cmp::Gte,
        "lt" => Cmp::Lt,
        "lte" => Cmp::Lte,
        "neq" => Cmp::Neq,
        _ => Cmp::Eq,
    };
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .or_else(|_| {
            time::OffsetDateTime::parse(
                &format!("{ts}Z"),
                &time::format_description::well_known::Rfc3339,
            )
        })
        .map_err(|_| QueryError::new(format!("Invalid time format for {key}: {ts}")))?;
    Ok((cmp, clock::stored(t.to_offset(time::UtcOffset::UTC))))
}

impl ListQuery {
    /// Parses Glance's list parameters (as the API and the dashboard receive them).
    pub fn parse(params: &[(String, String)]) -> Result<ListQuery, QueryError> {
        let mut q = ListQuery::default();
        let (mut sort_keys, mut sort_dirs, mut sort) = (vec![], vec![], None);
        for (k, v) in params {
            match k.as_str() {
                "limit" => {
                    let n = parse_int("limit", v)?;
                    if n < 0 {
                        return Err(QueryError::new("limit param must be positive"));
                    }
                    q.limit = n.min(LIMIT_MAX);
                }
                "marker" => {
                    q.marker = Some(
                        v.parse()
                            .map_err(|_| QueryError::new(format!("marker {v} not found")))?,
                    );
                }
                "sort_key" => sort_keys.push(v.clone()),
                "sort_dir" => sort_dirs.push(v.clone()),
                "sort" => sort = Some(v.clone()),
                "name" | "id" | "disk_format" | "container_format" => {
                    let col = match k.as_str() {
                        "name" => Column::Name,
                        "id" => Column::Id,
                        "disk_format" => Column::DiskFormat,
                        _ => Column::ContainerFormat,
                    };
                    q.columns.push((col, parse_in(k, v)?));
                }
                "status" => {
                    let values = parse_in(k, v)?;
                    for s in &values {
                        if ImageStatus::parse(s).is_none() {
                            return Err(QueryError::new(format!("Invalid status value: {s}")));
                        }
                    }
                    q.columns.push((Column::Status, values));
                }
                "owner" => q.columns.push((Column::Owner, vec![v.clone()])),
                "checksum" => q.columns.push((Column::Checksum, vec![v.clone()])),
                "os_hash_value" => q.columns.push((Column::OsHashValue, vec![v.clone()])),
                "created_at" => q.created_at.push(parse_time_filter(k, v)?),
                "updated_at" => q.updated_at.push(parse_time_filter(k, v)?),
                "size_min" => q.size_min = Some(parse_int(k, v)?),
                "size_max" => q.size_max = Some(parse_int(k, v)?),
                "tag" => q.tags.push(v.clone()),
                "protected" => q.protected = Some(parse_bool(k, v)?),
                "os_hidden" => q.os_hidden = parse_bool(k, v)?,
                "visibility" => {
                    q.visibility =
                        Some(match v.as_str() {
                            "all" => VisibilityFilter::All,
                            other => VisibilityFilter::Only(Visibility::parse(other).ok_or_else(
                                || QueryError::new(format!("Invalid visibility value: {other}")),
                            )?),
                        })
                }
                "member_status" => {
                    q.member_status = match v.as_str() {
                        "pending" => MemberStatusFilter::Pending,
                        "accepted" => MemberStatusFilter::Accepted,
                        "rejected" => MemberStatusFilter::Rejected,
                        "all" => MemberStatusFilter::All,
                        other => return Err(QueryError::new(format!("Invalid status: {other}"))),
                    }
                }
                "changes-since" => {
                    return Err(QueryError::new(
                        "The 'changes-since' filter is no longer available on v2.",
                    ))
                }
                _ => q.properties.push((k.clone(), v.clone())),
            }
        }
        if let Some(sort) = sort {
            if !sort_keys.is_empty() || !sort_dirs.is_empty() {
                return Err(QueryError::new(
                    "The 'sort' parameter cannot be combined with sort_key or sort_dir.",
                ));
            }
            for part in sort.split(',').filter(|p| !p.is_empty()) {
                let (key, dir) = part.split_once(':').unwrap_or((part, "desc"));
                q.sort.push((sort_key(key.trim())?, sort_desc(dir.trim())?));
            }
        } else {
            if sort_dirs.len() > 1 && sort_dirs.len() != sort_keys.len() {
                return Err(QueryError::new(
                    "Number of sort dirs does not match the number of sort keys",
                ));
            }
            for (i, key) in sort_keys.iter().enumerate() {
                let dir = sort_dirs
                    .get(i)
                    .or(sort_dirs.first())
                    .map(String::as_str)
                    .unwrap_or("desc");
                q.sort.push((sort_key(key)?, sort_desc(dir)?));
            }
            if sort_keys.is_empty() {
                if let Some(dir) = sort_dirs.first() {
                    q.sort.push((SortKey::CreatedAt, sort_desc(dir)?));
                }
            }
        }
        Ok(q)
    }
}

fn sort_key(k: &str) -> Result<SortKey, QueryError> {
    SortKey::parse(k).ok_or_else(|| QueryError::new(format!("Invalid sort key: {k}. It should be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.")))
}

fn sort_desc(d: &str) -> Result<bool, QueryError> {
    match d {
        "asc" => Ok(false),
        "desc" => Ok(true),
        other => Err(QueryError::new(format!("Invalid sort direction: {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn list_parameters_parse_or_fail_with_400() {
        let q = ListQuery::parse(&p(&[
            ("limit", "5000"),
            ("name", "in:a,\"b,c\""),
            ("tag", "x"),
            ("tag", "y"),
            ("os_distro", "ubuntu"),
        ]))
        .unwrap();
        assert_eq!(q.limit, LIMIT_MAX);
        assert_eq!(q.columns[0].1, vec!["a".to_string(), "b,c".to_string()]);
        assert_eq!(q.tags.len(), 2);
        assert_eq!(
            q.properties,
            vec![("os_distro".to_string(), "ubuntu".to_string())]
        );
        let q = ListQuery::parse(&p(&[("sort", "name:asc,size")])).unwrap();
        assert_eq!(q.sort, vec![(SortKey::Name, false), (SortKey::Size, true)]);
        for bad in [
            vec![("limit", "x")],
            vec![("limit", "-1")],
            vec![("marker", "nope")],
            vec![("sort_key", "owner")],
            vec![("sort_dir", "up")],
            vec![("sort", "name"), ("sort_key", "size")],
            vec![("status", "bogus")],
            vec![("visibility", "secret")],
            vec![("protected", "maybe")],
            vec![("created_at", "gt:yesterday")],
            vec![("name", "gt:a")],
            vec![("size_min", "big")],
            vec![("changes-since", "2020-01-01T00:00:00Z")],
            vec![("member_status", "x")],
        ] {
            assert!(ListQuery::parse(&p(&bad)).is_err(), "{bad:?}");
        }
    }
}
