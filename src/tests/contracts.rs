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

/// A fresh migrated database: SQLite in a temp dir, or a new PostgreSQL database when the
/// suite runs against one (`GLIMPSE_TEST_DATABASE_URL`).
async fn pool() -> (tempfile::TempDir, db::Db) {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::database_url(dir.path())
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("contract.db").display()));
    let db = db::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    (dir, db)
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
            true,
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
            true,
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
    // What is shared with the member: newest first, with children and the membership.
    let mut newer = image(&owner);
    newer.created_at = T1.into();
    newer.visibility = Visibility::Shared;
    repo.insert(&newer).await.unwrap();
    repo.insert(&image(&owner)).await.unwrap();
    repo.add_member(&newer.id, &member, T1).await.unwrap();
    let shared = repo.shared_with(&member).await.unwrap();
    let ids: Vec<&ImageId> = shared.iter().map(|(i, _)| &i.id).collect();
    assert_eq!(ids, [&newer.id, &img.id]);
    assert_eq!(shared[0].0, newer);
    assert_eq!(
        (shared[0].1.status.as_str(), shared[1].1.status.as_str()),
        ("pending", "accepted")
    );
    assert_eq!(shared[1].1.member_id, member);
    assert!(repo.shared_with(&owner).await.unwrap().is_empty());
    assert_eq!(repo.pending_shares(&member).await.unwrap(), 1);
    repo.remove_member(&newer.id, &member).await.unwrap();
    assert!(repo.remove_member(&img.id, &member).await.unwrap());
    assert!(!repo.remove_member(&img.id, &member).await.unwrap());
    let (bytes, count, uploading) = repo.usage(&owner).await.unwrap();
    assert_eq!((bytes, count, uploading), (0, 3, 0));
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

/// PostgreSQL plans every statement with its values: a cached generic plan guesses how many
/// names match a search and, at 100k images, walked the date index past every row.
#[tokio::test]
async fn postgres_plans_each_query_with_its_values() {
    let (_d, db) = pool().await;
    if let db::Db::Postgres(pg) = &db {
        for _ in 0..3 {
            let mode: String = sqlx::query_scalar("SHOW plan_cache_mode")
                .fetch_one(pg)
                .await
                .unwrap();
            assert_eq!(mode, "force_custom_plan");
        }
    }
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
    // A token check's two queries: the token with its user, the project with the user's roles.
    let (scoped, roles) = repo
        .project_with_roles(&p.id, &u.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (scoped.id.clone(), roles),
        (p.id.clone(), vec![Role::Member])
    );
    let (_, none) = repo
        .project_with_roles(&p.id, &UserId::random())
        .await
        .unwrap()
        .unwrap();
    assert!(none.is_empty());
    assert!(repo
        .project_with_roles(&ProjectId::random(), &u.id)
        .await
        .unwrap()
        .is_none());
    let token = glimpse::server::identity::repo::TokenRow {
        user_id: u.id.clone(),
        project_id: Some(p.id.clone()),
        methods: vec!["password".into()],
        audit_id: "audit".into(),
        issued_at: T0.into(),
        expires_at: T2.into(),
    };
    repo.insert_token("hash-1", &token, T0).await.unwrap();
    let (found, owner) = repo.token_with_user("hash-1", T1).await.unwrap().unwrap();
    assert_eq!(
        (found.project_id, owner.name),
        (Some(p.id.clone()), u.name.clone())
    );
    assert!(
        repo.token_with_user("hash-1", T2).await.unwrap().is_none(),
        "expired"
    );
    assert!(repo.token_with_user("other", T1).await.unwrap().is_none());
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
    assert_eq!(row.ns.visibility.as_str(), "public");
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

/// The two dialects' migrations: the same version numbers, and, migrated, the same tables,
/// columns (with nullability) and indexes. The schema half needs PostgreSQL (`make
/// test-postgres` runs it); the versions half runs everywhere.
#[tokio::test]
async fn both_dialects_migrate_to_the_same_schema() {
    let versions = |dialect: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(format!("migrations/{dialect}"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(versions("sqlite"), versions("postgres"));
    assert!(versions("sqlite").len() >= 7);

    let (_d, db) = pool().await;
    let db::Db::Postgres(pg) = &db else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lite = db::Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display()))
        .await
        .unwrap();
    lite.migrate().await.unwrap();
    let db::Db::Sqlite(lite) = &lite else {
        unreachable!()
    };
    // (table, column, nullable)
    let mut lite_cols: Vec<(String, String, bool)> = sqlx::query_as::<_, (String, String, bool, i64)>(
        "SELECT m.name, p.name, p.\"notnull\", p.pk FROM sqlite_master m, pragma_table_info(m.name) p
          WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name NOT LIKE '\\_%' ESCAPE '\\'
            AND m.name NOT LIKE 'images_name_search%'",
    )
    .fetch_all(lite)
    .await
    .unwrap()
    .into_iter()
    .map(|(t, c, notnull, pk)| (t, c, !notnull && pk == 0))
    .collect();
    let mut pg_cols: Vec<(String, String, bool)> = sqlx::query_as::<_, (String, String, String)>(
        "SELECT table_name::text, column_name::text, is_nullable::text FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%'",
    )
    .fetch_all(pg)
    .await
    .unwrap()
    .into_iter()
    .map(|(t, c, n)| (t, c, n == "YES"))
    .collect();
    lite_cols.sort();
    pg_cols.sort();
    assert!(lite_cols.len() >= 90, "{lite_cols:?}");
    assert_eq!(lite_cols, pg_cols);

    // Indexes by name; the name search is an FTS5 table in SQLite and a GIN index in PostgreSQL.
    let mut lite_idx: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE (type = 'index' AND name NOT LIKE 'sqlite_autoindex%')
            OR (type = 'table' AND name = 'images_name_search')",
    )
    .fetch_all(lite)
    .await
    .unwrap();
    let mut pg_idx: Vec<(String,)> = sqlx::query_as(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
            AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'",
    )
    .fetch_all(pg)
    .await
    .unwrap();
    lite_idx.sort();
    pg_idx.sort();
    assert!(lite_idx.len() >= 12, "{lite_idx:?}");
    assert_eq!(lite_idx, pg_idx);
}

/// Login failures count atomically per key, lock at the threshold, and start again once stale.
#[tokio::test]
async fn identity_repo_counts_login_failures() {
    let (_d, db) = pool().await;
    let repo = IdentityRepo::new(db);
    let key = "user:alice";
    let (lockout, stale_before) = (60_000, |now: i64| now - 60_000);
    let mut now = 1_000_000;
    for n in 1..=2 {
        let got = repo
            .record_login_failure(key, now, stale_before(now), (3, now + lockout))
            .await
            .unwrap();
        assert_eq!(got, n);
    }
    let recs = repo
        .login_failures(&[key.into(), "addr:x".into()])
        .await
        .unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!((recs[0].failures, recs[0].locked_until_ms), (2, None));
    repo.record_login_failure(key, now, stale_before(now), (3, now + lockout))
        .await
        .unwrap();
    let recs = repo.login_failures(&[key.into()]).await.unwrap();
    assert_eq!(recs[0].locked_until_ms, Some(now + lockout));
    // After the lock ends, the next failure starts a new count and no lock.
    now += lockout + 1;
    let got = repo
        .record_login_failure(key, now, stale_before(now), (3, now + lockout))
        .await
        .unwrap();
    assert_eq!(got, 1);
    let recs = repo.login_failures(&[key.into()]).await.unwrap();
    assert_eq!(recs[0].locked_until_ms, None);
    repo.clear_login_failures(key).await.unwrap();
    assert!(repo.login_failures(&[key.into()]).await.unwrap().is_empty());
}

/// A claim is held by one node at a time: renewable by its holder, free once released or once
/// its lease has run out; `exclusively` never lets two nodes' work overlap.
#[tokio::test]
async fn claims_are_held_by_one_node_at_a_time() {
    use glimpse::server::claims::Claims;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;
    let (_d, db) = pool().await;
    let (a, b) = (Claims::new(db.clone(), "node-a"), Claims::new(db, "node-b"));
    let lease = Duration::from_secs(60);
    assert!(a.try_claim_at("sweep", 1_000, lease).await.unwrap());
    assert!(!b.try_claim_at("sweep", 2_000, lease).await.unwrap());
    assert!(a.try_claim_at("sweep", 3_000, lease).await.unwrap());
    assert!(!b.try_claim_at("sweep", 62_000, lease).await.unwrap());
    // A's renewed lease ran out: B takes it, and A's release does not undo that.
    assert!(b.try_claim_at("sweep", 63_001, lease).await.unwrap());
    a.release("sweep").await.unwrap();
    assert!(!a.try_claim_at("sweep", 64_000, lease).await.unwrap());
    b.release("sweep").await.unwrap();
    assert!(a.try_claim_at("sweep", 64_000, lease).await.unwrap());
    a.release("sweep").await.unwrap();
    // Other names are independent.
    assert!(b.try_claim_at("other", 64_000, lease).await.unwrap());

    let busy = AtomicBool::new(false);
    let runs = AtomicUsize::new(0);
    let work = |c: &Claims| {
        let (busy, runs, c) = (&busy, &runs, c.clone());
        async move {
            for _ in 0..5 {
                c.exclusively("seed", lease, async {
                    assert!(!busy.swap(true, Ordering::SeqCst), "two holders at once");
                    for _ in 0..20 {
                        tokio::task::yield_now().await;
                    }
                    busy.store(false, Ordering::SeqCst);
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, sqlx::Error>(())
                })
                .await
                .unwrap();
            }
        }
    };
    tokio::join!(work(&a), work(&b));
    assert_eq!(runs.load(Ordering::SeqCst), 10);
}

fn task(id: &str, image: &ImageId, at: &str) -> glimpse::domain::task::Task {
    glimpse::domain::task::Task {
        id: id.into(),
        kind: "api_image_import".into(),
        status: glimpse::domain::task::TaskStatus::Pending,
        input: json!({"import_req": {"method": {"name": "copy-image"}}}),
        result: None,
        message: String::new(),
        owner: "p".into(),
        user_id: "u".into(),
        request_id: String::new(),
        image_id: Some(image.to_string()),
        created_at: at.into(),
        updated_at: at.into(),
        expires_at: None,
    }
}

#[tokio::test]
async fn import_tasks_lock_their_image_are_claimed_once_and_stale_locks_are_broken() {
    use glimpse::domain::task::{TaskStatus, IMPORT_LOCK};
    use glimpse::server::images::repo::{Begun, Staleness};
    let (_d, pool) = pool().await;
    let repo = ImageRepo::new(pool);
    let mut img = image(&ProjectId::random());
    img.status = ImageStatus::Active;
    repo.insert(&img).await.unwrap();
    let active = (ImageStatus::Active, ImageStatus::Active);
    let fresh = Staleness {
        processing_before: T0,
        pending_before: T0,
        broken_expires_at: T0,
    };
    let a = task("00000000-0000-4000-8000-00000000000a", &img.id, T1);
    assert_eq!(
        repo.begin_import(&img.id, active, &a, fresh).await.unwrap(),
        Begun::Started
    );
    let held = repo.get(&img.id).await.unwrap().unwrap();
    assert_eq!(held.properties.get(IMPORT_LOCK), Some(&a.id));
    // A second import while the first is live is refused; a wrong status changes nothing.
    let b = task("00000000-0000-4000-8000-00000000000b", &img.id, T2);
    assert_eq!(
        repo.begin_import(&img.id, active, &b, fresh).await.unwrap(),
        Begun::Locked(a.id.clone())
    );
    let queued = (ImageStatus::Queued, ImageStatus::Importing);
    let c = task("00000000-0000-4000-8000-00000000000c", &img.id, T2);
    assert_eq!(
        repo.begin_import(
            &img.id,
            queued,
            &c,
            Staleness {
                processing_before: T2,
                pending_before: T2,
                broken_expires_at: T2,
            }
        )
        .await
        .unwrap(),
        Begun::StatusChanged
    );

    // One node claims it; no other node can while the lease holds; after it, another can.
    let claimed = repo.claim_task("node-1", T2, T1).await.unwrap().unwrap();
    assert_eq!(
        (claimed.id.as_str(), claimed.status),
        (a.id.as_str(), TaskStatus::Processing)
    );
    assert!(repo.claim_task("node-2", T2, T1).await.unwrap().is_none());
    assert!(repo.renew_task(&claimed, "node-1", T2, T1).await.unwrap());
    assert!(!repo.renew_task(&claimed, "node-2", T2, T1).await.unwrap());
    let later = "2026-01-01T00:03:00.000000Z";
    let taken = repo
        .claim_task("node-2", "2026-01-01T00:04:00.000000Z", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.id, a.id);
    // The first node can no longer end it; the second can, and the lock goes with it.
    assert!(!repo
        .end_task(
            &claimed,
            "node-1",
            TaskStatus::Success,
            "",
            None,
            &[],
            later,
            later
        )
        .await
        .unwrap());

    // A lock whose task has not moved since the staleness time is broken by a newer import,
    // and its task fails.
    let stale = Staleness {
        processing_before: "2026-01-01T01:00:00.000000Z",
        pending_before: "2026-01-01T01:00:00.000000Z",
        broken_expires_at: "2026-01-03T00:00:00.000000Z",
    };
    assert_eq!(
        repo.begin_import(&img.id, active, &b, stale).await.unwrap(),
        Begun::Started
    );
    let broken = repo.task(&a.id).await.unwrap().unwrap();
    assert_eq!(broken.status, TaskStatus::Failure);
    assert!(broken.message.contains("stale"), "{}", broken.message);
    let held = repo.get(&img.id).await.unwrap().unwrap();
    assert_eq!(held.properties.get(IMPORT_LOCK), Some(&b.id));
    assert!(
        !repo
            .end_task(
                &taken,
                "node-2",
                TaskStatus::Success,
                "",
                None,
                &[],
                later,
                later
            )
            .await
            .unwrap(),
        "a broken task cannot end as a success"
    );
    assert_eq!(repo.image_tasks(&img.id).await.unwrap().len(), 2);

    // Ended tasks past their expiry go; the others stay.
    let runner = repo
        .claim_task("node-3", "2026-01-01T02:00:00.000000Z", later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(runner.id, b.id);
    assert!(repo
        .end_task(
            &runner,
            "node-3",
            TaskStatus::Success,
            "",
            None,
            &[],
            later,
            "2026-01-03T00:00:00.000000Z"
        )
        .await
        .unwrap());
    assert_eq!(
        repo.purge_expired_tasks("2026-01-02T00:00:00.000000Z")
            .await
            .unwrap(),
        0
    );
    // Both ended tasks expire on 2026-01-03, the one whose lock was broken too.
    assert_eq!(
        repo.purge_expired_tasks("2026-01-04T00:00:00.000000Z")
            .await
            .unwrap(),
        2
    );
    assert!(repo.task(&b.id).await.unwrap().is_none());
    assert!(repo.task(&a.id).await.unwrap().is_none());
}
