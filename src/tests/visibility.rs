//! The image list's SQL visibility filter against the domain policy: a generated set of images
//! (every visibility, four owner projects, memberships in every status) listed by every caller
//! with every visibility and member_status filter. Each answer must equal Glance's list rules
//! (written here independently), never show an image `domain::policy::can_see` hides, and, with
//! `visibility=all&member_status=all`, be exactly what `can_see` allows.

use crate::support::{Api, TestApp};
use axum::http::{Method, StatusCode};
use glimpse::domain::identity::{Role, RoleSet};
use glimpse::domain::ids::{ImageId, ProjectId, UserId};
use glimpse::domain::image::{Image, Visibility};
use glimpse::domain::policy::{can_see, Actor, Decision, Membership};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

struct Img {
    id: String,
    owner: usize,
    visibility: Visibility,
    /// Member project index -> status.
    members: BTreeMap<usize, &'static str>,
}

/// Glance's list rules for a non-admin of project `me` (or an admin), written from its reference.
fn expected(img: &Img, me: usize, admin: bool, vis: Option<&str>, ms: &str) -> bool {
    let owned = img.owner == me;
    let member_ok = img
        .members
        .get(&me)
        .is_some_and(|s| ms == "all" || *s == ms);
    let v = img.visibility.as_str();
    if admin {
        return match vis {
            None => v != "community" || owned,
            Some("all") => true,
            Some(x) => v == x,
        };
    }
    match vis {
        None => owned || v == "public" || (v == "shared" && member_ok),
        Some("all") => owned || v == "public" || v == "community" || (v == "shared" && member_ok),
        Some("public") => v == "public",
        Some("community") => v == "community",
        Some("private") => v == "private" && owned,
        Some("shared") => v == "shared" && (owned || member_ok),
        Some(_) => unreachable!(),
    }
}

#[tokio::test]
async fn the_sql_list_filter_agrees_with_the_domain_policy() {
    let app = TestApp::new().await;
    let admin = Api::admin(&app).await;
    let mut users = Vec::new();
    let mut projects = Vec::new();
    for p in 0..4 {
        let api = Api::member(&app, &format!("vis-p{p}"), &format!("vis-u{p}")).await;
        let probe = api.create(json!({"name": "probe"})).await;
        projects.push(ProjectId::parse(probe["owner"].as_str().unwrap()).unwrap());
        let a = api
            .call(
                Method::DELETE,
                &format!("/v2/images/{}", probe["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::NO_CONTENT);
        users.push(api);
    }
    // A small deterministic generator: every (owner, visibility) pair, memberships varied.
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let statuses = ["pending", "accepted", "rejected"];
    let mut images = Vec::new();
    for i in 0..48 {
        let owner = i % 4;
        let visibility = Visibility::ALL[(i / 4) % 4];
        let created = admin
            .create(
                json!({"name": format!("vis-{i}"), "owner": projects[owner].as_str(),
                           "visibility": visibility.as_str()}),
            )
            .await;
        let id = created["id"].as_str().unwrap().to_string();
        let mut members = BTreeMap::new();
        if visibility == Visibility::Shared {
            for m in (0..4).filter(|m| *m != owner) {
                if next(3) == 0 {
                    continue;
                }
                let a = users[owner]
                    .call(
                        Method::POST,
                        &format!("/v2/images/{id}/members"),
                        Some(json!({"member": projects[m].as_str()})),
                    )
                    .await;
                assert_eq!(a.status, StatusCode::OK, "{}", a.text());
                let status = statuses[next(3) as usize];
                if status != "pending" {
                    let a = users[m]
                        .call(
                            Method::PUT,
                            &format!("/v2/images/{id}/members/{}", projects[m]),
                            Some(json!({"status": status})),
                        )
                        .await;
                    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
                }
                members.insert(m, status);
            }
        }
        images.push(Img {
            id,
            owner,
            visibility,
            members,
        });
    }
    assert!(images
        .iter()
        .any(|i| i.members.values().any(|s| *s == "pending")));
    assert!(images
        .iter()
        .any(|i| i.members.values().any(|s| *s == "rejected")));

    let admin_project = ProjectId::parse(
        admin.create(json!({"name": "admin-probe"})).await["owner"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let mine: BTreeSet<&str> = images.iter().map(|i| i.id.as_str()).collect();
    let callers: Vec<(&Api, Option<usize>, bool)> = users
        .iter()
        .enumerate()
        .map(|(p, u)| (u, Some(p), false))
        .chain(std::iter::once((&admin, None, true)))
        .collect();
    let mut checked = 0;
    for (api, me, is_admin) in callers {
        let actor = Actor {
            user_id: UserId::random(),
            user_name: "caller".into(),
            project_id: me
                .map(|p| projects[p].clone())
                .unwrap_or_else(|| admin_project.clone()),
            project_name: "p".into(),
            roles: RoleSet::effective([if is_admin { Role::Admin } else { Role::Member }]),
        };
        for vis in [
            None,
            Some("all"),
            Some("public"),
            Some("community"),
            Some("shared"),
            Some("private"),
        ] {
            for ms in ["accepted", "pending", "rejected", "all"] {
                let mut q = format!("/v2/images?limit=1000&member_status={ms}");
                if let Some(v) = vis {
                    q.push_str(&format!("&visibility={v}"));
                }
                let a = api.call(Method::GET, &q, None).await;
                assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.text());
                let listed: BTreeSet<String> = a.json()["images"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i["id"].as_str().unwrap().to_string())
                    .filter(|id| mine.contains(id.as_str()))
                    .collect();
                let me_idx = me.unwrap_or(usize::MAX);
                let want: BTreeSet<String> = images
                    .iter()
                    .filter(|i| expected(i, me_idx, is_admin, vis, ms))
                    .map(|i| i.id.clone())
                    .collect();
                assert_eq!(listed, want, "caller {me:?} admin={is_admin} {q}");
                let allowed: BTreeSet<String> = images
                    .iter()
                    .filter(|i| {
                        let mut img = Image::queued(
                            ImageId::parse(&i.id).unwrap(),
                            Some(projects[i.owner].clone()),
                            String::new(),
                        );
                        img.visibility = i.visibility;
                        let m = match me.and_then(|p| i.members.get(&p)) {
                            Some(&"pending") => Membership::Pending,
                            Some(&"accepted") => Membership::Accepted,
                            Some(_) => Membership::Rejected,
                            None => Membership::None,
                        };
                        can_see(&actor, &img, m) == Decision::Allow
                    })
                    .map(|i| i.id.clone())
                    .collect();
                assert!(
                    listed.is_subset(&allowed),
                    "listed what the policy hides: {q}"
                );
                if vis == Some("all") && ms == "all" {
                    assert_eq!(listed, allowed, "caller {me:?}: {q}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 5 * 6 * 4);
}
