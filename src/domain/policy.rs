//! Who may do what. `Actor` is the caller as every layer sees it; the functions here are the one
//! place where access rules are written. The server enforces them, the browser only reads them to
//! grey out buttons.

use crate::domain::identity::{Role, RoleSet};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::image::{Image, ImageStatus, Visibility};
use crate::domain::policy_rules::Rule;
use crate::domain::reason::{ImageAction, Reason};
use serde::{Deserialize, Serialize};

/// The caller of a request: a user acting in one project with the roles they hold there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Who is calling.
    pub user_id: UserId,
    /// The user's name, for display and logs.
    pub user_name: String,
    /// The project the user is working in (the token's scope or the dashboard's current project).
    pub project_id: ProjectId,
    /// That project's name.
    pub project_name: String,
    /// Effective roles on that project (implied roles included).
    pub roles: RoleSet,
}

impl Actor {
    /// A caller in a fresh project holding `roles` (tests).
    #[cfg(test)]
    pub(crate) fn random_with(roles: &[Role]) -> Actor {
        Actor {
            user_id: UserId::random(),
            user_name: "u".into(),
            project_id: ProjectId::random(),
            project_name: "p".into(),
            roles: RoleSet::effective(roles.iter().copied()),
        }
    }

    /// Whether the actor holds `role` (directly or through an implying role).
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(role)
    }

    /// Whether the actor is a cloud administrator (role `admin` on their current project).
    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }
}

/// The outcome of a policy check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused, with the reason shown to the user (HTTP 403).
    Forbidden(Reason),
    /// The caller may not even know the thing exists (HTTP 404), as Glance answers.
    Hidden,
}

impl Decision {
    /// Whether the decision allows the action.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Identity administration (projects, users, role assignments): admin only, as Keystone's
/// default `identity:*` rules say.
pub fn can_administer_identity(actor: &Actor) -> Decision {
    if actor.is_admin() {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::AdminOnlyIdentity)
    }
}

/// What the operator's property protections let a caller do with one property key, decided on the
/// server and sent to the dashboard, which shows a key it may not change read-only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyAccess {
    /// The key.
    pub key: String,
    /// Add it to an image that lacks it.
    pub create: bool,
    /// Change its value.
    pub update: bool,
    /// Remove it.
    pub delete: bool,
}

/// Why each action on an image is unavailable to a caller (`None`: allowed). The server decides
/// it (with the operator's policy overrides) and sends it with the image, so the dashboard greys
/// out exactly what the API would refuse; the details page and the table's row menus show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unavailable {
    /// Edit, Update Metadata and Protect/Unprotect (`modify_image`).
    #[serde(default, deserialize_with = "crate::domain::reason::via_value::option")]
    pub modify: Option<Reason>,
    /// Delete (`delete_image`; also refused while protected).
    #[serde(default, deserialize_with = "crate::domain::reason::via_value::option")]
    pub delete: Option<Reason>,
    /// Deactivate/Reactivate (`deactivate`/`reactivate`; only active or deactivated images).
    #[serde(default, deserialize_with = "crate::domain::reason::via_value::option")]
    pub activate: Option<Reason>,
    /// Manage Members (`add_member`).
    #[serde(default, deserialize_with = "crate::domain::reason::via_value::option")]
    pub members: Option<Reason>,
    /// Download (`download_image`; only when there is data).
    #[serde(default, deserialize_with = "crate::domain::reason::via_value::option")]
    pub download: Option<Reason>,
}

fn reason(d: Decision) -> Option<Reason> {
    match d {
        Decision::Allow => None,
        Decision::Forbidden(r) => Some(r),
        Decision::Hidden => Some(Reason::CannotSeeImage),
    }
}

/// What `actor` may do with `image`, an image it can see with `membership`. `decide(rule,
/// default)` gives the operator's policy a say over each default decision (Glance rule names).
pub fn unavailable(
    actor: &Actor,
    image: &Image,
    membership: Membership,
    decide: &dyn Fn(Rule, Decision) -> Decision,
) -> Unavailable {
    let m = membership;
    let activate_rule = if image.status == ImageStatus::Deactivated {
        Rule::Reactivate
    } else {
        Rule::Deactivate
    };
    Unavailable {
        modify: reason(decide(Rule::ModifyImage, can_modify(actor, image, m))),
        delete: reason(decide(Rule::DeleteImage, can_delete(actor, image, m)))
            .or_else(|| image.protected.then_some(Reason::UnprotectFirst)),
        activate: reason(decide(activate_rule, can_deactivate(actor, image, m))).or_else(|| {
            match image.status {
                ImageStatus::Active | ImageStatus::Deactivated => None,
                s => Some(Reason::NoActivationInStatus {
                    status: s.to_string(),
                }),
            }
        }),
        members: reason(decide(Rule::AddMember, can_manage_members(actor, image, m))),
        download: reason(decide(Rule::DownloadImage, can_download(actor, image, m)))
            .or_else(|| image.size.is_none().then_some(Reason::NoDataYet)),
    }
}

/// `stores_info_detail`: the stores' kinds and settings are for admins.
pub fn can_see_store_details(actor: &Actor) -> Decision {
    if actor.is_admin() {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::AdminOnlyStoresDetail)
    }
}

/// `delete_image_location` (removing one store's copy of an image's data): admins, as Glance's
/// default.
pub fn can_delete_image_location(actor: &Actor) -> Decision {
    if actor.is_admin() {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::NotAuthorized)
    }
}

/// The Trash (delayed delete's pending deletions): listing, restoring and purging are for admins,
/// as Glance's `glance-scrubber --restore` is for operators.
pub fn can_manage_trash(actor: &Actor) -> Decision {
    if actor.is_admin() {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::AdminOnlyTrash)
    }
}

/// `identity:validate_token` / `identity:revoke_token`: a token may look at (or revoke) itself;
/// another token only with the admin role on the caller's scope.
pub fn can_inspect_token(caller_roles: RoleSet, own_token: bool) -> Decision {
    if own_token || caller_roles.contains(Role::Admin) {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::NotAuthorized)
    }
}

/// Whether the caller's project is a member of an image (shared images), and with what status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Membership {
    /// Not a member.
    None,
    /// Invited, not yet accepted.
    Pending,
    /// Accepted.
    Accepted,
    /// Rejected.
    Rejected,
}

/// Whether the actor's project owns the image.
pub fn owns(actor: &Actor, image: &Image) -> bool {
    image.owner.as_ref() == Some(&actor.project_id)
}

/// `get_image`: admins see everything; others see their own, public and community images, and
/// shared images they are a member of in any status. Anything else is hidden (404).
pub fn can_see(actor: &Actor, image: &Image, membership: Membership) -> Decision {
    if image.status == ImageStatus::Deleted {
        return Decision::Hidden;
    }
    if actor.is_admin() || owns(actor, image) {
        return Decision::Allow;
    }
    match image.visibility {
        Visibility::Public | Visibility::Community => Decision::Allow,
        Visibility::Shared if membership != Membership::None => Decision::Allow,
        _ => Decision::Hidden,
    }
}

fn owner_member(
    actor: &Actor,
    image: &Image,
    membership: Membership,
    what: ImageAction,
) -> Decision {
    match can_see(actor, image, membership) {
        Decision::Allow => {}
        other => return other,
    }
    if actor.is_admin() || (owns(actor, image) && actor.has_role(Role::Member)) {
        Decision::Allow
    } else if owns(actor, image) {
        Decision::Forbidden(Reason::ReadersCannot(what))
    } else {
        Decision::Forbidden(Reason::AnotherProjects(what))
    }
}

/// `delete_member`: the owner's members, or an admin (any visibility, so a share can be undone
/// after the image stopped being shared).
pub fn owner_member_decision(actor: &Actor, image: &Image, membership: Membership) -> Decision {
    owner_member(actor, image, membership, ImageAction::StopSharing)
}

/// `add_image`: members (and admins) create images in their project.
pub fn can_create(actor: &Actor) -> Decision {
    if actor.has_role(Role::Member) {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::ReadersCannotCreate)
    }
}

/// `modify_image` (also tags, upload, delete, deactivate, reactivate): the owner's members, or
/// an admin.
pub fn can_modify(actor: &Actor, image: &Image, membership: Membership) -> Decision {
    owner_member(actor, image, membership, ImageAction::Modify)
}

/// `delete_image`: like modify; protected images are refused by the service, not the policy.
pub fn can_delete(actor: &Actor, image: &Image, membership: Membership) -> Decision {
    owner_member(actor, image, membership, ImageAction::Delete)
}

/// `upload_image`.
pub fn can_upload(actor: &Actor, image: &Image, membership: Membership) -> Decision {
    owner_member(actor, image, membership, ImageAction::Upload)
}

/// `deactivate` / `reactivate`.
pub fn can_deactivate(actor: &Actor, image: &Image, membership: Membership) -> Decision {
    owner_member(actor, image, membership, ImageAction::Deactivate)
}

/// `download_image`: a member role and sight of the image; deactivated images only for admins.
pub fn can_download(actor: &Actor, image: &Image, membership: Membership) -> Decision {
    match can_see(actor, image, membership) {
        Decision::Allow => {}
        other => return other,
    }
    if !actor.has_role(Role::Member) {
        return Decision::Forbidden(Reason::ReadersCannotDownload);
    }
    if image.status == ImageStatus::Deactivated && !actor.is_admin() {
        return Decision::Forbidden(Reason::Deactivated);
    }
    Decision::Allow
}

/// `publicize_image` / `communitize_image`: who may give an image this visibility.
pub fn can_set_visibility(actor: &Actor, visibility: Visibility) -> Decision {
    match visibility {
        Visibility::Public if !actor.is_admin() => Decision::Forbidden(Reason::AdminOnlyPublic),
        Visibility::Community if !actor.has_role(Role::Member) => {
            Decision::Forbidden(Reason::ReadersCannotCommunity)
        }
        _ => Decision::Allow,
    }
}

/// `add_member` / `delete_member`: the owner's members or an admin; only shared images have members.
pub fn can_manage_members(actor: &Actor, image: &Image, membership: Membership) -> Decision {
    match owner_member(actor, image, membership, ImageAction::Share) {
        Decision::Allow if image.visibility != Visibility::Shared => {
            Decision::Forbidden(Reason::OnlySharedHaveMembers)
        }
        other => other,
    }
}

/// `get_members` on an image the caller can see: only shared images have members (Glance answers
/// 403 for the others, even to their owner).
pub fn can_list_members(image: &Image) -> Decision {
    if image.visibility == Visibility::Shared {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::OnlySharedHaveMembers)
    }
}

/// `get_member(s)`: the owner sees every member; a member sees only itself; others nothing.
pub fn can_see_member(actor: &Actor, image: &Image, member: &ProjectId) -> Decision {
    if actor.is_admin() || owns(actor, image) || *member == actor.project_id {
        Decision::Allow
    } else {
        Decision::Hidden
    }
}

/// `modify_member`: only the member itself (or an admin) accepts or rejects; the owner cannot.
pub fn can_set_member_status(actor: &Actor, member: &ProjectId) -> Decision {
    if actor.is_admin() || (*member == actor.project_id && actor.has_role(Role::Member)) {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::OnlyTheMemberDecides)
    }
}

/// Setting `owner` to another project is admin-only.
pub fn can_set_owner(actor: &Actor, owner: Option<&ProjectId>) -> Decision {
    if actor.is_admin() || owner == Some(&actor.project_id) {
        Decision::Allow
    } else {
        Decision::Forbidden(Reason::AdminOnlyOwner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role]) -> Actor {
        Actor::random_with(roles)
    }

    #[test]
    fn only_admins_administer_identity() {
        assert!(can_administer_identity(&actor(&[Role::Admin])).is_allowed());
        for roles in [&[Role::Member][..], &[Role::Reader], &[]] {
            assert!(matches!(
                can_administer_identity(&actor(roles)),
                Decision::Forbidden(_)
            ));
        }
    }

    #[test]
    fn admin_has_every_role() {
        let a = actor(&[Role::Admin]);
        assert!(a.has_role(Role::Member) && a.has_role(Role::Reader) && a.is_admin());
        let m = actor(&[Role::Member]);
        assert!(m.has_role(Role::Reader) && !m.is_admin());
    }

    // --- the image policy matrix: roles x relation to the image x visibility x action ---

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Rel {
        Owner,
        AcceptedMember,
        PendingMember,
        Other,
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Act {
        Show,
        Modify,
        Delete,
        Upload,
        Download,
        Deactivate,
        ShareWithMembers,
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Want {
        Allow,
        Forbidden,
        Hidden,
    }

    fn image_owned_by(owner: &ProjectId, visibility: Visibility) -> Image {
        let mut img = Image::queued(
            crate::domain::ids::ImageId::random(),
            Some(owner.clone()),
            String::new(),
        );
        img.status = ImageStatus::Active;
        img.visibility = visibility;
        img
    }

    /// Glance's default rules (secure RBAC), transcribed from the reference's table: this is the
    /// expectation, written apart from the code under test.
    fn glance_default(role: Role, rel: Rel, vis: Visibility, act: Act) -> Want {
        let admin = role == Role::Admin;
        let member_role = role >= Role::Member;
        let is_member =
            matches!(rel, Rel::AcceptedMember | Rel::PendingMember) && vis == Visibility::Shared;
        let visible = admin
            || rel == Rel::Owner
            || matches!(vis, Visibility::Public | Visibility::Community)
            || is_member;
        if !visible {
            return Want::Hidden;
        }
        let owner_member = admin || (rel == Rel::Owner && member_role);
        match act {
            Act::Show => Want::Allow,
            Act::Modify | Act::Delete | Act::Upload | Act::Deactivate => {
                if owner_member {
                    Want::Allow
                } else {
                    Want::Forbidden
                }
            }
            Act::ShareWithMembers => {
                if owner_member && vis == Visibility::Shared {
                    Want::Allow
                } else {
                    Want::Forbidden
                }
            }
            Act::Download => {
                if member_role {
                    Want::Allow
                } else {
                    Want::Forbidden
                }
            }
        }
    }

    #[test]
    fn image_policy_matrix() {
        let acts = [
            Act::Show,
            Act::Modify,
            Act::Delete,
            Act::Upload,
            Act::Download,
            Act::Deactivate,
            Act::ShareWithMembers,
        ];
        let rels = [
            Rel::Owner,
            Rel::AcceptedMember,
            Rel::PendingMember,
            Rel::Other,
        ];
        let mut cases = 0;
        for role in Role::ALL {
            for rel in rels {
                for vis in Visibility::ALL {
                    for act in acts {
                        let a = actor(&[role]);
                        let owner = if rel == Rel::Owner {
                            a.project_id.clone()
                        } else {
                            ProjectId::random()
                        };
                        let img = image_owned_by(&owner, vis);
                        let membership = match rel {
                            Rel::AcceptedMember if vis == Visibility::Shared => {
                                Membership::Accepted
                            }
                            Rel::PendingMember if vis == Visibility::Shared => Membership::Pending,
                            _ => Membership::None,
                        };
                        let got = match act {
                            Act::Show => can_see(&a, &img, membership),
                            Act::Modify => can_modify(&a, &img, membership),
                            Act::Delete => can_delete(&a, &img, membership),
                            Act::Upload => can_upload(&a, &img, membership),
                            Act::Download => can_download(&a, &img, membership),
                            Act::Deactivate => can_deactivate(&a, &img, membership),
                            Act::ShareWithMembers => can_manage_members(&a, &img, membership),
                        };
                        let got = match got {
                            Decision::Allow => Want::Allow,
                            Decision::Forbidden(_) => Want::Forbidden,
                            Decision::Hidden => Want::Hidden,
                        };
                        assert_eq!(
                            got,
                            glance_default(role, rel, vis, act),
                            "{role} {rel:?} {vis} {act:?}"
                        );
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, 3 * 4 * 4 * 7);
    }

    #[test]
    fn visibility_and_owner_changes() {
        for role in Role::ALL {
            let a = actor(&[role]);
            assert_eq!(
                can_set_visibility(&a, Visibility::Public).is_allowed(),
                role == Role::Admin
            );
            assert_eq!(
                can_set_visibility(&a, Visibility::Community).is_allowed(),
                role >= Role::Member
            );
            assert!(can_set_visibility(&a, Visibility::Private).is_allowed());
            assert!(can_set_owner(&a, Some(&a.project_id)).is_allowed());
            assert_eq!(
                can_set_owner(&a, Some(&ProjectId::random())).is_allowed(),
                role == Role::Admin
            );
            assert_eq!(can_create(&a).is_allowed(), role >= Role::Member);
        }
    }

    #[test]
    fn deactivated_images_download_for_admins_only() {
        for role in Role::ALL {
            let a = actor(&[role]);
            let mut img = image_owned_by(&a.project_id, Visibility::Private);
            img.status = ImageStatus::Deactivated;
            let ok = can_download(&a, &img, Membership::None).is_allowed();
            assert_eq!(ok, role == Role::Admin, "{role}");
        }
    }

    #[test]
    fn only_the_member_sets_its_status() {
        let a = actor(&[Role::Member]);
        assert!(can_set_member_status(&a, &a.project_id).is_allowed());
        assert!(!can_set_member_status(&a, &ProjectId::random()).is_allowed());
        assert!(can_set_member_status(&actor(&[Role::Admin]), &ProjectId::random()).is_allowed());
        assert!(!can_set_member_status(&actor(&[Role::Reader]), &ProjectId::random()).is_allowed());
    }
}
