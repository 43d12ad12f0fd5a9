//! The dashboard's languages: the message catalogs (`src/app/locales/*.json`, compiled by
//! leptos_i18n into `i18n`), the page's language (the session's choice, `Accept-Language`, or
//! `<html lang>` in the browser), the language picker, sizes and dates written the way each
//! language writes them, and every typed refusal in words.

use crate::app::i18n::Locale;
use leptos::prelude::*;
use leptos_i18n::Locale as _;

// Recompile when a catalog changes: the catalog macro does not tell cargo it reads them.
const _: &[&[u8]] = &[
    include_bytes!("locales/en.json"),
    include_bytes!("locales/de.json"),
    include_bytes!("locales/zh.json"),
];

/// The session key that holds the user's language.
pub const SESSION_KEY: &str = "lang";

/// The language a tag names, if the dashboard has it.
pub fn parse(tag: &str) -> Option<Locale> {
    Locale::get_all()
        .iter()
        .copied()
        .find(|l| l.as_str() == tag)
}

/// Each language under its own name, as pickers show them.
pub fn native_name(l: Locale) -> &'static str {
    match l {
        Locale::en => "English",
        Locale::de => "Deutsch",
        Locale::zh => "中文（简体）",
    }
}

/// The language the user chose, put on the request by the server (`server::http::language`)
/// from the session, so the page renders in it; without a choice `Accept-Language` decides.
#[derive(Debug, Clone)]
pub struct ChosenLanguage(pub String);

/// The page's language, in the app's context. A page speaks one language from its first render
/// to the next page load (choosing another reloads the page), so this is a plain value, not a
/// signal. leptos_i18n's own context is not used: its server-side effect read its signal after
/// a short render (a redirect) had disposed of it, a server panic.
#[derive(Debug, Clone, Copy)]
struct PageLanguage(Locale);

/// Decides the page's language and puts it in the context: on the server the session's choice,
/// else the best match for `Accept-Language`, else English; in the browser the one the server
/// wrote in `<html lang>`. Called once, by `App`.
pub fn provide() -> Locale {
    let l = decide();
    provide_context(PageLanguage(l));
    l
}

#[cfg(feature = "ssr")]
fn decide() -> Locale {
    let Some(parts) = use_context::<axum::http::request::Parts>() else {
        return Locale::default();
    };
    if let Some(l) = parts
        .extensions
        .get::<ChosenLanguage>()
        .and_then(|c| parse(&c.0))
    {
        return l;
    }
    let header = parts
        .headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Locale::find_locale(&accepted(header))
}

#[cfg(not(feature = "ssr"))]
fn decide() -> Locale {
    #[cfg(feature = "hydrate")]
    if let Some(l) = document()
        .document_element()
        .and_then(|e| e.get_attribute("lang"))
        .and_then(|tag| parse(&tag))
    {
        return l;
    }
    Locale::default()
}

/// An `Accept-Language` header's tags, most wanted first (`q=0` ones left out).
#[cfg(any(feature = "ssr", test))]
fn accepted(header: &str) -> Vec<String> {
    let mut tags: Vec<(f32, usize, String)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut bits = part.split(';');
            let tag = bits.next()?.trim();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && tag != "*" && q > 0.0).then(|| (q, i, tag.to_string()))
        })
        .collect();
    tags.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    tags.into_iter().map(|(_, _, t)| t).collect()
}

/// A `<select>` of the languages: the choice is kept in the session and the page reloads in it.
#[component]
pub fn LanguagePicker() -> impl IntoView {
    let current = locale();
    let on_change = move |ev| {
        let Some(l) = parse(&event_target_value(&ev)) else {
            return;
        };
        // Kept in the session, then the page is loaded again in it: everything on it, including
        // what was worded when it was first shown (toasts, counts), speaks the new language.
        crate::app::browser_task(async move {
            if crate::server_fns::auth::set_language(l.as_str().to_string())
                .await
                .is_ok()
            {
                let _ = window().location().reload();
            }
        });
    };
    view! {
        <select
            class="lang-picker"
            aria-label=crate::app::i18n::td_string!(current, language)
            on:change=on_change
        >
            {Locale::get_all()
                .iter()
                .map(|&l| {
                    view! {
                        <option value=l.as_str() selected=current == l>
                            {native_name(l)}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// A catalog message with its `{name}` placeholders filled in.
pub fn fill(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// The page's language, read once: pages render in one language (the picker reloads the page).
pub fn locale() -> Locale {
    use_context::<PageLanguage>().map_or_else(Locale::default, |p| p.0)
}

/// Why something was refused, in the language: the services' typed reasons, worded here. The
/// English catalog holds the words `Reason`'s `Display` gives the APIs (a test holds them equal).
/// Every reason, the typed problems' too (in the browser, only lazily loaded code calls this).
pub fn reason(l: Locale, r: &crate::domain::reason::Reason) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::reason::Reason::*;
    match r {
        Schema { problem } => fill(
            td_string!(l, reason.schema),
            &[("detail", &schema_problem(l, problem))],
        ),
        DataRefused { why } => fill(
            td_string!(l, reason.data_refused),
            &[("why", &refusal(l, why))],
        ),
        UriRefused { why } => fill(
            td_string!(l, reason.uri_refused),
            &[("why", &uri_problem(l, why))],
        ),
        Definition { problem } => metadef_invalid(l, problem),
        Later(later) => match later.resolve() {
            Ok(r) => reason(l, &r),
            Err(wire) => wire,
        },
        _ => reason_now(l, r).unwrap_or_default(),
    }
}

/// Why a policy refuses an action, in the language (a policy's reasons carry no typed problem,
/// so this is `reason_now` and never waits).
pub fn decision(l: Locale, r: &crate::domain::reason::Reason) -> String {
    reason_now(l, r).unwrap_or_default()
}

/// `reason`, but `None` for a reason with a typed problem (a schema check, a metadata
/// definition, the format inspector, a URI filter): the wasm's first chunk words the others
/// without holding the typed problems' words, and leaves those to `error_later`.
pub fn reason_now(l: Locale, r: &crate::domain::reason::Reason) -> Option<String> {
    use crate::app::i18n::td_string;
    use crate::domain::reason::{ImageAction, NamespacePart, Reason::*};
    fn verb(l: Locale, a: ImageAction) -> &'static str {
        match a {
            ImageAction::Modify => td_string!(l, reason.verb_modify),
            ImageAction::Delete => td_string!(l, reason.verb_delete),
            ImageAction::Upload => td_string!(l, reason.verb_upload),
            ImageAction::Deactivate => td_string!(l, reason.verb_deactivate),
            ImageAction::Share => td_string!(l, reason.verb_share),
            ImageAction::StopSharing => td_string!(l, reason.verb_stop_sharing),
        }
    }
    fn part_words(l: Locale, p: &NamespacePart) -> String {
        match p {
            NamespacePart::Itself => td_string!(l, reason.part_itself).to_string(),
            NamespacePart::Items(kind) => fill(td_string!(l, reason.part_items), &[("kind", kind)]),
            NamespacePart::Associations => td_string!(l, reason.part_associations).to_string(),
        }
    }
    fn quoted(s: &str) -> String {
        format!("{s:?}")
    }
    fn mib(l: Locale, bytes: i64) -> String {
        let v = crate::domain::image::one_decimal(bytes, 1024 * 1024);
        match l {
            Locale::de => v.replace('.', ","),
            _ => v,
        }
    }
    Some(match r {
        Hidden => td_string!(l, reason.hidden).to_string(),
        ImageNotFound { id } => fill(td_string!(l, reason.image_not_found), &[("id", &id)]),
        ImageHasNoData { id } => fill(td_string!(l, reason.image_has_no_data), &[("id", &id)]),
        TagNotFound { tag } => fill(td_string!(l, reason.tag_not_found), &[("tag", &tag)]),
        NotAMember { member, image } => fill(
            td_string!(l, reason.not_a_member),
            &[("member", &member), ("image", &image)],
        ),
        MarkerNotFound { marker } => fill(
            td_string!(l, reason.marker_not_found),
            &[("marker", &marker)],
        ),
        TokenNotFound { prefix } => fill(
            td_string!(l, reason.token_not_found),
            &[("prefix", &prefix)],
        ),
        UserNotFound { id } => fill(td_string!(l, reason.user_not_found), &[("id", &id)]),
        ProjectNotFound { id } => fill(td_string!(l, reason.project_not_found), &[("id", &id)]),
        LimitNotFound { id } => fill(td_string!(l, reason.limit_not_found), &[("id", &id)]),
        RoleAssignmentNotFound {
            role,
            user,
            project,
        } => fill(
            td_string!(l, reason.role_assignment_not_found),
            &[("role", &role), ("user", &user), ("project", &project)],
        ),
        NamespaceNotFound { namespace } => fill(
            td_string!(l, reason.namespace_not_found),
            &[("namespace", &namespace)],
        ),
        NamespaceMarkerNotFound { marker } => fill(
            td_string!(l, reason.namespace_marker_not_found),
            &[("marker", &marker)],
        ),
        ItemNotFound {
            kind,
            name,
            namespace,
        } => fill(
            td_string!(l, reason.item_not_found),
            &[("kind", &kind), ("name", &name), ("namespace", &namespace)],
        ),
        NoSuchStore { id } => fill(td_string!(l, reason.no_such_store), &[("id", &id)]),
        NotInStore { store, image } => fill(
            td_string!(l, reason.not_in_store),
            &[("store", &store), ("image", &image)],
        ),
        NotPendingDelete { id } => fill(td_string!(l, reason.not_pending_delete), &[("id", &id)]),
        NotAssociated {
            namespace,
            resource_type,
        } => fill(
            td_string!(l, reason.not_associated),
            &[("namespace", &namespace), ("resource_type", &resource_type)],
        ),
        AdminOnlyIdentity => td_string!(l, reason.admin_only_identity).to_string(),
        AdminOnlyMetadefs => td_string!(l, reason.admin_only_metadefs).to_string(),
        AdminOnlyPublic => td_string!(l, reason.admin_only_public).to_string(),
        AdminOnlyOwner => td_string!(l, reason.admin_only_owner).to_string(),
        AdminOnlyStoresDetail => td_string!(l, reason.admin_only_stores_detail).to_string(),
        LastLocation => td_string!(l, reason.last_location).to_string(),
        NotActive { status } => fill(td_string!(l, reason.not_active), &[("status", &status)]),
        MultiStoreOff => td_string!(l, reason.multi_store_off).to_string(),
        AdminOnlyTrash => td_string!(l, reason.admin_only_trash).to_string(),
        NotAuthorized => td_string!(l, reason.not_authorized).to_string(),
        NotAuthorizedToCreate => td_string!(l, reason.not_authorized_to_create).to_string(),
        PolicyRefuses { rule } => fill(td_string!(l, reason.policy_refuses), &[("rule", &rule)]),
        ReadersCannot(a) => fill(
            td_string!(l, reason.readers_cannot),
            &[("verb", &verb(l, *a))],
        ),
        ReadersCannotCreate => td_string!(l, reason.readers_cannot_create).to_string(),
        ReadersCannotDownload => td_string!(l, reason.readers_cannot_download).to_string(),
        ReadersCannotCommunity => td_string!(l, reason.readers_cannot_community).to_string(),
        AnotherProjects(a) => fill(
            td_string!(l, reason.another_projects),
            &[("verb", &verb(l, *a))],
        ),
        CannotSeeImage => td_string!(l, reason.cannot_see_image).to_string(),
        Deactivated => td_string!(l, reason.deactivated).to_string(),
        OnlySharedHaveMembers => td_string!(l, reason.only_shared_have_members).to_string(),
        OnlyTheMemberDecides => td_string!(l, reason.only_the_member_decides).to_string(),
        ImageProtected { id } => fill(td_string!(l, reason.image_protected), &[("id", &id)]),
        UnprotectFirst => td_string!(l, reason.unprotect_first).to_string(),
        NamespaceProtected { namespace, part } => fill(
            td_string!(l, reason.namespace_protected),
            &[("namespace", &namespace), ("what", &part_words(l, part))],
        ),
        ReplaceOnlyWhenQueued { attribute } => fill(
            td_string!(l, reason.replace_only_when_queued),
            &[("attribute", &attribute)],
        ),
        BaseProperty { name } => fill(td_string!(l, reason.base_property), &[("name", &name)]),
        ReadOnly { attribute } => fill(
            td_string!(l, reason.read_only),
            &[("attribute", &attribute)],
        ),
        Reserved { attribute } => {
            fill(td_string!(l, reason.reserved), &[("attribute", &attribute)])
        }
        CannotChangeActivation {
            reactivate: true,
            status,
        } => fill(
            td_string!(l, reason.cannot_reactivate),
            &[("status", &status)],
        ),
        CannotChangeActivation {
            reactivate: false,
            status,
        } => fill(
            td_string!(l, reason.cannot_deactivate),
            &[("status", &status)],
        ),
        NoActivationInStatus { status } => fill(
            td_string!(l, reason.no_activation_in_status),
            &[("status", &status)],
        ),
        NoDataYet => td_string!(l, reason.no_data_yet).to_string(),
        OwnProjectDisable => td_string!(l, reason.own_project_disable).to_string(),
        OwnProjectDelete => td_string!(l, reason.own_project_delete).to_string(),
        OwnAdminRole => td_string!(l, reason.own_admin_role).to_string(),
        OwnAccountDisable => td_string!(l, reason.own_account_disable).to_string(),
        OwnAccountDelete => td_string!(l, reason.own_account_delete).to_string(),
        NoRoleOnProject => td_string!(l, reason.no_role_on_project).to_string(),
        ImageExists { id } => fill(td_string!(l, reason.image_exists), &[("id", &id)]),
        PropertyPresent { key } => fill(td_string!(l, reason.property_present), &[("key", &key)]),
        PropertyMissing { key } => fill(td_string!(l, reason.property_missing), &[("key", &key)]),
        MemberExists { member, image } => fill(
            td_string!(l, reason.member_exists),
            &[("member", &member), ("image", &image)],
        ),
        StatusChangedMeanwhile => td_string!(l, reason.status_changed_meanwhile).to_string(),
        AlreadySaving => td_string!(l, reason.already_saving).to_string(),
        Transition { from, event } => fill(
            td_string!(l, reason.transition),
            &[("from", &from), ("event", &event)],
        ),
        ProjectNameTaken { name } => fill(
            td_string!(l, reason.project_name_taken),
            &[("name", &quoted(name))],
        ),
        UserNameTaken { name } => fill(
            td_string!(l, reason.user_name_taken),
            &[("name", &quoted(name))],
        ),
        LimitExists { project, resource } => fill(
            td_string!(l, reason.limit_exists),
            &[("project", &project), ("resource", &resource)],
        ),
        NamespaceExists { namespace } => fill(
            td_string!(l, reason.namespace_exists),
            &[("namespace", &namespace)],
        ),
        ItemTaken {
            kind,
            name,
            namespace,
        } => fill(
            td_string!(l, reason.item_taken),
            &[("kind", &kind), ("name", &name), ("namespace", &namespace)],
        ),
        AlreadyAssociated {
            namespace,
            resource_type,
        } => fill(
            td_string!(l, reason.already_associated),
            &[("namespace", &namespace), ("resource_type", &resource_type)],
        ),
        FormatsFirst => td_string!(l, reason.formats_first).to_string(),
        SizeMismatch => td_string!(l, reason.size_mismatch).to_string(),
        MemberIdRequired => td_string!(l, reason.member_id_required).to_string(),
        NotAProjectId { value } => {
            fill(td_string!(l, reason.not_a_project_id), &[("value", &value)])
        }
        NoSuchProject { id } => fill(td_string!(l, reason.no_such_project), &[("id", &id)]),
        BadMemberStatus { status } => fill(
            td_string!(l, reason.bad_member_status),
            &[("status", &status)],
        ),
        BadSortKey { requested, allowed } => fill(
            td_string!(l, reason.bad_sort_key),
            &[("requested", &requested), ("allowed", &allowed.join(", "))],
        ),
        TooManyProperties { max } => {
            fill(td_string!(l, reason.too_many_properties), &[("max", &max)])
        }
        TooManyTags { max } => fill(td_string!(l, reason.too_many_tags), &[("max", &max)]),
        TooManyMembers { max } => fill(td_string!(l, reason.too_many_members), &[("max", &max)]),
        ImageCountQuota { limit } => fill(
            td_string!(l, reason.image_count_quota),
            &[("limit", &limit)],
        ),
        SizeCap { bytes } => fill(td_string!(l, reason.size_cap), &[("bytes", &bytes)]),
        UploadsRunning { running, limit } => fill(
            td_string!(l, reason.uploads_running),
            &[("running", &running), ("limit", &limit)],
        ),
        StorageQuota {
            limit_mib,
            used_bytes,
        } => fill(
            td_string!(l, reason.storage_quota),
            &[("limit", &limit_mib), ("used", &mib(l, *used_bytes))],
        ),
        DeletedDuringUpload => td_string!(l, reason.deleted_during_upload).to_string(),
        DataGone { id } => fill(td_string!(l, reason.data_gone), &[("id", &id)]),
        ImportMethodDisabled { method } => fill(
            td_string!(l, reason.import_method_disabled),
            &[("method", &method)],
        ),
        ImportNeedsStatus { method, status } => fill(
            td_string!(l, reason.import_needs_status),
            &[("method", &method), ("status", &status)],
        ),
        ImportFormatsFirst => td_string!(l, reason.import_formats_first).to_string(),
        ImportRunning { task } => fill(td_string!(l, reason.import_running), &[("task", &task)]),
        StoreHasImage { store } => {
            fill(td_string!(l, reason.store_has_image), &[("store", &store)])
        }
        AdminOnlyCopy => td_string!(l, reason.admin_only_copy).to_string(),
        AdminOnlyTasks => td_string!(l, reason.admin_only_tasks).to_string(),
        TaskNotFound { id } => fill(td_string!(l, reason.task_not_found), &[("id", &id)]),
        SourceFailed { why } => fill(td_string!(l, reason.source_failed), &[("why", &why)]),
        ConversionFailed { why } => fill(td_string!(l, reason.conversion_failed), &[("why", &why)]),
        DeletedDuringImport => td_string!(l, reason.deleted_during_import).to_string(),
        ImportInterrupted => td_string!(l, reason.import_interrupted).to_string(),
        AllStoresNeedsStores => td_string!(l, reason.all_stores_needs_stores).to_string(),
        NothingToCopy => td_string!(l, reason.nothing_to_copy).to_string(),
        TaskMarkerNotFound { marker } => fill(
            td_string!(l, reason.task_marker_not_found),
            &[("marker", &marker)],
        ),
        TaskWithoutMethod => td_string!(l, reason.task_without_method).to_string(),
        UnknownProject { name } => fill(
            td_string!(l, reason.unknown_project),
            &[("name", &format!("{name:?}"))],
        ),
        Schema { .. } | Definition { .. } | DataRefused { .. } | UriRefused { .. } | Later(_) => {
            return None
        }
    })
}

/// Why a web-download's URI is refused, in the language.
pub fn uri_problem(l: Locale, p: &crate::domain::uri_problem::UriProblem) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::uri_problem::{AddressKind as K, UriProblem as U};
    let kind = |k: &K| match k {
        K::Unspecified => td_string!(l, uri.unspecified),
        K::Loopback => td_string!(l, uri.loopback),
        K::Private => td_string!(l, uri.private),
        K::LinkLocal => td_string!(l, uri.link_local),
        K::Shared => td_string!(l, uri.shared),
        K::Benchmarking => td_string!(l, uri.benchmarking),
        K::IetfProtocol => td_string!(l, uri.ietf_protocol),
        K::Multicast => td_string!(l, uri.multicast),
        K::Reserved => td_string!(l, uri.reserved),
        K::SiteLocal => td_string!(l, uri.site_local),
        K::UniqueLocal => td_string!(l, uri.unique_local),
        K::Documentation => td_string!(l, uri.documentation),
    };
    match p {
        U::Unparsable(detail) => fill(td_string!(l, uri.unparsable), &[("detail", detail)]),
        U::SchemeUnsupported(scheme) => {
            fill(td_string!(l, uri.scheme_unsupported), &[("scheme", scheme)])
        }
        U::SchemeNotAllowed(scheme) => {
            fill(td_string!(l, uri.scheme_not_allowed), &[("scheme", scheme)])
        }
        U::Credentials => td_string!(l, uri.credentials).to_string(),
        U::NoHost => td_string!(l, uri.no_host).to_string(),
        U::HostNotAllowed(host) => fill(td_string!(l, uri.host_not_allowed), &[("host", host)]),
        U::NoPort => td_string!(l, uri.no_port).to_string(),
        U::PortNotAllowed(port) => fill(td_string!(l, uri.port_not_allowed), &[("port", port)]),
        U::Address { address, kind: k } => fill(
            td_string!(l, uri.address),
            &[("address", address), ("kind", &kind(k))],
        ),
        U::ResolvesTo {
            host,
            address,
            kind: k,
        } => fill(
            td_string!(l, uri.resolves_to),
            &[("host", host), ("address", address), ("kind", &kind(k))],
        ),
        U::BadRedirect(detail) => fill(td_string!(l, uri.bad_redirect), &[("detail", detail)]),
    }
}

/// A name, password or description the identity rules refuse, for the form's `field` (already in
/// the language): worded here when the rule is known, else as the service gave it.
pub fn validation(l: Locale, field: &str, e: &crate::domain::identity::ValidationError) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::identity::Problem as P;
    match e.problem {
        Some(P::Empty) => fill(td_string!(l, validation.empty), &[("field", &field)]),
        Some(P::TooLong { max }) => fill(
            td_string!(l, validation.too_long),
            &[("field", &field), ("max", &max)],
        ),
        Some(P::SurroundingSpace) => fill(td_string!(l, validation.spaces), &[("field", &field)]),
        Some(P::ControlCharacters) => fill(td_string!(l, validation.control), &[("field", &field)]),
        Some(P::TooShort { min }) => fill(
            td_string!(l, validation.too_short),
            &[("field", &field), ("min", &min)],
        ),
        None => format!("{field} {}", e.message),
    }
}

/// What does not fit the image schema, in the language (the API keeps Glance's words).
pub fn schema_problem(l: Locale, p: &crate::domain::image::SchemaProblem) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::image::{Expected, SchemaProblem as P};
    match p {
        P::KeyLength { key } => fill(td_string!(l, schema.key_length), &[("key", key)]),
        P::ValueTooLong { key } => fill(td_string!(l, schema.value_too_long), &[("key", key)]),
        P::TooLong { value } => fill(td_string!(l, schema.too_long), &[("value", value)]),
        P::NotOneOf { value, allowed } => fill(
            td_string!(l, schema.not_one_of),
            &[("value", value), ("allowed", &format!("{allowed:?}"))],
        ),
        P::NotAVisibility { value } => {
            fill(td_string!(l, schema.not_a_visibility), &[("value", value)])
        }
        P::Negative { key, value } => fill(
            td_string!(l, schema.negative),
            &[("key", key), ("value", value)],
        ),
        P::NotAUuid { value } => fill(td_string!(l, schema.not_a_uuid), &[("value", value)]),
        P::NotAProjectId { value } => {
            fill(td_string!(l, schema.not_a_project_id), &[("value", value)])
        }
        P::ValueNotString { key } => fill(td_string!(l, schema.value_not_string), &[("key", key)]),
        P::WrongType { key, expected } => {
            let what = match expected {
                Expected::String => td_string!(l, schema.a_string),
                Expected::StringOrNull => td_string!(l, schema.string_or_null),
                Expected::Boolean => td_string!(l, schema.boolean),
                Expected::Integer => td_string!(l, schema.integer),
                Expected::Strings => td_string!(l, schema.strings),
            };
            fill(
                td_string!(l, schema.wrong_type),
                &[("key", key), ("what", &what)],
            )
        }
    }
}

/// A key or value the image rules refuse, as a form says it beside the field: the schema's
/// problem alone, or the read-only / reserved reason.
pub fn field_error(l: Locale, e: &crate::domain::image::FieldError) -> String {
    match e {
        crate::domain::image::FieldError::Schema(p) => schema_problem(l, p),
        other => reason(l, &other.clone().into()),
    }
}

/// Why a form's "key=value" lines are refused, in the language.
pub fn line_problem(l: Locale, p: &crate::domain::image::LineProblem) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::image::LineProblem as P;
    match p {
        P::NotKeyValue(line) => fill(td_string!(l, lines.not_key_value), &[("line", line)]),
        P::OwnField(key) => fill(td_string!(l, lines.own_field), &[("key", key)]),
        P::Twice(key) => fill(td_string!(l, lines.twice), &[("key", key)]),
        P::Refused(e) => field_error(l, e),
    }
}

/// Why the format inspector refuses data (or what it tolerated), in the language.
pub fn refusal(l: Locale, r: &crate::domain::inspect::Refusal) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::inspect::Refusal as R;
    match r {
        R::Problem(p) => inspection_problem(l, p),
        R::Mismatch { detected, declared } => fill(
            td_string!(l, inspect.mismatch),
            &[("detected", detected), ("declared", declared)],
        ),
        R::KeptAsRaw { detected } => fill(
            td_string!(l, inspect.kept_as_raw),
            &[("detected", detected)],
        ),
    }
}

/// What the format inspector found wrong with an image, in the language.
pub fn inspection_problem(l: Locale, p: &crate::domain::inspect::Problem) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::inspect::{Problem as P, Section as G};
    match p {
        P::Truncated(format, region) => {
            let region = match region {
                G::Header => td_string!(l, inspect.region_header),
                G::Mbr => td_string!(l, inspect.region_mbr),
                G::FooterCopy => td_string!(l, inspect.region_footer_copy),
                G::RegionTable => td_string!(l, inspect.region_table),
                G::MetadataRegion => td_string!(l, inspect.region_metadata),
                G::SizeItem => td_string!(l, inspect.region_size_item),
                G::Descriptor => td_string!(l, inspect.region_descriptor),
                G::Footer => td_string!(l, inspect.region_footer),
            };
            fill(
                td_string!(l, inspect.truncated),
                &[("format", format), ("region", &region)],
            )
        }
        P::Damaged(format, f) => fill(
            td_string!(l, inspect.damaged),
            &[("format", format), ("finding", &finding(l, f))],
        ),
        P::Ambiguous(formats) => {
            let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
            fill(
                td_string!(l, inspect.ambiguous),
                &[("formats", &names.join(", "))],
            )
        }
        P::Unsafe {
            format,
            check,
            finding: f,
        } => fill(
            td_string!(l, inspect.failed_check),
            &[
                ("format", format),
                ("check", check),
                ("finding", &finding(l, f)),
            ],
        ),
    }
}

fn finding(l: Locale, f: &crate::domain::inspect::Finding) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::inspect::Finding as F;
    let plain = |t: &str| t.to_string();
    match f {
        F::Qcow2Version(v) => fill(td_string!(l, inspect.qcow2_version), &[("version", v)]),
        F::BackingFile => plain(td_string!(l, inspect.backing_file)),
        F::ExternalData => plain(td_string!(l, inspect.external_data)),
        F::UnknownFeatures(bits) => fill(
            td_string!(l, inspect.unknown_features),
            &[("bits", &format!("{bits:#x}"))],
        ),
        F::LuksVersion(v) => fill(td_string!(l, inspect.luks_version), &[("version", v)]),
        F::QedRefused => plain(td_string!(l, inspect.qed_refused)),
        F::BadBootFlag => plain(td_string!(l, inspect.bad_boot_flag)),
        F::OtherPartitions => plain(td_string!(l, inspect.other_partitions)),
        F::ProtectiveNotAtOne => plain(td_string!(l, inspect.protective_not_at_one)),
        F::NoRegionTableSignature => plain(td_string!(l, inspect.no_region_table_signature)),
        F::NoMetadataRegion => plain(td_string!(l, inspect.no_metadata_region)),
        F::NoMetadataSignature => plain(td_string!(l, inspect.no_metadata_signature)),
        F::NoVirtualSize => plain(td_string!(l, inspect.no_virtual_size)),
        F::DescriptorTooLarge => plain(td_string!(l, inspect.descriptor_too_large)),
        F::CapacityOverflows => plain(td_string!(l, inspect.capacity_overflows)),
        F::ExtentWithoutName(line) => fill(
            td_string!(l, inspect.extent_without_name),
            &[("line", &format!("{line:?}"))],
        ),
        F::ExtentPath(name) => fill(
            td_string!(l, inspect.extent_path),
            &[("name", &format!("{name:?}"))],
        ),
        F::UnexpectedLine(line) => fill(
            td_string!(l, inspect.unexpected_line),
            &[("line", &format!("{line:?}"))],
        ),
        F::CreateType(v) => fill(td_string!(l, inspect.create_type), &[("value", v)]),
        F::NoCreateType => plain(td_string!(l, inspect.no_create_type)),
        F::NoExtent => plain(td_string!(l, inspect.no_extent)),
        F::DescriptorOnly => plain(td_string!(l, inspect.descriptor_only)),
        F::NoDescriptor => plain(td_string!(l, inspect.no_descriptor)),
        F::NoFooterMarker => plain(td_string!(l, inspect.no_footer_marker)),
        F::NoEndMarker => plain(td_string!(l, inspect.no_end_marker)),
        F::FooterNotHeader => plain(td_string!(l, inspect.footer_not_header)),
        F::FooterDisagrees => plain(td_string!(l, inspect.footer_disagrees)),
    }
}

/// A metadata definition that breaks Glance's rules, in the language.
pub fn metadef_invalid(l: Locale, e: &crate::domain::metadefs::Invalid) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::metadefs::{Invalid as I, PROPERTY_TYPES};
    match e {
        I::Empty { field } => fill(td_string!(l, definition.empty), &[("field", field)]),
        I::TooLong { field, n, max } => fill(
            td_string!(l, definition.too_long),
            &[("field", field), ("n", n), ("max", max)],
        ),
        I::LongerThan { field, max } => fill(
            td_string!(l, definition.longer_than),
            &[("field", field), ("max", max)],
        ),
        I::RequiredUnknown(name) => fill(
            td_string!(l, definition.required_unknown),
            &[("name", &format!("{name:?}"))],
        ),
        I::ObjectTwice(name) => fill(
            td_string!(l, definition.object_twice),
            &[("name", &format!("{name:?}"))],
        ),
        I::TagTwice(name) => fill(
            td_string!(l, definition.tag_twice),
            &[("name", &format!("{name:?}"))],
        ),
        I::NotWholeNumber(at) => fill(td_string!(l, definition.not_whole_number), &[("at", at)]),
        I::NotAnObject(at) => fill(td_string!(l, definition.not_an_object), &[("at", at)]),
        I::UnknownKey { at, key } => fill(
            td_string!(l, definition.unknown_key),
            &[("at", at), ("key", &format!("{key:?}"))],
        ),
        I::Required(at) => fill(td_string!(l, definition.required), &[("at", at)]),
        I::BadType { at, found } => fill(
            td_string!(l, definition.bad_type),
            &[
                ("at", at),
                ("types", &format!("{PROPERTY_TYPES:?}")),
                ("found", found),
            ],
        ),
        I::NotAList(at) => fill(td_string!(l, definition.not_a_list), &[("at", at)]),
        I::EnumValue { at, value, problem } => fill(
            td_string!(l, definition.enum_value),
            &[
                ("at", at),
                ("value", value),
                ("problem", &value_problem(l, problem)),
            ],
        ),
        I::NotANumber(at) => fill(td_string!(l, definition.not_a_number), &[("at", at)]),
        I::Bounds { at, low, high } => fill(
            td_string!(l, definition.bounds),
            &[("at", at), ("low", low), ("high", high)],
        ),
        I::NotAString(at) => fill(td_string!(l, definition.not_a_string), &[("at", at)]),
        I::NotABoolean(at) => fill(td_string!(l, definition.not_a_boolean), &[("at", at)]),
        I::BadOperators(at) => fill(td_string!(l, definition.bad_operators), &[("at", at)]),
        I::UnknownType(at) => fill(td_string!(l, definition.unknown_type), &[("at", at)]),
    }
}

/// Why a value does not fit its metadata definition, in the language.
pub fn value_problem(l: Locale, p: &crate::domain::metadefs::ValueProblem) -> String {
    use crate::app::i18n::td_string;
    use crate::domain::metadefs::ValueProblem as V;
    match p {
        V::NotOfType(kind) => fill(td_string!(l, value.not_of_type), &[("kind", kind)]),
        V::NotOneOf(values) => fill(
            td_string!(l, value.not_one_of),
            &[("values", &values.join(", "))],
        ),
        V::AtLeast(n) => fill(td_string!(l, value.at_least), &[("n", n)]),
        V::AtMost(n) => fill(td_string!(l, value.at_most), &[("n", n)]),
        V::MinChars(n) => fill(td_string!(l, value.min_chars), &[("n", n)]),
        V::MaxChars(n) => fill(td_string!(l, value.max_chars), &[("n", n)]),
        V::TooFewItems => td_string!(l, value.too_few_items).to_string(),
        V::TooManyItems => td_string!(l, value.too_many_items).to_string(),
        V::NeedsOperator(ops) => fill(
            td_string!(l, value.needs_operator),
            &[("operators", &ops.join(", "))],
        ),
        V::NotWhole => td_string!(l, value.not_whole).to_string(),
        V::NotNumeric => td_string!(l, value.not_numeric).to_string(),
        V::NotTrueOrFalse => td_string!(l, value.not_true_or_false).to_string(),
    }
}

/// A server function's failure, in the language (every failure; in the browser, only lazily
/// loaded code calls this).
pub fn error(l: Locale, e: &crate::server_fns::AppError) -> String {
    use crate::server_fns::AppError as E;
    match e {
        E::Forbidden(r) | E::NotFound(r) | E::Conflict(r) | E::Refused(r) => reason(l, r),
        _ => error_now(l, e).unwrap_or_default(),
    }
}

/// `error`, but `None` for a reason with a typed problem (see `reason_now`): then
/// `error_later` words it, once the code that does has loaded.
pub fn error_now(l: Locale, e: &crate::server_fns::AppError) -> Option<String> {
    use crate::app::i18n::td_string;
    use crate::server_fns::AppError as E;
    Some(match e {
        E::Unauthenticated => td_string!(l, errors.unauthenticated).to_string(),
        E::Forbidden(r) | E::NotFound(r) | E::Conflict(r) | E::Refused(r) => {
            return reason_now(l, r)
        }
        E::Internal => td_string!(l, errors.internal).to_string(),
        E::Transport(why) => fill(td_string!(l, errors.transport), &[("why", why)]),
        E::LoginRefused(r) => {
            use crate::server_fns::error::LoginRefusal as R;
            match r {
                R::BadCredentials => td_string!(l, errors.bad_credentials).to_string(),
                R::Locked { minutes } => {
                    fill(td_string!(l, errors.locked), &[("minutes", minutes)])
                }
                R::NoRole => td_string!(l, errors.no_role).to_string(),
            }
        }
        // Checks of what only a hand-made request sends (the forms check first); worded here
        // rather than through `Display`, which would bring every reason's English into the wasm.
        E::Invalid { field, message } => format!("{field} {message}"),
    })
}

/// `error` in a chunk of its own (`cargo leptos build --split`), loaded when a failure with a
/// typed problem is first shown on a page whose code does not hold those words.
#[leptos::lazy]
pub fn error_later(l: Locale, e: crate::server_fns::AppError) -> String {
    error(l, &e)
}

/// An image status in the language (the API's word stays English).
pub fn status(l: Locale, s: crate::domain::image::ImageStatus) -> &'static str {
    use crate::app::i18n::td_string;
    use crate::domain::image::ImageStatus as S;
    match s {
        S::Queued => td_string!(l, status.queued),
        S::Saving => td_string!(l, status.saving),
        S::Uploading => td_string!(l, status.uploading),
        S::Importing => td_string!(l, status.importing),
        S::Active => td_string!(l, status.active),
        S::Deactivated => td_string!(l, status.deactivated),
        S::Killed => td_string!(l, status.killed),
        S::Deleted => td_string!(l, status.deleted),
        S::PendingDelete => td_string!(l, status.pending_delete),
    }
}

/// A visibility (or the list filter's `all`) in the language; an unknown word as it is.
pub fn visibility(l: Locale, v: &str) -> String {
    use crate::app::i18n::td_string;
    match v {
        "public" => td_string!(l, visibility.public),
        "community" => td_string!(l, visibility.community),
        "shared" => td_string!(l, visibility.shared),
        "private" => td_string!(l, visibility.private),
        "all" => td_string!(l, visibility.all),
        other => other,
    }
    .to_string()
}

/// A byte count in binary units, with the language's decimal separator ("1.5 GiB", "1,5 GiB").
pub fn size(l: Locale, bytes: i64) -> String {
    let en = crate::domain::image::human_size(bytes);
    match l {
        Locale::de => en.replacen('.', ",", 1),
        Locale::en | Locale::zh => en,
    }
}

/// A stored UTC timestamp (`2026-12-06T18:35:11Z`) to the minute, in the language's order:
/// `2026-12-06 18:35`, `06.12.2026, 18:35`, `2026/12/06 18:35`. Anything else is shown as is.
pub fn date_time(l: Locale, stored: &str) -> String {
    let b = stored.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0..4) && digits(5..7) && digits(8..10) && digits(11..13) && digits(14..16)) {
        return stored.to_string();
    }
    let (y, mo, d, hm) = (
        &stored[0..4],
        &stored[5..7],
        &stored[8..10],
        &stored[11..16],
    );
    match l {
        Locale::en => format!("{y}-{mo}-{d} {hm}"),
        Locale::de => format!("{d}.{mo}.{y}, {hm}"),
        Locale::zh => format!("{y}/{mo}/{d} {hm}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> std::collections::BTreeSet<String> {
        s.split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}'))
            .map(|(n, _)| n.to_string())
            .collect()
    }

    /// Texts that read the same in every language: names and technical words.
    const SAME_EVERYWHERE: &[&str] = &[
        "Glimpse", "ID", "OK", "—", "Status", "Name", "Kernel", "Ramdisk", "Import", "Format",
    ];

    #[test]
    #[cfg(feature = "ssr")]
    fn every_catalog_translates_every_key() {
        use crate::app::words::serve::flatten as catalog;
        let en = catalog(Locale::en);
        assert!(en.len() > 20);
        for (name, l) in [("de", Locale::de), ("zh", Locale::zh)] {
            let other = catalog(l);
            let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{name} lacks {missing:?}");
            let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(extra.is_empty(), "{name} has keys English lacks: {extra:?}");
            for (key, en_text) in &en {
                let t = &other[key];
                assert!(!t.trim().is_empty(), "{name}: {key} is empty");
                assert_eq!(
                    placeholders(en_text),
                    placeholders(t),
                    "{name}: {key} placeholders"
                );
                // Placeholders and punctuation alone ("{name}: {size}") read the same everywhere.
                let words: String = en_text
                    .split('{')
                    .map(|p| p.split_once('}').map_or(p, |(_, rest)| rest))
                    .collect();
                let untranslated = t == en_text
                    && words.chars().any(|c| c.is_ascii_lowercase())
                    && !SAME_EVERYWHERE.contains(&en_text.as_str());
                assert!(!untranslated, "{name}: {key} is still English: {t:?}");
            }
        }
    }

    /// Every reason, as the dashboard words it in English, reads exactly as the APIs word it;
    /// and German and Chinese word every one of them.
    #[test]
    fn reasons_read_the_same_in_the_english_catalog_as_in_the_apis() {
        use crate::domain::reason::{ImageAction, NamespacePart, Reason::*};
        let all = vec![
            Hidden,
            ImageNotFound { id: "v-id".into() },
            ImageHasNoData { id: "v-id".into() },
            TagNotFound {
                tag: "v-tag".into(),
            },
            NotAMember {
                member: "v-member".into(),
                image: "v-image".into(),
            },
            MarkerNotFound {
                marker: "v-marker".into(),
            },
            TokenNotFound {
                prefix: "v-prefix".into(),
            },
            UserNotFound { id: "v-id".into() },
            ProjectNotFound { id: "v-id".into() },
            LimitNotFound { id: "v-id".into() },
            RoleAssignmentNotFound {
                role: "v-role".into(),
                user: "v-user".into(),
                project: "v-project".into(),
            },
            NamespaceNotFound {
                namespace: "v-namespace".into(),
            },
            NamespaceMarkerNotFound {
                marker: "v-marker".into(),
            },
            ItemNotFound {
                kind: "v-kind".into(),
                name: "v-name".into(),
                namespace: "v-namespace".into(),
            },
            NoSuchStore { id: "v-id".into() },
            NotInStore {
                store: "v-store".into(),
                image: "v-image".into(),
            },
            NotPendingDelete { id: "v-id".into() },
            NotAssociated {
                namespace: "v-namespace".into(),
                resource_type: "v-resource_type".into(),
            },
            AdminOnlyIdentity,
            AdminOnlyMetadefs,
            AdminOnlyPublic,
            AdminOnlyOwner,
            AdminOnlyStoresDetail,
            LastLocation,
            NotActive {
                status: "v-status".into(),
            },
            MultiStoreOff,
            AdminOnlyTrash,
            NotAuthorized,
            NotAuthorizedToCreate,
            PolicyRefuses {
                rule: "v-rule".into(),
            },
            ReadersCannot(ImageAction::Modify),
            ReadersCannot(ImageAction::Upload),
            ReadersCannot(ImageAction::StopSharing),
            ReadersCannotCreate,
            ReadersCannotDownload,
            ReadersCannotCommunity,
            AnotherProjects(ImageAction::Modify),
            AnotherProjects(ImageAction::Upload),
            AnotherProjects(ImageAction::StopSharing),
            CannotSeeImage,
            Deactivated,
            OnlySharedHaveMembers,
            OnlyTheMemberDecides,
            ImageProtected { id: "v-id".into() },
            UnprotectFirst,
            NamespaceProtected {
                namespace: "v-namespace".into(),
                part: NamespacePart::Items("property".into()),
            },
            ReplaceOnlyWhenQueued {
                attribute: "v-attribute".into(),
            },
            BaseProperty {
                name: "v-name".into(),
            },
            ReadOnly {
                attribute: "v-attribute".into(),
            },
            Reserved {
                attribute: "v-attribute".into(),
            },
            CannotChangeActivation {
                reactivate: true,
                status: "v-status".into(),
            },
            CannotChangeActivation {
                reactivate: false,
                status: "v-status".into(),
            },
            NoActivationInStatus {
                status: "v-status".into(),
            },
            NoDataYet,
            OwnProjectDisable,
            OwnProjectDelete,
            OwnAdminRole,
            OwnAccountDisable,
            OwnAccountDelete,
            NoRoleOnProject,
            ImageExists { id: "v-id".into() },
            PropertyPresent {
                key: "v-key".into(),
            },
            PropertyMissing {
                key: "v-key".into(),
            },
            MemberExists {
                member: "v-member".into(),
                image: "v-image".into(),
            },
            StatusChangedMeanwhile,
            AlreadySaving,
            Transition {
                from: "v-from".into(),
                event: "v-event".into(),
            },
            ProjectNameTaken {
                name: "v-name".into(),
            },
            UserNameTaken {
                name: "v-name".into(),
            },
            LimitExists {
                project: "v-project".into(),
                resource: "v-resource".into(),
            },
            NamespaceExists {
                namespace: "v-namespace".into(),
            },
            ItemTaken {
                kind: "v-kind".into(),
                name: "v-name".into(),
                namespace: "v-namespace".into(),
            },
            AlreadyAssociated {
                namespace: "v-namespace".into(),
                resource_type: "v-resource_type".into(),
            },
            FormatsFirst,
            SizeMismatch,
            MemberIdRequired,
            NotAProjectId {
                value: "v-value".into(),
            },
            NoSuchProject { id: "v-id".into() },
            BadMemberStatus {
                status: "v-status".into(),
            },
            BadSortKey {
                requested: "v-requested".into(),
                allowed: vec!["name".into(), "size".into()],
            },
            Schema {
                problem: crate::domain::image::SchemaProblem::TooLong {
                    value: "v-value".into(),
                },
            },
            Definition {
                problem: crate::domain::metadefs::Invalid::Required("properties.p.title".into()),
            },
            TooManyProperties { max: 5 },
            TooManyTags { max: 5 },
            TooManyMembers { max: 5 },
            ImageCountQuota { limit: 7 },
            SizeCap { bytes: 1024 },
            UploadsRunning {
                running: 2,
                limit: 7,
            },
            StorageQuota {
                limit_mib: 10,
                used_bytes: 3 * 1024 * 1024 + 512 * 1024,
            },
            DataRefused {
                why: crate::domain::inspect::Refusal::Problem(
                    crate::domain::inspect::Problem::Unsafe {
                        format: crate::domain::inspect::Format::Qcow2,
                        check: crate::domain::inspect::Check::BackingFile,
                        finding: crate::domain::inspect::Finding::BackingFile,
                    },
                ),
            },
            DeletedDuringUpload,
            DataGone { id: "v-id".into() },
            ImportMethodDisabled {
                method: "v-method".into(),
            },
            ImportNeedsStatus {
                method: "v-method".into(),
                status: "v-status".into(),
            },
            ImportFormatsFirst,
            ImportRunning {
                task: "v-task".into(),
            },
            UriRefused {
                why: crate::domain::uri_problem::UriProblem::Address {
                    address: "127.0.0.1".into(),
                    kind: crate::domain::uri_problem::AddressKind::Loopback,
                },
            },
            AllStoresNeedsStores,
            NothingToCopy,
            TaskMarkerNotFound {
                marker: "v-marker".into(),
            },
            TaskWithoutMethod,
            UnknownProject {
                name: "v-name".into(),
            },
            StoreHasImage {
                store: "v-store".into(),
            },
            AdminOnlyCopy,
            AdminOnlyTasks,
            TaskNotFound { id: "v-id".into() },
            SourceFailed {
                why: "v-why".into(),
            },
            ConversionFailed {
                why: "v-why".into(),
            },
            DeletedDuringImport,
            ImportInterrupted,
            NamespaceProtected {
                namespace: "n".into(),
                part: NamespacePart::Itself,
            },
            NamespaceProtected {
                namespace: "n".into(),
                part: NamespacePart::Associations,
            },
        ];
        for r in &all {
            assert_eq!(reason(Locale::en, r), r.to_string(), "{r:?}");
            // Its wire form reads back as the same reason.
            let json = serde_json::to_string(r).unwrap();
            assert_eq!(
                &serde_json::from_str::<crate::domain::reason::Reason>(&json).unwrap(),
                r,
                "{json}"
            );
            // The browser's first chunk keeps a reason with a typed problem in its wire form:
            // it words every other reason at once, and that one once `error_later` has loaded,
            // with the same words either way.
            let later = crate::domain::reason::Reason::from_wire_later(
                serde_json::from_str(&json).unwrap(),
            )
            .unwrap();
            let typed = matches!(
                r,
                Schema { .. } | Definition { .. } | DataRefused { .. } | UriRefused { .. }
            );
            assert_eq!(matches!(later, Later(_)), typed, "{r:?}");
            assert_eq!(
                serde_json::to_value(&later).unwrap(),
                serde_json::from_str::<serde_json::Value>(&json).unwrap()
            );
            let failure = crate::server_fns::AppError::Refused(later.clone());
            for l in [Locale::en, Locale::de, Locale::zh] {
                assert_eq!(reason(l, &later), reason(l, r), "{l:?} {r:?}");
                assert_eq!(error(l, &failure), reason(l, r), "{l:?} {r:?}");
                match reason_now(l, &later) {
                    Some(words) => assert_eq!(words, reason(l, r), "{l:?} {r:?}"),
                    None => assert!(typed, "{l:?} {r:?} waits for no reason"),
                }
                assert_eq!(error_now(l, &failure).is_none(), typed, "{l:?} {r:?}");
            }
            for l in [Locale::de, Locale::zh] {
                let words = reason(l, r);
                assert!(!words.contains('{'), "{l:?} {r:?}: {words}");
                assert_ne!(words, r.to_string(), "{l:?} {r:?} is still English");
            }
        }
        // A wire form that names a typed problem but does not decode is shown as it came.
        let broken = crate::domain::reason::Reason::from_wire_later(serde_json::json!([
            "Schema",
            "not a problem"
        ]))
        .unwrap();
        assert_eq!(reason(Locale::de, &broken), r#"["Schema","not a problem"]"#);
    }

    #[test]
    fn login_refusals_read_in_english_as_the_server_words_them() {
        use crate::server_fns::{error::LoginRefusal as R, AppError};
        for r in [R::BadCredentials, R::Locked { minutes: 3 }, R::NoRole] {
            let e = AppError::LoginRefused(r);
            assert_eq!(error(Locale::en, &e), e.to_string());
            assert_ne!(error(Locale::de, &e), e.to_string());
            assert_ne!(error(Locale::zh, &e), e.to_string());
        }
    }

    #[test]
    fn refused_names_read_in_english_as_the_rules_word_them() {
        use crate::domain::identity::{validate_description, validate_name, validate_password};
        let refused = [
            validate_name("Name", "").unwrap_err(),
            validate_name("Name", &"n".repeat(65)).unwrap_err(),
            validate_name("Name", " x").unwrap_err(),
            validate_name("Name", "a\u{7}").unwrap_err(),
            validate_password("short").unwrap_err(),
            validate_description(&"d".repeat(256)).unwrap_err(),
        ];
        for e in &refused {
            assert_eq!(
                validation(Locale::en, "Name", e),
                format!("Name {}", e.message)
            );
            assert_ne!(
                validation(Locale::de, "Name", e),
                format!("Name {}", e.message)
            );
        }
        assert_eq!(
            validation(Locale::de, "Name", &refused[2]),
            "Name darf nicht mit einem Leerzeichen beginnen oder enden"
        );
    }

    /// Every image-schema problem, line problem and inspector finding reads in the English
    /// catalog exactly as the API words it, and German and Chinese word each one.
    #[test]
    fn image_rules_and_inspector_read_in_english_as_the_api_words_them() {
        use crate::domain::image::{Expected, FieldError, LineProblem, SchemaProblem as S};
        use crate::domain::inspect::{Check, Finding as F, Format, Problem, Refusal, Section};
        let mut schema = vec![
            S::KeyLength { key: "k".into() },
            S::ValueTooLong { key: "k".into() },
            S::TooLong { value: "v".into() },
            S::NotOneOf {
                value: "v".into(),
                allowed: vec!["raw".into(), "qcow2".into()],
            },
            S::NotAVisibility { value: "v".into() },
            S::Negative {
                key: "min_disk".into(),
                value: -1,
            },
            S::NotAUuid { value: "v".into() },
            S::NotAProjectId { value: "v".into() },
            S::ValueNotString { key: "k".into() },
        ];
        for expected in [
            Expected::String,
            Expected::StringOrNull,
            Expected::Boolean,
            Expected::Integer,
            Expected::Strings,
        ] {
            schema.push(S::WrongType {
                key: "name".into(),
                expected,
            });
        }
        type Wording = Box<dyn Fn(Locale) -> String>;
        let mut texts: Vec<(String, Wording)> = Vec::new();
        for p in schema {
            texts.push((p.to_string(), Box::new(move |l| schema_problem(l, &p))));
        }
        for p in [
            LineProblem::NotKeyValue("x".into()),
            LineProblem::OwnField("name".into()),
            LineProblem::Twice("a".into()),
            LineProblem::Refused(FieldError::ReadOnly("status".into())),
        ] {
            texts.push((p.to_string(), Box::new(move |l| line_problem(l, &p))));
        }
        let findings = [
            F::Qcow2Version(4),
            F::BackingFile,
            F::ExternalData,
            F::UnknownFeatures(0x200),
            F::LuksVersion(2),
            F::QedRefused,
            F::BadBootFlag,
            F::OtherPartitions,
            F::ProtectiveNotAtOne,
            F::NoRegionTableSignature,
            F::NoMetadataRegion,
            F::NoMetadataSignature,
            F::NoVirtualSize,
            F::DescriptorTooLarge,
            F::CapacityOverflows,
            F::ExtentWithoutName("RW 8 SPARSE".into()),
            F::ExtentPath("../etc/x".into()),
            F::UnexpectedLine("odd".into()),
            F::CreateType("vmfs".into()),
            F::NoCreateType,
            F::NoExtent,
            F::DescriptorOnly,
            F::NoDescriptor,
            F::NoFooterMarker,
            F::NoEndMarker,
            F::FooterNotHeader,
            F::FooterDisagrees,
        ];
        let mut refusals: Vec<Refusal> = findings
            .into_iter()
            .map(|finding| {
                Refusal::Problem(Problem::Unsafe {
                    format: Format::Vmdk,
                    check: Check::Descriptor,
                    finding,
                })
            })
            .collect();
        for region in [
            Section::Header,
            Section::Mbr,
            Section::FooterCopy,
            Section::RegionTable,
            Section::MetadataRegion,
            Section::SizeItem,
            Section::Descriptor,
            Section::Footer,
        ] {
            refusals.push(Refusal::Problem(Problem::Truncated(Format::Vhdx, region)));
        }
        refusals.extend([
            Refusal::Problem(Problem::Damaged(Format::Vhdx, F::NoMetadataRegion)),
            Refusal::Problem(Problem::Ambiguous(vec![Format::Qcow2, Format::Gpt])),
            Refusal::Mismatch {
                detected: Format::Qcow2,
                declared: "vmdk".into(),
            },
            Refusal::KeptAsRaw {
                detected: Format::Qcow2,
            },
        ]);
        for r in refusals {
            texts.push((r.to_string(), Box::new(move |l| refusal(l, &r))));
        }
        use crate::domain::uri_problem::{AddressKind as K, UriProblem as U};
        let mut uris = vec![
            U::Unparsable("relative URL without a base".into()),
            U::SchemeUnsupported("ftp".into()),
            U::SchemeNotAllowed("http".into()),
            U::Credentials,
            U::NoHost,
            U::HostNotAllowed("bad.example".into()),
            U::NoPort,
            U::PortNotAllowed(8080),
            U::BadRedirect("empty host".into()),
        ];
        for kind in [
            K::Unspecified,
            K::Loopback,
            K::Private,
            K::LinkLocal,
            K::Shared,
            K::Benchmarking,
            K::IetfProtocol,
            K::Multicast,
            K::Reserved,
            K::SiteLocal,
            K::UniqueLocal,
            K::Documentation,
        ] {
            uris.push(U::Address {
                address: "10.0.0.1".into(),
                kind,
            });
            uris.push(U::ResolvesTo {
                host: "db.internal".into(),
                address: "10.0.0.1".into(),
                kind,
            });
        }
        use crate::domain::metadefs::{Invalid as I, ValueProblem as V};
        let values = vec![
            V::NotOfType("integer".into()),
            V::NotOneOf(vec!["\"a\"".into(), "\"b\"".into()]),
            V::AtLeast("1".into()),
            V::AtMost("3.5".into()),
            V::MinChars(2),
            V::MaxChars(3),
            V::TooFewItems,
            V::TooManyItems,
            V::NeedsOperator(vec!["<in>".into(), "<or>".into()]),
            V::NotWhole,
            V::NotNumeric,
            V::NotTrueOrFalse,
        ];
        let mut definitions = vec![
            I::Empty {
                field: "name".into(),
            },
            I::TooLong {
                field: "name".into(),
                n: 90,
                max: 80,
            },
            I::LongerThan {
                field: "owner".into(),
                max: 255,
            },
            I::RequiredUnknown("p".into()),
            I::ObjectTwice("o".into()),
            I::TagTwice("t".into()),
            I::NotWholeNumber("properties.p.minLength".into()),
            I::NotAnObject("properties.p".into()),
            I::UnknownKey {
                at: "properties.p".into(),
                key: "odd".into(),
            },
            I::Required("properties.p.title".into()),
            I::BadType {
                at: "properties.p.type".into(),
                found: "\"float\"".into(),
            },
            I::NotAList("properties.p.enum".into()),
            I::NotANumber("properties.p.minimum".into()),
            I::Bounds {
                at: "properties.p".into(),
                low: "minimum".into(),
                high: "maximum".into(),
            },
            I::NotAString("properties.p.pattern".into()),
            I::NotABoolean("properties.p.readonly".into()),
            I::BadOperators("properties.p.operators".into()),
            I::UnknownType("properties.p.items.type".into()),
        ];
        for problem in values.clone() {
            definitions.push(I::EnumValue {
                at: "properties.p.enum".into(),
                value: "7".into(),
                problem,
            });
        }
        for v in values {
            texts.push((v.to_string(), Box::new(move |l| value_problem(l, &v))));
        }
        for d in definitions {
            texts.push((d.to_string(), Box::new(move |l| metadef_invalid(l, &d))));
        }
        for u in uris {
            texts.push((u.to_string(), Box::new(move |l| uri_problem(l, &u))));
        }
        for (api, words) in &texts {
            assert_eq!(&words(Locale::en), api);
            for l in [Locale::de, Locale::zh] {
                let w = words(l);
                assert!(!w.contains('{'), "{l:?}: {w}");
                assert_ne!(&w, api, "{l:?} is still English");
            }
        }
        assert_eq!(
            refusal(
                Locale::de,
                &Refusal::Problem(Problem::Unsafe {
                    format: Format::Qcow2,
                    check: Check::BackingFile,
                    finding: F::BackingFile,
                })
            ),
            "Das qcow2-Abbild hat die Sicherheitsprüfung backing_file nicht bestanden: es verweist \
             auf eine Basisdatei (backing file)."
        );
    }

    #[test]
    fn accept_language_is_read_in_order_of_preference() {
        assert_eq!(accepted("de-DE,de;q=0.9,en;q=0.5"), ["de-DE", "de", "en"]);
        assert_eq!(accepted("en;q=0.2, zh-CN"), ["zh-CN", "en"]);
        assert!(accepted("fr;q=0, *").is_empty());
        let best = |h: &str| Locale::find_locale(&accepted(h));
        assert_eq!(best("de-DE,de;q=0.9,en;q=0.5"), Locale::de);
        assert_eq!(best("zh-CN,zh;q=0.9"), Locale::zh);
        assert_eq!(best("fr-FR,en;q=0.1,de;q=0.5"), Locale::de);
        assert_eq!(best("fr-FR"), Locale::en);
        assert_eq!(best(""), Locale::en);
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        assert_eq!(
            fill("{n} of {total}", &[("total", &5), ("n", &2)]),
            "2 of 5"
        );
        assert_eq!(fill("no placeholder", &[("n", &1)]), "no placeholder");
    }

    #[test]
    fn sizes_use_the_languages_decimal_separator() {
        assert_eq!(size(Locale::en, 1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(size(Locale::de, 1536 * 1024 * 1024), "1,5 GiB");
        assert_eq!(size(Locale::zh, 1536), "1.5 KiB");
        assert_eq!(size(Locale::de, 12), "12 B");
    }

    #[test]
    fn dates_follow_the_languages_order() {
        let t = "2026-12-06T18:35:11Z";
        assert_eq!(date_time(Locale::en, t), "2026-12-06 18:35");
        assert_eq!(date_time(Locale::de, t), "06.12.2026, 18:35");
        assert_eq!(date_time(Locale::zh, t), "2026/12/06 18:35");
        assert_eq!(date_time(Locale::de, "yesterday"), "yesterday");
    }
}
