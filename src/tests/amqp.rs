//! Notifications to a real RabbitMQ (`.ci/with-rabbitmq` starts one), read by a real
//! oslo.messaging notification listener (from PyPI, in the clients' venv) as Ceilometer reads
//! Glance's: the same exchange, topics, priorities, envelope and payloads. Each priority is its
//! own queue, so order holds within a priority, not across them.

use crate::support::{Api, TestApp};
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::path::PathBuf;
use tokio::io::{AsyncBufReadExt, BufReader};

/// The broker `.ci/with-rabbitmq` started.
fn broker() -> String {
    std::env::var("GLIMPSE_TEST_AMQP_URL").expect(
        "GLIMPSE_TEST_AMQP_URL is not set: run under .ci/with-rabbitmq (make test-rust does)",
    )
}

/// An oslo.messaging notification listener on the `glance` exchange's `notifications` topic: it
/// prints READY, then one JSON line per notification, and stops after `want` of them.
const LISTENER: &str = r#"
import json, sys, threading
from oslo_config import cfg
import oslo_messaging
url, want = sys.argv[1], int(sys.argv[2])
transport = oslo_messaging.get_notification_transport(cfg.CONF, url=url)
# One whole line per notification.
seen, done, out = [], threading.Event(), threading.Lock()
class Endpoint:
    def _got(self, priority, publisher_id, event_type, payload):
        line = json.dumps({"priority": priority, "publisher_id": publisher_id,
                           "event_type": event_type, "payload": payload})
        with out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
            seen.append(event_type)
            if len(seen) >= want:
                done.set()
    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self._got("info", publisher_id, event_type, payload)
    def error(self, ctxt, publisher_id, event_type, payload, metadata):
        self._got("error", publisher_id, event_type, payload)
listener = oslo_messaging.get_notification_listener(
    transport, [oslo_messaging.Target(topic="notifications", exchange="glance")], [Endpoint()],
    executor="threading")
# One notification at a time (the option exists once the listener does; the pool starts with it).
cfg.CONF.set_override("executor_thread_pool_size", 1)
listener.start()
print("READY", flush=True)
done.wait(120)
listener.stop()
listener.wait()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oslo_messaging_listener_reads_the_notifications_as_glances() {
    let url = broker();
    // oslo's spelling of the same broker.
    let oslo_url = url.replace("amqp://", "rabbit://").replace("/%2f", "/");
    let app = TestApp::with(|s| s.notification_transport_url = Some(url.clone())).await;
    let venv = std::env::var_os("GLIMPSE_CLIENT_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/venv"));
    let expected = [
        ("info", "image.create"),
        ("info", "image.prepare"),
        ("info", "image.upload"),
        ("info", "image.activate"),
        ("info", "image.send"),
        ("info", "image.create"),
        ("info", "image.prepare"),
        ("error", "image.upload"),
        ("info", "image.delete"),
    ];
    let mut child = tokio::process::Command::new(venv.join("bin/python"))
        .args(["-c", LISTENER, &oslo_url, &expected.len().to_string()])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run the oslo.messaging listener (make venv installs it)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap();
    assert_eq!(
        first.as_deref(),
        Some("READY"),
        "the listener did not start"
    );

    let admin = Api::admin(&app).await;
    let img = admin
        .create(json!({"name": "amqp", "disk_format": "raw", "container_format": "bare"}))
        .await;
    let id = img["id"].as_str().unwrap().to_string();
    let data = vec![5u8; 200_000];
    assert_eq!(
        admin.upload(&id, &data, None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(admin.download(&id, None).await.body.len(), data.len());
    let short = admin
        .create(json!({"name": "short", "disk_format": "raw", "container_format": "bare"}))
        .await;
    let short_id = short["id"].as_str().unwrap();
    let a = admin.upload(short_id, &[1u8; 100], Some("5000")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = admin
        .call(
            axum::http::Method::DELETE,
            &format!("/v2/images/{id}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);

    let read = async {
        let mut got: Vec<Value> = vec![];
        while got.len() < expected.len() {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the listener stopped early");
            got.push(serde_json::from_str(&line).unwrap());
        }
        got
    };
    // A bound, not a timing: the broker delivers in milliseconds.
    let got = tokio::time::timeout(std::time::Duration::from_secs(60), read)
        .await
        .expect("the listener received every notification");
    // In order within each priority (each is its own queue).
    let of = |p: &str| -> Vec<&Value> { got.iter().filter(|n| n["priority"] == p).collect() };
    let (info, error) = (of("info"), of("error"));
    let types = |v: &[&Value]| -> Vec<(String, String)> {
        v.iter()
            .map(|n| {
                (
                    n["priority"].as_str().unwrap().to_string(),
                    n["event_type"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let want = |p: &str| -> Vec<(String, String)> {
        expected
            .iter()
            .filter(|(q, _)| *q == p)
            .map(|(q, t)| (q.to_string(), t.to_string()))
            .collect()
    };
    assert_eq!(types(&info), want("info"));
    assert_eq!(types(&error), want("error"));
    assert!(info[0]["publisher_id"]
        .as_str()
        .unwrap()
        .starts_with("image."));
    assert_eq!(info[0]["payload"]["id"], id.as_str());
    assert_eq!(info[0]["payload"]["name"], "amqp");
    assert_eq!(info[3]["payload"]["status"], "active");
    assert_eq!(info[4]["payload"]["bytes_sent"], 200_000);
    assert!(error[0]["payload"].as_str().unwrap().contains(short_id));
    assert_eq!(info[7]["payload"]["deleted"], true);
    let status = child.wait().await.unwrap();
    assert!(status.success(), "the listener exited with {status}");
}
