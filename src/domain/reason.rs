//! Why an operation was refused, as data: every service error (images, identity, metadefs) and
//! every policy decision carries a `Reason`. Its `Display` is the one place that words them in
//! English; the edges (the Glance and Keystone adapters, server functions, the CLI, the
//! dashboard) render it there, and translations will hang on the variants.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An action on an image that the owner's readers and other projects may not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageAction {
    Modify,
    Delete,
    Upload,
    Deactivate,
    Share,
    StopSharing,
}

impl ImageAction {
    fn verb(self) -> &'static str {
        match self {
            ImageAction::Modify => "modify",
            ImageAction::Delete => "delete",
            ImageAction::Upload => "upload data to",
            ImageAction::Deactivate => "deactivate or reactivate",
            ImageAction::Share => "share",
            ImageAction::StopSharing => "stop sharing",
        }
    }
}

/// What a protected metadata namespace refuses to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NamespacePart {
    Itself,
    /// Every item of one kind (`object`, `property`, `tag`).
    Items(String),
    Associations,
}

/// Why: see the module's documentation. Serialised in a compact wire form (`wire!`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    // What is not there (or the caller may not know of it).
    /// Something the caller may not know exists.
    Hidden,
    ImageNotFound {
        id: String,
    },
    ImageHasNoData {
        id: String,
    },
    TagNotFound {
        tag: String,
    },
    NotAMember {
        member: String,
        image: String,
    },
    MarkerNotFound {
        marker: String,
    },
    TokenNotFound {
        prefix: String,
    },
    UserNotFound {
        id: String,
    },
    ProjectNotFound {
        id: String,
    },
    LimitNotFound {
        id: String,
    },
    RoleAssignmentNotFound {
        role: String,
        user: String,
        project: String,
    },
    NamespaceNotFound {
        namespace: String,
    },
    NamespaceMarkerNotFound {
        marker: String,
    },
    ItemNotFound {
        kind: String,
        name: String,
        namespace: String,
    },
    NoSuchStore {
        id: String,
    },
    NotInStore {
        store: String,
        image: String,
    },
    NotPendingDelete {
        id: String,
    },
    NotAssociated {
        namespace: String,
        resource_type: String,
    },

    // Who may not.
    AdminOnlyIdentity,
    AdminOnlyMetadefs,
    AdminOnlyPublic,
    AdminOnlyOwner,
    AdminOnlyTrash,
    AdminOnlyStoresDetail,
    LastLocation,
    NotActive {
        status: String,
    },
    MultiStoreOff,
    NotAuthorized,
    NotAuthorizedToCreate,
    PolicyRefuses {
        rule: String,
    },
    ReadersCannot(ImageAction),
    ReadersCannotCreate,
    ReadersCannotDownload,
    ReadersCannotCommunity,
    AnotherProjects(ImageAction),
    CannotSeeImage,
    Deactivated,
    OnlySharedHaveMembers,
    OnlyTheMemberDecides,
    ImageProtected {
        id: String,
    },
    UnprotectFirst,
    NamespaceProtected {
        namespace: String,
        part: NamespacePart,
    },
    ReplaceOnlyWhenQueued {
        attribute: String,
    },
    BaseProperty {
        name: String,
    },
    ReadOnly {
        attribute: String,
    },
    Reserved {
        attribute: String,
    },
    CannotChangeActivation {
        reactivate: bool,
        status: String,
    },
    NoActivationInStatus {
        status: String,
    },
    NoDataYet,
    OwnProjectDisable,
    OwnProjectDelete,
    OwnAdminRole,
    OwnAccountDisable,
    OwnAccountDelete,
    NoRoleOnProject,

    // What clashes.
    ImageExists {
        id: String,
    },
    PropertyPresent {
        key: String,
    },
    PropertyMissing {
        key: String,
    },
    MemberExists {
        member: String,
        image: String,
    },
    StatusChangedMeanwhile,
    AlreadySaving,
    Transition {
        from: String,
        event: String,
    },
    ProjectNameTaken {
        name: String,
    },
    UserNameTaken {
        name: String,
    },
    LimitExists {
        project: String,
        resource: String,
    },
    NamespaceExists {
        namespace: String,
    },
    ItemTaken {
        kind: String,
        name: String,
        namespace: String,
    },
    AlreadyAssociated {
        namespace: String,
        resource_type: String,
    },

    // What is wrong with the input.
    FormatsFirst,
    SizeMismatch,
    MemberIdRequired,
    NotAProjectId {
        value: String,
    },
    NoSuchProject {
        id: String,
    },
    BadMemberStatus {
        status: String,
    },
    BadSortKey {
        requested: String,
        allowed: Vec<String>,
    },
    Schema {
        problem: crate::domain::image::SchemaProblem,
    },
    Definition {
        problem: crate::domain::metadefs::Invalid,
    },

    // What is too much.
    TooManyProperties {
        max: usize,
    },
    TooManyTags {
        max: usize,
    },
    TooManyMembers {
        max: usize,
    },
    ImageCountQuota {
        limit: i64,
    },
    SizeCap {
        bytes: u64,
    },
    UploadsRunning {
        running: i64,
        limit: i64,
    },
    StorageQuota {
        limit_mib: i64,
        used_bytes: i64,
    },

    // What the data or the moment does not allow.
    DataRefused {
        why: crate::domain::inspect::Refusal,
    },
    DeletedDuringUpload,
    DataGone {
        id: String,
    },

    // Import.
    ImportMethodDisabled {
        method: String,
    },
    ImportNeedsStatus {
        method: String,
        status: String,
    },
    ImportFormatsFirst,
    ImportRunning {
        task: String,
    },
    UriRefused {
        why: crate::domain::uri_problem::UriProblem,
    },
    StoreHasImage {
        store: String,
    },
    AdminOnlyCopy,
    AdminOnlyTasks,
    TaskNotFound {
        id: String,
    },
    SourceFailed {
        why: String,
    },
    ConversionFailed {
        why: String,
    },
    DeletedDuringImport,
    ImportInterrupted,
    AllStoresNeedsStores,
    NothingToCopy,
    TaskMarkerNotFound {
        marker: String,
    },
    TaskWithoutMethod,
    UnknownProject {
        name: String,
    },
    /// A reason carrying a typed problem (schema, definition, data, URI) that the browser keeps
    /// in its wire form until it is worded: decoding and wording those problems is code that
    /// only the pages showing them load (`Reason::from_wire_later`, `app::lang::error_later`).
    /// Never made on the server.
    Later(Later),
}

/// The wire form of a reason decoded later (`Reason::Later`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Later(serde_json::Value);

impl Later {
    /// The reason itself, typed problem included (its wire form if that does not decode).
    pub fn resolve(&self) -> Result<Reason, String> {
        Reason::from_wire(self.0.clone()).map_err(|_| self.0.to_string())
    }
}

/// A visitor that reads a reason's wire form: its name, then the fields of the variant the
/// name picks among `$arm`s (which read them from `$items`).
macro_rules! wire_reader {
    ($(#[$doc:meta])* $name:ident, $items:ident, $($arm:tt)*) => {
        $(#[$doc])*
        struct $name;
        impl<'de> serde::de::Visitor<'de> for $name {
            type Value = Reason;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a reason: its name, then its fields")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut $items: A,
            ) -> Result<Reason, A::Error> {
                let name: String = next(&mut $items)?;
                Ok(match name.as_str() {
                    $($arm)*
                    other => return Err(serde::de::Error::unknown_variant(other, &[])),
                })
            }
        }
    };
}

/// Implements `Serialize` and `Deserialize` for `Reason` in its wire form (see `wire!` below).
macro_rules! wire {
    (
        units: [$($u:ident),* $(,)?],
        tuples: [$($t:ident),* $(,)?],
        structs: [$($s:ident { $($f:ident),* }),* $(,)?],
        typed_problems: [$($h:ident { $($hf:ident),* }),* $(,)?] $(,)?
    ) => {
        impl Serialize for Reason {
            fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                if let Reason::Later(Later(wire)) = self {
                    return wire.serialize(ser);
                }
                let mut out = ser.serialize_seq(None)?;
                match self {
                    $(Reason::$u => out.serialize_element(stringify!($u))?,)*
                    $(Reason::$t(a) => {
                        out.serialize_element(stringify!($t))?;
                        out.serialize_element(a)?;
                    })*
                    $(Reason::$s { $($f),* } => {
                        out.serialize_element(stringify!($s))?;
                        $(out.serialize_element($f)?;)*
                    })*
                    $(Reason::$h { $($hf),* } => {
                        out.serialize_element(stringify!($h))?;
                        $(out.serialize_element($hf)?;)*
                    })*
                    Reason::Later(_) => {}
                }
                out.end()
            }
        }

        wire_reader!(
            /// Reads the reasons without a typed problem.
            Plain, items,
            $(stringify!($u) => Reason::$u,)*
            $(stringify!($t) => Reason::$t(next(&mut items)?),)*
            $(stringify!($s) => Reason::$s { $($f: next(&mut items)?),* },)*
        );
        wire_reader!(
            /// Reads the reasons with a typed problem.
            WithProblem, items,
            $(stringify!($h) => Reason::$h { $($hf: next(&mut items)?),* },)*
        );

        /// Whether a wire form names a reason with a typed problem.
        fn has_problem(wire: &serde_json::Value) -> bool {
            matches!(wire.get(0).and_then(serde_json::Value::as_str), Some($(stringify!($h))|*))
        }
    };
}

impl Reason {
    /// Decodes a reason's wire form.
    pub fn from_wire(wire: serde_json::Value) -> Result<Reason, serde_json::Error> {
        use serde::Deserializer;
        if has_problem(&wire) {
            wire.deserialize_seq(WithProblem)
        } else {
            wire.deserialize_seq(Plain)
        }
    }

    /// Decodes a reason's wire form, except one with a typed problem, which stays in its wire
    /// form (`Reason::Later`): what the browser's first chunk does, so that the typed problems'
    /// decoders and words load only with a page that shows one (`app::lang::error_later`).
    pub fn from_wire_later(wire: serde_json::Value) -> Result<Reason, serde_json::Error> {
        use serde::Deserializer;
        if has_problem(&wire) {
            Ok(Reason::Later(Later(wire)))
        } else {
            wire.deserialize_seq(Plain)
        }
    }
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Reason::from_wire(serde_json::Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The next field of a reason's wire form.
fn next<'de, T: Deserialize<'de>, A: serde::de::SeqAccess<'de>>(
    items: &mut A,
) -> Result<T, A::Error> {
    items
        .next_element()?
        .ok_or_else(|| serde::de::Error::custom("a reason lacks a field"))
}

// Reason's wire form: a JSON array of the variant's name and then its fields in order
// (`["NotAMember", "p1", "i1"]`). Written out rather than derived: serde's derived decoder for
// ~100 variants, every struct variant's field names matched both as a map and as a sequence, was
// the largest single item of the browser's wasm. Writing and reading are generated from this one
// list, and the writer's `match` on every variant keeps the list complete.
wire! {
    units: [
        Hidden, AdminOnlyIdentity, AdminOnlyMetadefs, AdminOnlyPublic, AdminOnlyOwner,
        AdminOnlyTrash, AdminOnlyStoresDetail, LastLocation, MultiStoreOff, NotAuthorized,
        NotAuthorizedToCreate, ReadersCannotCreate, ReadersCannotDownload, ReadersCannotCommunity,
        CannotSeeImage, Deactivated, OnlySharedHaveMembers, OnlyTheMemberDecides, UnprotectFirst,
        NoDataYet, OwnProjectDisable, OwnProjectDelete, OwnAdminRole, OwnAccountDisable,
        OwnAccountDelete, NoRoleOnProject, StatusChangedMeanwhile, AlreadySaving, FormatsFirst,
        SizeMismatch, MemberIdRequired, DeletedDuringUpload, ImportFormatsFirst, AdminOnlyCopy,
        AdminOnlyTasks, DeletedDuringImport, ImportInterrupted, AllStoresNeedsStores,
        NothingToCopy, TaskWithoutMethod,
    ],
    tuples: [ReadersCannot, AnotherProjects],
    structs: [
        ImageNotFound { id },
        ImageHasNoData { id },
        TagNotFound { tag },
        NotAMember { member, image },
        MarkerNotFound { marker },
        TokenNotFound { prefix },
        UserNotFound { id },
        ProjectNotFound { id },
        LimitNotFound { id },
        RoleAssignmentNotFound { role, user, project },
        NamespaceNotFound { namespace },
        NamespaceMarkerNotFound { marker },
        ItemNotFound { kind, name, namespace },
        NoSuchStore { id },
        NotInStore { store, image },
        NotPendingDelete { id },
        NotAssociated { namespace, resource_type },
        NotActive { status },
        PolicyRefuses { rule },
        ImageProtected { id },
        NamespaceProtected { namespace, part },
        ReplaceOnlyWhenQueued { attribute },
        BaseProperty { name },
        ReadOnly { attribute },
        Reserved { attribute },
        CannotChangeActivation { reactivate, status },
        NoActivationInStatus { status },
        ImageExists { id },
        PropertyPresent { key },
        PropertyMissing { key },
        MemberExists { member, image },
        Transition { from, event },
        ProjectNameTaken { name },
        UserNameTaken { name },
        LimitExists { project, resource },
        NamespaceExists { namespace },
        ItemTaken { kind, name, namespace },
        AlreadyAssociated { namespace, resource_type },
        NotAProjectId { value },
        NoSuchProject { id },
        BadMemberStatus { status },
        BadSortKey { requested, allowed },
        TooManyProperties { max },
        TooManyTags { max },
        TooManyMembers { max },
        ImageCountQuota { limit },
        SizeCap { bytes },
        UploadsRunning { running, limit },
        StorageQuota { limit_mib, used_bytes },
        DataGone { id },
        ImportMethodDisabled { method },
        ImportNeedsStatus { method, status },
        ImportRunning { task },
        StoreHasImage { store },
        TaskNotFound { id },
        SourceFailed { why },
        ConversionFailed { why },
        TaskMarkerNotFound { marker },
        UnknownProject { name },
    ],
    typed_problems: [
        Schema { problem },
        Definition { problem },
        DataRefused { why },
        UriRefused { why },
    ],
}

/// Reads a `Reason` for the types that carry one to the browser (`AppError`,
/// `policy::Unavailable`, the image API's error body). In the browser a reason with a typed
/// problem stays in its wire form (`Reason::Later`), so that the first chunk of the wasm holds
/// neither the typed problems' decoders nor their words; on the server (and in tests) it is
/// decoded whole. The JSON is the same either way.
pub mod via_value {
    use super::Reason;
    use serde::{de::Error, Deserialize, Deserializer};

    fn decode(wire: serde_json::Value) -> Result<Reason, serde_json::Error> {
        #[cfg(feature = "ssr")]
        return Reason::from_wire(wire);
        #[cfg(not(feature = "ssr"))]
        return Reason::from_wire_later(wire);
    }

    /// `#[serde(deserialize_with)]` for a `Reason`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Reason, D::Error> {
        decode(serde_json::Value::deserialize(d)?).map_err(D::Error::custom)
    }

    /// `#[serde(deserialize_with)]` for an `Option<Reason>` (`null` is `None`).
    pub fn option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Reason>, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(None),
            wire => decode(wire).map(Some).map_err(D::Error::custom),
        }
    }
}

impl From<crate::domain::image::FieldError> for Reason {
    fn from(e: crate::domain::image::FieldError) -> Self {
        use crate::domain::image::FieldError as F;
        match e {
            F::ReadOnly(attribute) => Reason::ReadOnly { attribute },
            F::Reserved(attribute) => Reason::Reserved { attribute },
            F::Schema(problem) => Reason::Schema { problem },
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Reason::*;
        match self {
            Hidden => f.write_str("Not found."),
            ImageNotFound { id } => write!(f, "No image found with ID {id}"),
            ImageHasNoData { id } => write!(f, "Image {id} has no data."),
            TagNotFound { tag } => write!(f, "Tag {tag} not found"),
            NotAMember { member, image } => write!(f, "{member} is not a member of image {image}."),
            MarkerNotFound { marker } => write!(f, "marker {marker} not found"),
            TokenNotFound { prefix } => write!(f, "Could not find token: {prefix}…."),
            UserNotFound { id } => write!(f, "Could not find user: {id}."),
            ProjectNotFound { id } => write!(f, "Could not find project: {id}."),
            LimitNotFound { id } => write!(f, "Could not find limit for {id}."),
            RoleAssignmentNotFound {
                role,
                user,
                project,
            } => write!(
                f,
                "Could not find role assignment with role: {role}, user: {user}, project: {project}."
            ),
            NamespaceNotFound { namespace } => {
                write!(f, "Metadata definition namespace={namespace} was not found.")
            }
            NamespaceMarkerNotFound { marker } => {
                write!(f, "Namespace marker {marker} could not be found.")
            }
            ItemNotFound {
                kind,
                name,
                namespace,
            } => write!(
                f,
                "Metadata definition {kind} not found: {name} in namespace {namespace}."
            ),
            NoSuchStore { id } => write!(f, "Store for identifier {id} not found"),
            NotInStore { store, image } => {
                write!(f, "Image {image} has no data in store {store}.")
            }
            NotPendingDelete { id } => write!(f, "Image {id} is not waiting for the scrubber."),
            NotAssociated {
                namespace,
                resource_type,
            } => write!(
                f,
                "Namespace {namespace} is not associated with resource type {resource_type}."
            ),

            AdminOnlyIdentity => f.write_str("Only administrators can manage projects, users and roles."),
            AdminOnlyMetadefs => f.write_str("Only administrators can change metadata definitions."),
            AdminOnlyPublic => f.write_str("Only administrators can make images public."),
            AdminOnlyOwner => f.write_str("Only administrators can change an image's owner."),
            AdminOnlyStoresDetail => f.write_str("Only administrators can see the stores' details."),
            LastLocation => f.write_str("It's not allowed to remove image data from all stores."),
            NotActive { status } => write!(f, "It's not allowed to remove image data from a store when the image is {status}."),
            MultiStoreOff => f.write_str("Multi backend is not supported at this site."),
            AdminOnlyTrash => {
                f.write_str("Only administrators can see, restore or purge deleted images.")
            }
            NotAuthorized => f.write_str("You are not authorized to perform the requested action."),
            NotAuthorizedToCreate => f.write_str("You are not authorized to create images."),
            PolicyRefuses { rule } => write!(f, "Policy doesn't allow {rule} to be performed."),
            ReadersCannot(a) => write!(f, "Readers cannot {} images.", a.verb()),
            ReadersCannotCreate => f.write_str("Readers cannot create images."),
            ReadersCannotDownload => f.write_str("Readers cannot download images."),
            ReadersCannotCommunity => f.write_str("Readers cannot make images community images."),
            AnotherProjects(a) => write!(
                f,
                "You are not permitted to {} this image: it belongs to another project.",
                a.verb()
            ),
            CannotSeeImage => f.write_str("You cannot see this image."),
            Deactivated => f.write_str(
                "The requested image has been deactivated. Image data download is forbidden.",
            ),
            OnlySharedHaveMembers => f.write_str("Only shared images have members."),
            OnlyTheMemberDecides => {
                f.write_str("Only the member project can accept or reject a shared image.")
            }
            ImageProtected { id } => write!(f, "Image {id} is protected and cannot be deleted."),
            UnprotectFirst => f.write_str("Protected: unprotect the image first."),
            NamespaceProtected { namespace, part } => {
                let what = match part {
                    NamespacePart::Itself => "it".to_string(),
                    NamespacePart::Items(kind) => format!("its {kind}s"),
                    NamespacePart::Associations => "its associations".to_string(),
                };
                write!(
                    f,
                    "Namespace {namespace} is protected: unprotect it before deleting {what}."
                )
            }
            ReplaceOnlyWhenQueued { attribute } => {
                write!(f, "Attribute {attribute} can be only replaced for a queued image.")
            }
            BaseProperty { name } => {
                write!(f, "Property {name} is a base property and cannot be removed.")
            }
            ReadOnly { attribute } => write!(f, "Attribute '{attribute}' is read-only."),
            Reserved { attribute } => write!(f, "Attribute '{attribute}' is reserved."),
            CannotChangeActivation { reactivate, status } => write!(
                f,
                "Not allowed to {} an image in status '{status}'.",
                if *reactivate { "reactivate" } else { "deactivate" }
            ),
            NoActivationInStatus { status } => {
                write!(f, "A {status} image cannot be deactivated or reactivated.")
            }
            NoDataYet => f.write_str("The image has no data yet."),
            OwnProjectDisable => f.write_str("You cannot disable the project you are working in."),
            OwnProjectDelete => f.write_str("You cannot delete the project you are working in."),
            OwnAdminRole => f.write_str(
                "You cannot remove your own admin role from the project you are working in.",
            ),
            OwnAccountDisable => f.write_str("You cannot disable your own account."),
            OwnAccountDelete => f.write_str("You cannot delete your own account."),
            NoRoleOnProject => f.write_str("You have no role on that project."),

            ImageExists { id } => write!(f, "An image with identifier {id} already exists"),
            PropertyPresent { key } => write!(f, "Property {key} already present."),
            PropertyMissing { key } => write!(f, "Property {key} does not exist."),
            MemberExists { member, image } => {
                write!(f, "Member {member} already exists for image {image}.")
            }
            StatusChangedMeanwhile => f.write_str("The image changed status meanwhile; try again."),
            AlreadySaving => {
                f.write_str("Image status transition from saving to saving is not allowed")
            }
            Transition { from, event } => write!(
                f,
                "Image status transition from {from} is not allowed for {event}."
            ),
            ProjectNameTaken { name } => write!(f, "A project named {name:?} already exists."),
            UserNameTaken { name } => write!(f, "A user named {name:?} already exists."),
            LimitExists { project, resource } => {
                write!(f, "Project {project} already has a limit on {resource}.")
            }
            NamespaceExists { namespace } => {
                write!(f, "Metadata definition namespace={namespace} already exists.")
            }
            ItemTaken {
                kind,
                name,
                namespace,
            } => write!(
                f,
                "A metadata definition {kind} with name={name} already exists in namespace={namespace}."
            ),
            AlreadyAssociated {
                namespace,
                resource_type,
            } => write!(
                f,
                "Namespace {namespace} is already associated with resource type {resource_type}."
            ),

            FormatsFirst => f.write_str(
                "Properties disk_format, container_format must be set prior to saving data.",
            ),
            SizeMismatch => f.write_str(
                "Size of uploaded data does not match the x-openstack-image-size header.",
            ),
            MemberIdRequired => f.write_str("A member id is required."),
            NotAProjectId { value } => write!(f, "{value} is not a valid project id."),
            NoSuchProject { id } => write!(f, "Project {id} does not exist."),
            BadMemberStatus { status } => write!(
                f,
                "Invalid status '{status}': use pending, accepted or rejected."
            ),
            BadSortKey { requested, allowed } => write!(
                f,
                "Invalid sort key: {requested}. It must be one of the following: {}.",
                allowed.join(", ")
            ),
            Schema { problem } => {
                write!(f, "Provided object does not match schema 'image': {problem}")
            }
            Definition { problem } => write!(f, "{problem}"),

            TooManyProperties { max } => write!(f, "Maximum number of properties ({max}) exceeded."),
            TooManyTags { max } => write!(f, "Maximum number of tags ({max}) exceeded."),
            TooManyMembers { max } => write!(f, "Maximum number of members ({max}) exceeded."),
            ImageCountQuota { limit } => write!(
                f,
                "Image count quota exceeded: the project may have {limit} images. Delete some, or ask an administrator for more."
            ),
            SizeCap { bytes } => write!(f, "Image exceeds the size cap of {bytes} bytes."),
            UploadsRunning { running, limit } => write!(
                f,
                "The project already has {running} uploads running; its limit is {limit}."
            ),
            StorageQuota {
                limit_mib,
                used_bytes,
            } => write!(
                f,
                "Image storage quota exceeded: the project may store {limit_mib} MiB and uses {} MiB.",
                crate::domain::image::one_decimal(*used_bytes, 1024 * 1024)
            ),

            DataRefused { why } => write!(
                f,
                "Image data was refused: {why} Nothing was kept; the image is still queued."
            ),
            DeletedDuringUpload => {
                f.write_str("Image was deleted while its data was being uploaded.")
            }
            DataGone { id } => write!(f, "Image {id} cannot be restored: its data is gone."),

            ImportMethodDisabled { method } => {
                write!(f, "Import method {method} is not enabled on this cloud.")
            }
            ImportNeedsStatus { method, status } => write!(
                f,
                "Image needs to be in '{status}' state to use the '{method}' method."
            ),
            ImportFormatsFirst => f.write_str(
                "'disk_format' and 'container_format' must be set prior to importing data.",
            ),
            ImportRunning { task } => write!(
                f,
                "Image has an import running already (task {task}); wait for it to end."
            ),
            UriRefused { why } => {
                write!(f, "URI for web-download does not pass filtering: {why}.")
            }
            StoreHasImage { store } => {
                write!(f, "Image is already present in store '{store}'.")
            }
            AdminOnlyCopy => f.write_str("Only administrators can copy images between stores."),
            AdminOnlyTasks => f.write_str("Only administrators can list all tasks."),
            TaskNotFound { id } => write!(f, "Task with identifier {id} not found"),
            SourceFailed { why } => write!(f, "The image could not be fetched: {why}."),
            ConversionFailed { why } => write!(f, "The image could not be converted: {why}."),
            DeletedDuringImport => f.write_str("Image was deleted while it was being imported."),
            AllStoresNeedsStores => {
                f.write_str("all_stores_must_succeed can only be false with several stores.")
            }
            NothingToCopy => f.write_str(
                "copy-image needs at least one store that does not hold the image yet.",
            ),
            TaskMarkerNotFound { marker } => write!(f, "Invalid marker {marker}"),
            TaskWithoutMethod => f.write_str("The task names no import method."),
            UnknownProject { name } => write!(f, "{name:?} is not a project name or id"),
            Later(later) => match later.resolve() {
                Ok(reason) => fmt::Display::fmt(&reason, f),
                Err(wire) => f.write_str(&wire),
            },
            ImportInterrupted => {
                f.write_str("The import was interrupted; the image went back to queued.")
            }
        }
    }
}

#[cfg(test)]
mod tests {

    /// The types that read a `Reason` through a `Value` read back exactly what they wrote.
    #[test]
    fn reasons_read_through_a_value_come_back_as_written() {
        use crate::domain::image::SchemaProblem;
        use crate::domain::policy::Unavailable;
        use crate::server_fns::AppError;
        let r = Reason::Schema {
            problem: SchemaProblem::TooLong { value: "x".into() },
        };
        for e in [
            AppError::Refused(r.clone()),
            AppError::Forbidden(Reason::AdminOnlyTrash),
            AppError::NotFound(Reason::ImageNotFound { id: "i".into() }),
            AppError::Conflict(Reason::NothingToCopy),
        ] {
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(
                serde_json::from_str::<AppError>(&json).unwrap(),
                e,
                "{json}"
            );
        }
        let u = Unavailable {
            delete: Some(r),
            ..Unavailable::default()
        };
        let json = serde_json::to_vec(&u).unwrap();
        assert_eq!(serde_json::from_slice::<Unavailable>(&json).unwrap(), u);
        assert!(serde_json::from_str::<AppError>(r#"{"Refused": ["NoSuchVariant"]}"#).is_err());
        // The wire form: the name, then the fields in order; a missing or extra field is refused.
        let r = Reason::NotAMember {
            member: "p1".into(),
            image: "i1".into(),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"["NotAMember","p1","i1"]"#
        );
        assert_eq!(
            serde_json::to_string(&Reason::Hidden).unwrap(),
            r#"["Hidden"]"#
        );
        assert!(serde_json::from_str::<Reason>(r#"["NotAMember","p1"]"#).is_err());
        assert!(serde_json::from_str::<Reason>(r#"["NotAMember","p1","i1","x"]"#).is_err());
    }

    use super::*;

    #[test]
    fn reasons_travel_as_data_and_render_once() {
        let r = Reason::AnotherProjects(ImageAction::Upload);
        let sent: Reason = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(sent, r);
        assert_eq!(
            sent.to_string(),
            "You are not permitted to upload data to this image: it belongs to another project."
        );
        let quota = Reason::StorageQuota {
            limit_mib: 10,
            used_bytes: 3 * 1024 * 1024 + 512 * 1024,
        };
        assert_eq!(
            quota.to_string(),
            "Image storage quota exceeded: the project may store 10 MiB and uses 3.5 MiB."
        );
        let part = Reason::NamespaceProtected {
            namespace: "OS::Compute".into(),
            part: NamespacePart::Items("property".into()),
        };
        assert_eq!(
            part.to_string(),
            "Namespace OS::Compute is protected: unprotect it before deleting its propertys."
        );
    }
}
