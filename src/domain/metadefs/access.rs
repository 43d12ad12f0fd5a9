//! Who may read and change metadata definitions (Glance's default policy).

use super::*;
use crate::domain::policy::{Actor, Decision};
use crate::domain::reason::{NamespacePart, Reason};

/// Who may read a namespace: public ones everyone, private ones their owner project and admins.
pub fn can_see_namespace(actor: &Actor, ns: &Namespace) -> Decision {
    if ns.visibility == NamespaceVisibility::Public
        || actor.is_admin()
        || ns.owner.as_ref().is_some_and(|o| o.is(&actor.project_id))
    {
        Decision::Allow
    } else {
        Decision::Hidden
    }
}

/// Writes (create, update, delete of namespaces and everything in them) are for admins, as in
/// Glance's default policy.
pub fn can_write_metadefs(actor: &Actor) -> Decision {
    if actor.is_admin() {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::AdminOnlyMetadefs)
    }
}

/// A protected namespace and what it holds refuse deletion.
pub fn can_delete_in(ns: &Namespace, part: NamespacePart) -> Decision {
    if ns.protected {
        Decision::Forbidden(Reason::NamespaceProtected {
            namespace: ns.namespace.clone(),
            part,
        })
    } else {
        Decision::Allow
    }
}
