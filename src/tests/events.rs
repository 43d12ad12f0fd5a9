//! Notifications: every image action emits its Glance event once, with Glance's payload;
//! `disabled_notifications` drops a type or a group; the dashboard's live stream (`GET /events`,
//! server-sent events over a real socket) sends each session only events for images it may see.

use crate::support::{Api, TestApp};
use axum::http::{Method, StatusCode};
use glimpse::server::events::{Notification, Priority};
use glimpse::server_fns::auth::Login;
use glimpse::server_fns::images::LiveEvent;
use leptos::server_fn::ServerFn;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::broadcast::Receiver;

/// Every event emitted so far (the actions ran to completion before this is called).
fn drain(rx: &mut Receiver<Arc<Notification>>) -> Vec<Arc<Notification>> {
    let mut out = vec![];
    while let Ok(n) = rx.try_recv() {
        out.push(n);
    }
    out
}

fn types(events: &[Arc<Notification>]) -> Vec<&'static str> {
    events.iter().map(|n| n.event_type).collect()
}

#[tokio::test]
async fn every_action_emits_its_event_once_with_glances_payload() {
    let app = TestApp::new().await;
    let admin = Api::admin(&app).await;
    let member = Api::member(&app, "beta", "bob").await;
    let beta = app
        .backend
        .identity
        .find_project(&glimpse::server::operator(), "beta")
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let mut rx = app.backend.images.events().subscribe();

    let img = admin
        .create(
            json!({"name": "ev", "disk_format": "raw", "container_format": "bare",
                       "visibility": "shared"}),
        )
        .await;
    let id = img["id"].as_str().unwrap().to_string();
    let created = drain(&mut rx);
    assert_eq!(types(&created), ["image.create"]);
    let p = &created[0].payload;
    for key in [
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "min_disk",
        "min_ram",
        "protected",
        "checksum",
        "owner",
        "disk_format",
        "container_format",
        "size",
        "virtual_size",
        "is_public",
        "visibility",
        "properties",
        "tags",
        "deleted",
        "deleted_at",
    ] {
        assert!(p.get(key).is_some(), "image payload lacks {key}: {p}");
    }
    assert_eq!(p["id"], id.as_str());
    assert_eq!(p["status"], "queued");
    assert_eq!(created[0].priority, Priority::Info);
    assert!(created[0].publisher_id.starts_with("image."));

    let a = admin
        .patch(
            &id,
            json!([{"op": "add", "path": "/os_distro", "value": "debian"}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let data = vec![7u8; 300_000];
    assert_eq!(
        admin.upload(&id, &data, None).await.status,
        StatusCode::NO_CONTENT
    );
    let a = admin.download(&id, None).await;
    assert_eq!(a.body.len(), data.len());
    let a = admin.download(&id, Some("bytes=0-99")).await;
    assert_eq!(a.status, StatusCode::PARTIAL_CONTENT);
    let a = admin
        .call(Method::PUT, &format!("/v2/images/{id}/tags/gold"), None)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = admin
        .call(
            Method::POST,
            &format!("/v2/images/{id}/members"),
            Some(json!({"member": beta})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let a = member
        .call(
            Method::PUT,
            &format!("/v2/images/{id}/members/{beta}"),
            Some(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let a = admin
        .call(
            Method::DELETE,
            &format!("/v2/images/{id}/members/{beta}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = admin
        .call(
            Method::POST,
            &format!("/v2/images/{id}/actions/deactivate"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    // A refused action emits nothing.
    let a = member
        .call(Method::DELETE, &format!("/v2/images/{id}"), None)
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = admin
        .call(Method::DELETE, &format!("/v2/images/{id}"), None)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);

    let events = drain(&mut rx);
    assert_eq!(
        types(&events),
        [
            "image.update",
            "image.prepare",
            "image.upload",
            "image.activate",
            "image.send",
            "image.send",
            "image.update",
            "image.member.create",
            "image.member.update",
            "image.member.delete",
            "image.update",
            "image.delete",
        ]
    );
    let by = |t: &str| {
        events
            .iter()
            .filter(|n| n.event_type == t)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by("image.update")[0].payload["properties"]["os_distro"],
        "debian"
    );
    assert_eq!(by("image.prepare")[0].payload["status"], "saving");
    assert_eq!(by("image.activate")[0].payload["size"], 300_000);
    let sends = by("image.send");
    assert_eq!(sends[0].payload["bytes_sent"], 300_000);
    assert_eq!(sends[1].payload["bytes_sent"], 100);
    assert_eq!(sends[0].payload["image_id"], id.as_str());
    assert!(sends[0].payload["receiver_tenant_id"].is_string());
    assert!(sends[0].payload["receiver_user_id"].is_string());
    let member_created = &by("image.member.create")[0].payload;
    assert_eq!(member_created["member_id"], beta.as_str());
    assert_eq!(member_created["status"], "pending");
    assert_eq!(by("image.member.update")[0].payload["status"], "accepted");
    assert_eq!(by("image.member.delete")[0].payload["deleted"], true);
    assert_eq!(by("image.update")[2].payload["status"], "deactivated");
    let deleted = &by("image.delete")[0].payload;
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["status"], "deleted");
}

#[tokio::test]
async fn an_interrupted_upload_is_an_error_event() {
    let app = TestApp::new().await;
    let admin = Api::admin(&app).await;
    let img = admin
        .create(json!({"name": "short", "disk_format": "raw", "container_format": "bare"}))
        .await;
    let id = img["id"].as_str().unwrap();
    let mut rx = app.backend.images.events().subscribe();
    // Declares more than it sends: Glance's 400, the image stays queued.
    let a = admin.upload(id, &[1u8; 1000], Some("5000")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    let events = drain(&mut rx);
    assert_eq!(types(&events), ["image.prepare", "image.upload"]);
    assert_eq!(events[1].priority, Priority::Error);
    assert!(events[1].payload.as_str().unwrap().contains(id));
}

#[tokio::test]
async fn disabled_notifications_drop_a_type_or_a_group() {
    for (disabled, want) in [
        (
            vec!["image.send"],
            vec![
                "image.create",
                "image.prepare",
                "image.upload",
                "image.activate",
            ],
        ),
        (vec!["image"], vec![]),
    ] {
        let app = TestApp::with(|s| {
            s.disabled_notifications = Some(disabled.iter().map(|d| d.to_string()).collect())
        })
        .await;
        let admin = Api::admin(&app).await;
        let mut rx = app.backend.images.events().subscribe();
        let img = admin
            .create(json!({"name": "d", "disk_format": "raw", "container_format": "bare"}))
            .await;
        let id = img["id"].as_str().unwrap();
        admin.upload(id, &[3u8; 1000], None).await;
        admin.download(id, None).await;
        assert_eq!(types(&drain(&mut rx)), want, "{disabled:?}");
    }
}

/// Reads server-sent events from a live response until `until` accepts one; returns the image
/// events seen, in order.
pub(crate) async fn read_until(
    resp: &mut reqwest::Response,
    buf: &mut String,
    until: impl Fn(&LiveEvent) -> bool,
) -> Vec<LiveEvent> {
    let mut seen = vec![];
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut event = "";
            let mut data = String::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event:") {
                    event = e.trim();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push_str(d.trim());
                }
            }
            if event == "image" {
                let e: LiveEvent = serde_json::from_str(&data).unwrap();
                let stop = until(&e);
                seen.push(e);
                if stop {
                    return seen;
                }
            }
        }
        let chunk = resp.chunk().await.unwrap().expect("the stream stays open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_stream_sends_each_session_only_what_it_may_see() {
    let app = TestApp::new().await;
    let base = app.spawn().await;
    let admin = Api::admin(&app).await;
    let ann = Api::member(&app, "alpha", "ann").await;
    Api::member(&app, "beta", "bob").await;
    let client = reqwest::Client::new();
    let mut streams = vec![];
    for user in ["ann", "bob"] {
        let login = app
            .server_fn(
                Login::PATH,
                None,
                &[
                    ("username", user),
                    ("password", "member-password"),
                    ("next", "/"),
                ],
            )
            .await;
        let cookie = login.session_cookie().unwrap();
        let resp = client
            .get(format!("{base}/events"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        streams.push((resp, String::new()));
    }
    let anonymous = client.get(format!("{base}/events")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    // The streams are open: wait until the server holds both subscriptions.
    while app.backend.images.events().subscribers() < 2 {
        tokio::task::yield_now().await;
    }

    // ann's private image, then a public one everybody sees.
    let private = ann
        .create(json!({"name": "ann-private", "visibility": "private"}))
        .await;
    let public = admin
        .create(json!({"name": "for-all", "visibility": "public"}))
        .await;
    let (ann_stream, bob_stream) = streams.split_at_mut(1);
    let (resp, buf) = &mut ann_stream[0];
    let seen = read_until(resp, buf, |e| e.name.as_deref() == Some("for-all")).await;
    let names: Vec<_> = seen.iter().map(|e| e.name.clone().unwrap()).collect();
    assert_eq!(names, ["ann-private", "for-all"]);
    assert_eq!(
        seen[0].image_id.to_string(),
        private["id"].as_str().unwrap()
    );
    let (resp, buf) = &mut bob_stream[0];
    let seen = read_until(resp, buf, |e| e.name.as_deref() == Some("for-all")).await;
    assert_eq!(seen.len(), 1, "bob sees only the public image: {seen:?}");
    assert_eq!(seen[0].image_id.to_string(), public["id"].as_str().unwrap());
    assert_eq!(seen[0].event_type, "image.create");
}

#[tokio::test]
async fn metadefs_changes_emit_glances_metadef_events() {
    let app = TestApp::new().await;
    let admin = Api::admin(&app).await;
    let mut rx = app.backend.images.events().subscribe();
    let ns = "/v2/metadefs/namespaces";
    let calls: Vec<(Method, String, Option<serde_json::Value>, StatusCode)> = vec![
        (
            Method::POST,
            ns.into(),
            Some(json!({"namespace": "EV::One", "display_name": "One"})),
            StatusCode::CREATED,
        ),
        (
            Method::PUT,
            format!("{ns}/EV::One"),
            Some(json!({"namespace": "EV::One", "display_name": "One, renamed"})),
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("{ns}/EV::One/properties"),
            Some(json!({"name": "ev_cores", "title": "Cores", "type": "integer"})),
            StatusCode::CREATED,
        ),
        (
            Method::PUT,
            format!("{ns}/EV::One/properties/ev_cores"),
            Some(json!({"name": "ev_cpus", "title": "CPUs", "type": "integer"})),
            StatusCode::OK,
        ),
        (
            Method::DELETE,
            format!("{ns}/EV::One/properties/ev_cpus"),
            None,
            StatusCode::NO_CONTENT,
        ),
        (
            Method::POST,
            format!("{ns}/EV::One/objects"),
            Some(json!({"name": "CPU", "properties": {}})),
            StatusCode::CREATED,
        ),
        (
            Method::POST,
            format!("{ns}/EV::One/tags/fast"),
            None,
            StatusCode::CREATED,
        ),
        (
            Method::POST,
            format!("{ns}/EV::One/resource_types"),
            Some(json!({"name": "OS::Glance::Image", "prefix": "ev_"})),
            StatusCode::CREATED,
        ),
        (
            Method::DELETE,
            format!("{ns}/EV::One/resource_types/OS::Glance::Image"),
            None,
            StatusCode::NO_CONTENT,
        ),
        (
            Method::DELETE,
            format!("{ns}/EV::One/tags"),
            None,
            StatusCode::NO_CONTENT,
        ),
        (
            Method::DELETE,
            format!("{ns}/EV::One"),
            None,
            StatusCode::NO_CONTENT,
        ),
    ];
    for (method, path, body, want) in calls {
        let a = admin.call(method.clone(), &path, body).await;
        assert_eq!(a.status, want, "{method} {path}: {}", a.text());
    }
    let events = drain(&mut rx);
    assert_eq!(
        types(&events),
        [
            "metadef_namespace.create",
            "metadef_namespace.update",
            "metadef_property.create",
            "metadef_property.update",
            "metadef_property.delete",
            "metadef_object.create",
            "metadef_tag.create",
            "metadef_resource_type.create",
            "metadef_resource_type.delete",
            "metadef_namespace.delete_tags",
            "metadef_namespace.delete",
        ]
    );
    let p = |i: usize| &events[i].payload;
    assert_eq!(p(1)["display_name"], "One, renamed");
    assert_eq!(p(1)["namespace_old"], "EV::One");
    assert_eq!(p(3)["name"], "ev_cpus");
    assert_eq!(p(3)["name_old"], "ev_cores");
    assert_eq!(p(3)["type"], "integer");
    assert_eq!(p(7)["prefix"], "ev_");
    assert_eq!(p(10)["deleted"], true);
    assert!(
        p(0)["created_at"].as_str().unwrap().ends_with('Z'),
        "{}",
        p(0)
    );
    // The dashboard's stream carries image events only: metadefs are admin matters.
    assert!(events.iter().all(|n| n.image().is_none()));
}
