//! The image list query: filters, sort and page, as parsed from Glance's query parameters.

use crate::domain::ids::ImageId;
use crate::domain::image::Visibility;

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
    /// Equality or `in:` filters on plain columns: (column, values).
    pub columns: Vec<(&'static str, Vec<String>)>,
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
