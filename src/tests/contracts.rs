//! Repository contracts: what each repository promises its service, checked against the
//! repository alone on a fresh migrated database. The tests only use the repositories' public
//! methods, so a second database backend (PostgreSQL) runs the same contracts.

use glimpse::domain::identity::{Project, Role, User};
use glimpse::domain::ids::{ImageId, ProjectId, UserId};
use glimpse::domain::image::{Image, ImageStatus, Visibility};
use glimpse::domain::metadefs::NamespaceFile;
use glimpse::server::db;
use glimpse::server::identity::repo::IdentityRepo;
use glimpse::server::identity::IdentityError;
use glimpse::server::images::repo::{ImageRepo, UploadResult};
use glimpse::server::images::ImageError;
use glimpse::server::metadefs::{Kind, MetadefError, MetadefRepo};
use serde_json::json;
use sqlx::SqlitePool;

async fn pool() -> (tempfile::TempDir, SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("contract.db").display());
    let pool = db::connect(&url).await.unwrap();
    db::migrate(&pool).await.unwrap();
    (dir, pool)
}

const T0: &str = "2026-01-01T00:00:00.000000Z";
const T1: &str = "2026-01-01T00:01:00.000000Z";
const T2: &str = "2026-01-01T00:02:00.000000Z";

fn image(owner: &ProjectId) -> Image {
    let mut img = Image::queued(ImageId::random(), Some(owner.clone()), T0.into());
    img.name = Some("contract".into());
    img.disk_format = Some("raw".into());
    img.container_format = Some("bare".into());
    img.tags = vec!["a".into(), "b".into()];
    img.properties.insert("os_distro".into(), "cirros".into());
    img
}

#[tokio::test]
async fn image_repo_keeps_images_and_their_children() {
    let (_d, pool) = pool().await;
    let repo = ImageRepo::new(pool);
    let owner = ProjectId::random();
    let img = image(&owner);
    repo.insert(&img).await.unwrap();
    assert!(repo.id_taken(&img.id).await.unwrap());
    assert_eq!(repo.get(&img.id).await.unwrap().unwrap(), img);
    // The same id again is a conflict, not a database error.
    assert!(matches!(
        repo.insert(&img).await,
        Err(ImageError::Conflict(_))
    ));
    let mut changed = img.clone();
    changed.name = Some("renamed".into());
    changed.visibility = Visibility::Private;
    changed.tags = vec!["c".into()];
    changed.properties.clear();
    repo.save(&changed).await.unwrap();
    assert_eq!(repo.get(&img.id).await.unwrap().unwrap(), changed);
    // Status changes are conditional on the status they start from.
    assert!(!repo
        .set_status(&img.id, ImageStatus::Active, ImageStatus::Deactivated, T1)
        .await
        .unwrap());
    assert!(repo
        .set_status(&img.id, ImageStatus::Queued, ImageStatus::Importing, T1)
        .await
        .unwrap());
}

#[tokio::test]
async fn image_repo_uploads_are_leased_to_one_node() {
    let (_d, pool) = pool().await;
    let repo = ImageRepo::new(pool);
    let owner = ProjectId::random();
    let (a, b) = (image(&owner), image(&owner));
    for img in [&a, &b] {
        repo.insert(img).await.unwrap();
    }
    let saving = (ImageStatus::Queued, ImageStatus::Saving);
    assert!(repo
        .begin_upload(&a.id, saving, "node-1", T2, T0)
        .await
        .unwrap());
    // A second upload of the same image cannot begin: it is no longer queued.
    assert!(!repo
        .begin_upload(&a.id, saving, "node-2", T2, T0)
        .await
        .unwrap());
    assert!(repo
        .begin_upload(&b.id, saving, "node-2", T1, T0)
        .await
        .unwrap());
    // Only the lease's node renews it.
    assert!(repo.renew_lease(&a.id, "node-1", T2).await.unwrap());
    assert!(!repo.renew_lease(&a.id, "node-2", T2).await.unwrap());
    assert_eq!(repo.live_uploads(T0).await.unwrap().len(), 2);

    // At a time when b's lease is stale and a's is not, another node takes back b only.
    let back = repo
        .requeue_abandoned(
            (ImageStatus::Saving, ImageStatus::Queued),
            None,
            "2026-01-01T00:01:30.000000Z",
        )
        .await
        .unwrap();
    assert_eq!(back, vec![b.id.clone()]);
    assert_eq!(
        repo.get(&b.id).await.unwrap().unwrap().status,
        ImageStatus::Queued
    );
    assert_eq!(
        repo.get(&a.id).await.unwrap().unwrap().status,
        ImageStatus::Saving
    );
    // node-1 restarting takes back its own, even with a fresh lease.
    let mine = repo
        .requeue_abandoned(
            (ImageStatus::Saving, ImageStatus::Queued),
            Some("node-1"),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(mine, vec![a.id.clone()]);

    // A finished upload records its data and its location; another node cannot finish it.
    assert!(repo
        .begin_upload(&a.id, saving, "node-1", T2, T1)
        .await
        .unwrap());
    let done = UploadResult {
        size: 5,
        checksum: "c".into(),
        os_hash_value: "h".into(),
        virtual_size: Some(5),
    };
    let stored = (ImageStatus::Saving, ImageStatus::Active);
    assert!(!repo
        .finish_upload(&a.id, stored, "node-2", &done, "file", a.id.as_str(), T1)
        .await
        .unwrap());
    assert!(repo
        .finish_upload(&a.id, stored, "node-1", &done, "file", a.id.as_str(), T1)
        .await
        .unwrap());
    let got = repo.get(&a.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.size, got.virtual_size),
        (ImageStatus::Active, Some(5), Some(5))
    );
    assert_eq!(
        repo.locations(&a.id).await.unwrap(),
        vec![("file".to_string(), a.id.to_string())]
    );
    assert!(repo.live_uploads(T0).await.unwrap().is_empty());

    // A failed upload goes back with no data, only for the node that holds it.
    assert!(repo
        .begin_upload(&b.id, saving, "node-2", T2, T1)
        .await
        .unwrap());
    let failed = (ImageStatus::Saving, ImageStatus::Queued);
    repo.fail_upload(&b.id, failed, "node-1", T1).await.unwrap();
    assert_eq!(
        repo.get(&b.id).await.unwrap().unwrap().status,
        ImageStatus::Saving
    );
    repo.fail_upload(&b.id, failed, "node-2", T1).await.unwrap();
    let got = repo.get(&b.id).await.unwrap().unwrap();
    assert_eq!((got.status, got.size), (ImageStatus::Queued, None));

    // Soft delete keeps the row (ids are never reused) and drops locations and children.
    repo.soft_delete(&a.id, ImageStatus::Deleted, T2)
        .await
        .unwrap();
    assert!(repo.id_taken(&a.id).await.unwrap());
    assert!(repo.locations(&a.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn image_repo_members_and_usage() {
    let (_d, pool) = pool().await;
    let repo = ImageRepo::new(pool);
    let (owner, member) = (ProjectId::random(), ProjectId::random());
    let img = image(&owner);
    repo.insert(&img).await.unwrap();
    repo.add_member(&img.id, &member, T0).await.unwrap();
    assert!(matches!(
        repo.add_member(&img.id, &member, T0).await,
        Err(ImageError::Conflict(_))
    ));
    assert!(repo
        .set_member_status(&img.id, &member, "accepted", T1)
        .await
        .unwrap());
    let members = repo.members(&img.id, None).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].status, "accepted");
    assert_eq!(repo.pending_shares(&member).await.unwrap(), 0);
    assert!(repo.remove_member(&img.id, &member).await.unwrap());
    assert!(!repo.remove_member(&img.id, &member).await.unwrap());
    let (bytes, count, uploading) = repo.usage(&owner).await.unwrap();
    assert_eq!((bytes, count, uploading), (0, 1, 0));
}

#[tokio::test]
async fn image_repo_counts_up_to_a_cap() {
    use glimpse::server::images::query::ListQuery;
    let (_d, pool) = pool().await;
    let repo = ImageRepo::new(pool);
    let owner = ProjectId::random();
    for _ in 0..4 {
        repo.insert(&image(&owner)).await.unwrap();
    }
    let q = ListQuery::default();
    assert_eq!(repo.count(&owner, false, &q, 10).await.unwrap(), 4);
    // Past the cap the count stops at cap + 1: "more than 2".
    assert_eq!(repo.count(&owner, false, &q, 2).await.unwrap(), 3);
    assert_eq!(
        repo.count(&ProjectId::random(), false, &q, 10)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn identity_repo_projects_users_roles_and_conflicts() {
    let (_d, pool) = pool().await;
    let repo = IdentityRepo::new(pool);
    let p = Project {
        id: ProjectId::random(),
        name: "contract".into(),
        description: String::new(),
        enabled: true,
        created_at: T0.into(),
    };
    repo.insert_project(&p).await.unwrap();
    let dup = Project {
        id: ProjectId::random(),
        ..p.clone()
    };
    assert!(matches!(
        repo.insert_project(&dup).await,
        Err(IdentityError::Conflict(_))
    ));
    assert_eq!(repo.project_by_name("contract").await.unwrap().unwrap(), p);
    assert_eq!(
        repo.projects_by_ids(&[p.id.clone(), ProjectId::random()])
            .await
            .unwrap(),
        vec![p.clone()]
    );
    let u = User {
        id: UserId::random(),
        name: "carol".into(),
        enabled: true,
        default_project_id: Some(p.id.clone()),
        email: None,
        description: String::new(),
        created_at: T0.into(),
    };
    repo.insert_user(&u, "hash").await.unwrap();
    let dup = User {
        id: UserId::random(),
        ..u.clone()
    };
    assert!(matches!(
        repo.insert_user(&dup, "h").await,
        Err(IdentityError::Conflict(_))
    ));
    assert_eq!(
        repo.user_with_hash("carol").await.unwrap().unwrap().1,
        "hash"
    );
    repo.assign(&u.id, &p.id, Role::Member).await.unwrap();
    let held = repo.roles_on(&u.id, &p.id).await.unwrap();
    assert!(held.contains(&Role::Member) && !held.contains(&Role::Admin));
    assert_eq!(
        repo.assignments(Some(&u.id), None, None)
            .await
            .unwrap()
            .len(),
        1
    );
    repo.unassign(&u.id, &p.id, Role::Member).await.unwrap();
    assert!(repo
        .assignments(Some(&u.id), None, None)
        .await
        .unwrap()
        .is_empty());
    assert!(repo.delete_user(&u.id).await.unwrap());
    assert!(repo.delete_project(&p.id).await.unwrap());
}

#[tokio::test]
async fn metadef_repo_stores_whole_namespaces() {
    let (_d, pool) = pool().await;
    let repo = MetadefRepo::new(pool);
    let doc: NamespaceFile = serde_json::from_value(json!({
        "namespace": "Contract::Ns", "visibility": "public",
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "c_"}],
        "properties": {"p": {"title": "P", "type": "string"}},
        "objects": [{"name": "O", "properties": {"q": {"title": "Q", "type": "integer"}}}],
        "tags": [{"name": "t"}]
    }))
    .unwrap();
    repo.store(&doc, false, T0).await.unwrap();
    assert!(matches!(
        repo.store(&doc, false, T0).await,
        Err(MetadefError::Conflict(_))
    ));
    let row = repo.namespace("Contract::Ns").await.unwrap().unwrap();
    assert_eq!(row.ns.visibility, "public");
    assert_eq!(
        repo.items("Contract::Ns", Kind::Property)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        repo.items("Contract::Ns", Kind::Object).await.unwrap()[0].name,
        "O"
    );
    assert_eq!(
        repo.associations("Contract::Ns").await.unwrap()[0]
            .assoc
            .prefix
            .as_deref(),
        Some("c_")
    );
    assert_eq!(repo.all_associations().await.unwrap().len(), 1);
    assert!(matches!(
        repo.create_item("Contract::Ns", Kind::Tag, "t", &json!({}), T1)
            .await,
        Err(MetadefError::Conflict(_))
    ));
    repo.set_tags("Contract::Ns", &["u".into()], true, T1)
        .await
        .unwrap();
    assert_eq!(
        repo.items("Contract::Ns", Kind::Tag).await.unwrap().len(),
        2
    );
    repo.set_tags("Contract::Ns", &["v".into()], false, T1)
        .await
        .unwrap();
    assert_eq!(
        repo.items("Contract::Ns", Kind::Tag).await.unwrap()[0].name,
        "v"
    );
    // Replacing keeps one namespace; deleting removes what it holds.
    repo.store(&doc, true, T1).await.unwrap();
    assert_eq!(repo.namespaces("namespace", false).await.unwrap().len(), 1);
    repo.delete_namespace("Contract::Ns").await.unwrap();
    assert!(repo
        .items("Contract::Ns", Kind::Property)
        .await
        .unwrap()
        .is_empty());
    assert!(!repo
        .dissociate("Contract::Ns", "OS::Glance::Image")
        .await
        .unwrap());
}
