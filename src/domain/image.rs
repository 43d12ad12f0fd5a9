//! Images as every layer sees them: `Image`, its status and visibility, the disk and container
//! formats Glance accepts, and the rules for what a caller may set (read-only and reserved keys,
//! lengths, enums). Pure: the service applies these, the browser forms reuse them.

use crate::domain::ids::{ImageId, ProjectId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// An image's status (Glance's enum; `killed` is never produced by v2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    /// Created, no data yet.
    Queued,
    /// Data is being uploaded.
    Saving,
    /// Data stored; usable.
    Active,
    /// Legacy failure state.
    Killed,
    /// Deleted (soft).
    Deleted,
    /// Data is being staged for import.
    Uploading,
    /// An import is running.
    Importing,
    /// Delayed delete.
    PendingDelete,
    /// Data may not be downloaded (except by admins).
    Deactivated,
}

impl ImageStatus {
    /// Every status.
    pub const ALL: [ImageStatus; 9] = [
        Self::Queued,
        Self::Saving,
        Self::Active,
        Self::Killed,
        Self::Deleted,
        Self::Uploading,
        Self::Importing,
        Self::PendingDelete,
        Self::Deactivated,
    ];

    /// The status as Glance spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Saving => "saving",
            Self::Active => "active",
            Self::Killed => "killed",
            Self::Deleted => "deleted",
            Self::Uploading => "uploading",
            Self::Importing => "importing",
            Self::PendingDelete => "pending_delete",
            Self::Deactivated => "deactivated",
        }
    }

    /// Parses Glance's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether the image is on its way somewhere (the dashboard refreshes such rows).
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            Self::Queued | Self::Saving | Self::Uploading | Self::Importing | Self::PendingDelete
        )
    }
}

impl fmt::Display for ImageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who can see an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone, in default lists.
    Public,
    /// Everyone by id or when asking for community images.
    Community,
    /// The owner and the projects it is shared with (the default).
    Shared,
    /// The owner only.
    Private,
}

impl Visibility {
    /// Every visibility.
    pub const ALL: [Visibility; 4] = [Self::Public, Self::Community, Self::Shared, Self::Private];

    /// Glance's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Community => "community",
            Self::Shared => "shared",
            Self::Private => "private",
        }
    }

    /// Parses Glance's spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Disk formats Glance accepts by default.
pub const DISK_FORMATS: [&str; 11] = [
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
];
/// Container formats Glance accepts by default.
pub const CONTAINER_FORMATS: [&str; 8] = [
    "ami",
    "ari",
    "aki",
    "bare",
    "ovf",
    "ova",
    "docker",
    "compressed",
];
/// Longest name, tag, property key or property value.
pub const MAX_FIELD_LEN: usize = 255;

/// An image with everything Glance shows about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Its id.
    pub id: ImageId,
    /// Optional name.
    pub name: Option<String>,
    /// Status.
    pub status: ImageStatus,
    /// Visibility.
    pub visibility: Visibility,
    /// Protected images cannot be deleted.
    pub protected: bool,
    /// Hidden from default lists.
    pub os_hidden: bool,
    /// Owning project.
    pub owner: Option<ProjectId>,
    /// Disk format.
    pub disk_format: Option<String>,
    /// Container format.
    pub container_format: Option<String>,
    /// Size of the data in bytes.
    pub size: Option<i64>,
    /// Virtual disk size in bytes.
    pub virtual_size: Option<i64>,
    /// MD5 of the data (hex).
    pub checksum: Option<String>,
    /// The secure hash algorithm (sha512).
    pub os_hash_algo: Option<String>,
    /// The secure hash (hex).
    pub os_hash_value: Option<String>,
    /// Minimum disk, GB.
    pub min_disk: i64,
    /// Minimum RAM, MB.
    pub min_ram: i64,
    /// Creation time (stored form).
    pub created_at: String,
    /// Last change (stored form).
    pub updated_at: String,
    /// Tags, sorted.
    pub tags: Vec<String>,
    /// Extra properties.
    pub properties: BTreeMap<String, String>,
    /// The ids of the stores holding its data (Glance's read-only `stores`).
    #[serde(default)]
    pub stores: Vec<String>,
}

impl Image {
    /// The file name a browser saves the image's data under: its name (or id) with the disk
    /// format as extension (`cirros.qcow2`), path separators and control characters replaced.
    pub fn download_file_name(&self) -> String {
        let base: String = self
            .name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| self.id.to_string())
            .chars()
            .map(|c| {
                if c == '/' || c == '\\' || c.is_control() {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let ext = match self.disk_format.as_deref() {
            Some(f) if DISK_FORMATS.contains(&f) => f,
            _ => "img",
        };
        if base.to_ascii_lowercase().ends_with(&format!(".{ext}")) {
            base
        } else {
            format!("{base}.{ext}")
        }
    }

    /// A new image as Glance creates it: queued, shared, unprotected, no data, owned by `owner`.
    pub fn queued(id: ImageId, owner: Option<ProjectId>, now: String) -> Image {
        Image {
            id,
            name: None,
            status: ImageStatus::Queued,
            visibility: Visibility::Shared,
            protected: false,
            os_hidden: false,
            owner,
            disk_format: None,
            container_format: None,
            size: None,
            virtual_size: None,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            min_disk: 0,
            min_ram: 0,
            created_at: now.clone(),
            updated_at: now,
            tags: vec![],
            properties: BTreeMap::new(),
            stores: vec![],
        }
    }
}

/// Why a requested image change is refused, with Glance's status class.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum FieldError {
    /// 403: the attribute cannot be set by anyone.
    #[error("Attribute '{0}' is read-only.")]
    ReadOnly(String),
    /// 403: the attribute is reserved.
    #[error("Attribute '{0}' is reserved.")]
    Reserved(String),
    /// 400: the value does not fit the schema.
    #[error("Provided object does not match schema 'image': {0}")]
    Schema(SchemaProblem),
}

/// What does not fit the image schema: typed, so the dashboard words it in the user's language;
/// `Display` gives the API's (Glance's) words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SchemaProblem {
    /// An extra property's name is empty or too long (`key` is an excerpt).
    #[error("property name {key:?} must be 1 to 255 characters")]
    KeyLength { key: String },
    /// An extra property's value is too long.
    #[error("the value of {key:?} is longer than 255 characters")]
    ValueTooLong { key: String },
    /// A name or tag is too long (`value` is an excerpt).
    #[error("'{value}' is too long (at most 255 characters)")]
    TooLong { value: String },
    /// A disk or container format that is not one of the allowed ones.
    #[error("'{value}' is not one of {allowed:?}")]
    NotOneOf { value: String, allowed: Vec<String> },
    /// A visibility that is not one of Glance's four.
    #[error("'{value}' is not one of ['community', 'public', 'private', 'shared']")]
    NotAVisibility { value: String },
    /// `min_disk` or `min_ram` below zero.
    #[error("{value} is less than the minimum of 0 for {key}")]
    Negative { key: String, value: i64 },
    /// An image id that is not a UUID.
    #[error("'{value}' does not match the UUID pattern")]
    NotAUuid { value: String },
    /// An owner that is not a project id.
    #[error("'{value}' is not a project id")]
    NotAProjectId { value: String },
    /// An extra property's value that is not a string.
    #[error("the value of {key:?} must be a string")]
    ValueNotString { key: String },
    /// A base field (`id`, `tags` among them) of the wrong JSON type.
    #[error("{key} must be {}", expected.words())]
    WrongType { key: String, expected: Expected },
}

/// The JSON type a field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expected {
    /// A string.
    String,
    /// A string or null.
    StringOrNull,
    /// A boolean.
    Boolean,
    /// An integer.
    Integer,
    /// An array of strings.
    Strings,
}

impl Expected {
    /// The schema's words for the type.
    pub fn words(self) -> &'static str {
        match self {
            Expected::String => "a string",
            Expected::StringOrNull => "a string or null",
            Expected::Boolean => "a boolean",
            Expected::Integer => "an integer",
            Expected::Strings => "an array of strings",
        }
    }
}

/// Base properties a caller may set.
pub const WRITABLE: [&str; 9] = [
    "name",
    "visibility",
    "protected",
    "os_hidden",
    "owner",
    "disk_format",
    "container_format",
    "min_ram",
    "min_disk",
];
/// Base properties nobody sets (the server computes them).
pub const READ_ONLY: [&str; 15] = [
    "id",
    "status",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
    "created_at",
    "updated_at",
    "direct_url",
    "self",
    "file",
    "schema",
    "stores",
    "tags",
];
/// Keys reserved by Glance.
pub const RESERVED: [&str; 4] = ["location", "locations", "deleted", "deleted_at"];

/// At most a short excerpt of what a user typed, for messages that quote it (a whole 255-character
/// value repeated back helps nobody).
pub fn excerpt(s: &str) -> String {
    const KEEP: usize = 32;
    if s.chars().count() <= KEEP {
        s.to_string()
    } else {
        s.chars().take(KEEP).collect::<String>() + "…"
    }
}

/// Classifies a key a caller wants to set: `Ok(true)` for a base property, `Ok(false)` for an
/// extra property, or why it cannot be set. `tags` and `id` are handled by their callers.
pub fn check_key(key: &str) -> Result<bool, FieldError> {
    if WRITABLE.contains(&key) {
        return Ok(true);
    }
    if READ_ONLY.contains(&key) {
        return Err(FieldError::ReadOnly(key.to_string()));
    }
    if RESERVED.contains(&key) || key.starts_with("os_glance") {
        return Err(FieldError::Reserved(excerpt(key)));
    }
    if key.is_empty() || key.chars().count() > MAX_FIELD_LEN {
        return Err(FieldError::Schema(SchemaProblem::KeyLength {
            key: excerpt(key),
        }));
    }
    Ok(false)
}

/// Why a form's "key=value" lines are refused (typed, so the form words it in the user's
/// language; `Display` gives the English words). Keys and lines are excerpts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    /// A line without `=`.
    #[error("\"{0}\" is not key=value")]
    NotKeyValue(String),
    /// A base property, or a key the form edits elsewhere.
    #[error("\"{0}\" has its own field above")]
    OwnField(String),
    /// A key on two lines.
    #[error("\"{0}\" is given twice")]
    Twice(String),
    /// A key or value the image rules refuse.
    #[error("{0}")]
    Refused(FieldError),
}

/// Parses a form's "key=value" lines (blank lines ignored) into extra properties, with the rules
/// the server applies: base properties have their own fields; read-only and reserved keys are
/// refused; `own_fields` are keys the form edits elsewhere (e.g. `description`).
pub fn parse_property_lines(
    text: &str,
    own_fields: &[&str],
) -> Result<Vec<(String, String)>, LineProblem> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| LineProblem::NotKeyValue(excerpt(line)))?;
        let (k, v) = (k.trim(), v.trim());
        match check_key(k) {
            Ok(false) if own_fields.contains(&k) => return Err(LineProblem::OwnField(excerpt(k))),
            Ok(false) => check_extra_value(k, v).map_err(LineProblem::Refused)?,
            Ok(true) => return Err(LineProblem::OwnField(excerpt(k))),
            Err(e) => return Err(LineProblem::Refused(e)),
        }
        if out.iter().any(|(seen, _)| seen == k) {
            return Err(LineProblem::Twice(excerpt(k)));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Checks an extra property's value.
pub fn check_extra_value(key: &str, value: &str) -> Result<(), FieldError> {
    if value.chars().count() > MAX_FIELD_LEN {
        return Err(FieldError::Schema(SchemaProblem::ValueTooLong {
            key: excerpt(key),
        }));
    }
    Ok(())
}

/// Checks a name.
pub fn check_name(name: &str) -> Result<(), FieldError> {
    if name.chars().count() > MAX_FIELD_LEN {
        return Err(FieldError::Schema(SchemaProblem::TooLong {
            value: excerpt(name),
        }));
    }
    Ok(())
}

/// Checks a tag.
pub fn check_tag(tag: &str) -> Result<(), FieldError> {
    if tag.chars().count() > MAX_FIELD_LEN {
        return Err(FieldError::Schema(SchemaProblem::TooLong {
            value: excerpt(tag),
        }));
    }
    Ok(())
}

/// Checks a disk format.
pub fn check_disk_format(f: &str) -> Result<(), FieldError> {
    if DISK_FORMATS.contains(&f) {
        Ok(())
    } else {
        Err(FieldError::Schema(SchemaProblem::NotOneOf {
            value: excerpt(f),
            allowed: DISK_FORMATS.iter().map(|s| s.to_string()).collect(),
        }))
    }
}

/// Checks a container format.
pub fn check_container_format(f: &str) -> Result<(), FieldError> {
    if CONTAINER_FORMATS.contains(&f) {
        Ok(())
    } else {
        Err(FieldError::Schema(SchemaProblem::NotOneOf {
            value: excerpt(f),
            allowed: CONTAINER_FORMATS.iter().map(|s| s.to_string()).collect(),
        }))
    }
}

/// Checks min_disk / min_ram.
pub fn check_minimum(key: &str, v: i64) -> Result<(), FieldError> {
    if v < 0 {
        return Err(FieldError::Schema(SchemaProblem::Negative {
            key: key.to_string(),
            value: v,
        }));
    }
    Ok(())
}

/// A deleted image whose data the scrubber has not removed yet (delayed delete): what the Trash
/// lists and an admin may restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingDeletion {
    /// The image as it was (status `pending_delete`).
    pub image: Image,
    /// When it was deleted (stored timestamp).
    pub deleted_at: String,
    /// When the scrubber may remove its data (stored timestamp).
    pub scrub_after: String,
}

/// A project an image is shared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The image.
    pub image_id: ImageId,
    /// The member project.
    pub member_id: ProjectId,
    /// pending, accepted or rejected.
    pub status: String,
    /// When it was shared (stored form).
    pub created_at: String,
    /// Last status change (stored form).
    pub updated_at: String,
}

/// Member statuses.
pub const MEMBER_STATUSES: [&str; 3] = ["pending", "accepted", "rejected"];

/// Human units for a byte count, as the dashboard shows sizes ("1.5 GiB").
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let (mut unit, mut scale) = (0, 1i64);
    while unit < UNITS.len() - 1 && bytes / scale >= 1024 {
        scale *= 1024;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{} {}", one_decimal(bytes, scale), UNITS[unit])
    }
}

/// `n / d` (d > 0) with one decimal, rounded half to even as `format!("{:.1}")` rounds a float.
/// Integer arithmetic: formatting a float would bring the float formatter (~14 KB) into the
/// browser's wasm.
pub fn one_decimal(n: i64, d: i64) -> String {
    let (num, den) = (
        i128::from(n).unsigned_abs() * 10,
        i128::from(d).unsigned_abs(),
    );
    let (mut tenths, rest) = (num / den, num % den);
    if rest * 2 > den || (rest * 2 == den && tenths % 2 == 1) {
        tenths += 1;
    }
    let sign = if n < 0 && tenths > 0 { "-" } else { "" };
    format!("{sign}{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_quote_only_an_excerpt_of_long_input() {
        let long = "n".repeat(300);
        let msg = super::check_name(&long).unwrap_err().to_string();
        assert!(msg.contains(&format!("'{}…'", "n".repeat(32))), "{msg}");
        assert!(msg.chars().count() < 130, "{msg}");
        let line = format!("{long} no equals sign");
        let msg = super::parse_property_lines(&line, &[])
            .unwrap_err()
            .to_string();
        assert!(msg.len() < 80, "{msg}");
        let msg = super::check_key(&format!("os_glance_{long}"))
            .unwrap_err()
            .to_string();
        assert!(msg.len() < 80, "{msg}");
        assert_eq!(super::excerpt("short"), "short");
    }

    #[test]
    fn download_names_carry_the_disk_format() {
        let mut img = super::Image::queued(
            crate::domain::ids::ImageId::random(),
            None,
            "2026-01-01T00:00:00.000000Z".into(),
        );
        assert_eq!(img.download_file_name(), format!("{}.img", img.id));
        img.name = Some("cirros 0.6".into());
        img.disk_format = Some("qcow2".into());
        assert_eq!(img.download_file_name(), "cirros 0.6.qcow2");
        img.name = Some("disk.RAW".into());
        img.disk_format = Some("raw".into());
        assert_eq!(img.download_file_name(), "disk.RAW");
        img.name = Some("a/b\\c".into());
        img.disk_format = Some("iso".into());
        assert_eq!(img.download_file_name(), "a_b_c.iso");
    }

    use super::*;

    #[test]
    fn property_lines_follow_the_server_rules() {
        assert_eq!(
            parse_property_lines("a=1\n\n b = two words ", &[]),
            Ok(vec![
                ("a".into(), "1".into()),
                ("b".into(), "two words".into())
            ])
        );
        assert_eq!(
            parse_property_lines("novalue", &[]),
            Err(LineProblem::NotKeyValue("novalue".into()))
        );
        assert_eq!(
            parse_property_lines("name=x", &[]),
            Err(LineProblem::OwnField("name".into()))
        );
        assert_eq!(
            parse_property_lines("description=x", &["description"]),
            Err(LineProblem::OwnField("description".into()))
        );
        assert_eq!(
            parse_property_lines("status=x", &[])
                .unwrap_err()
                .to_string(),
            "Attribute 'status' is read-only."
        );
        assert_eq!(
            parse_property_lines("a=1\na=2", &[]),
            Err(LineProblem::Twice("a".into()))
        );
        assert_eq!(
            parse_property_lines("novalue", &[])
                .unwrap_err()
                .to_string(),
            "\"novalue\" is not key=value"
        );
    }

    #[test]
    fn keys_are_classified() {
        assert_eq!(check_key("name"), Ok(true));
        assert_eq!(check_key("os_distro"), Ok(false));
        assert_eq!(check_key("owner_specified.openstack.md5"), Ok(false));
        assert_eq!(
            check_key("status"),
            Err(FieldError::ReadOnly("status".into()))
        );
        assert_eq!(check_key("self"), Err(FieldError::ReadOnly("self".into())));
        assert_eq!(
            check_key("deleted"),
            Err(FieldError::Reserved("deleted".into()))
        );
        assert_eq!(
            check_key("os_glance_stage_host"),
            Err(FieldError::Reserved("os_glance_stage_host".into()))
        );
        assert!(matches!(
            check_key(&"k".repeat(256)),
            Err(FieldError::Schema(_))
        ));
    }

    #[test]
    fn values_are_checked() {
        assert!(check_disk_format("qcow2").is_ok());
        assert!(check_disk_format("QCOW2").is_err());
        assert!(check_container_format("bare").is_ok());
        assert!(check_container_format("zip").is_err());
        assert!(check_minimum("min_ram", -1).is_err());
        assert!(check_name(&"n".repeat(255)).is_ok());
        assert!(check_name(&"n".repeat(256)).is_err());
        assert!(check_extra_value("k", &"v".repeat(256)).is_err());
    }

    #[test]
    fn statuses_and_visibilities_round_trip() {
        for s in ImageStatus::ALL {
            assert_eq!(ImageStatus::parse(s.as_str()), Some(s));
        }
        for v in Visibility::ALL {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.0 GiB");
        // The same digits as formatting the float, rounding included.
        for (n, d) in [
            (1280, 1024),
            (1331, 1024),
            (1126, 1024),
            (5 << 20, 3 << 20),
            (-1536, 1024),
        ] {
            assert_eq!(
                super::one_decimal(n, d),
                format!("{:.1}", n as f64 / d as f64),
                "{n}/{d}"
            );
        }
        assert_eq!(human_size(1024 * 1024 - 1), "1024.0 KiB");
    }
}
