//! Notifications to AMQP (RabbitMQ), in oslo.messaging's `messagingv2` format, so existing
//! consumers (Ceilometer's meters, audit pipelines) read Glimpse's events as Glance's: each event
//! is published on the `glance` topic exchange with the routing key `<topic>.<priority>`
//! (`notifications.info`, `notifications.error`), whose queue is declared and bound as
//! oslo.messaging's notifier does. A lost broker is retried with backoff; events emitted while
//! it is down are dropped and counted in the log (the service never waits for the broker).

use crate::server::events::{Events, Notification};
use amqprs::channel::{
    BasicPublishArguments, Channel, ExchangeDeclareArguments, QueueBindArguments,
    QueueDeclareArguments,
};
use amqprs::connection::{Connection, OpenConnectionArguments};
use amqprs::BasicProperties;
use serde_json::json;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Glance's control exchange.
pub const EXCHANGE: &str = "glance";

/// The broker's address as amqprs reads it: oslo's `rabbit://` is `amqp://`, and the default
/// virtual host `/`, spelt `%2f` in AMQP URIs, is an empty path (amqprs does not decode it).
pub fn amqp_url(transport_url: &str) -> String {
    let url = match transport_url.strip_prefix("rabbit://") {
        Some(rest) => format!("amqp://{rest}"),
        None => transport_url.to_string(),
    };
    for default_vhost in ["/%2f", "/%2F"] {
        if let Some(base) = url.strip_suffix(default_vhost) {
            return format!("{base}/");
        }
    }
    url
}

/// The body oslo.messaging publishes for one notification (`messagingv2`).
pub fn envelope(n: &Notification) -> Vec<u8> {
    let message = json!({
        "message_id": n.message_id,
        "publisher_id": n.publisher_id,
        "event_type": n.event_type,
        "priority": n.priority.as_str(),
        "payload": n.payload,
        "timestamp": n.timestamp,
    });
    json!({"oslo.version": "2.0", "oslo.message": message.to_string()})
        .to_string()
        .into_bytes()
}

/// The connection settings, checked when the server starts (the secret is never logged).
pub fn check_url(transport_url: &str) -> anyhow::Result<()> {
    OpenConnectionArguments::try_from(amqp_url(transport_url).as_str())
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("notification_transport_url is not an AMQP URL: {e}"))
}

struct Link {
    _connection: Connection,
    channel: Channel,
}

async fn connect(url: &str, topics: &[String]) -> Result<Link, amqprs::error::Error> {
    let args = OpenConnectionArguments::try_from(url)?;
    let connection = Connection::open(&args).await?;
    let channel = connection.open_channel(None).await?;
    channel
        .exchange_declare(ExchangeDeclareArguments::new(EXCHANGE, "topic"))
        .await?;
    for topic in topics {
        for priority in ["info", "error"] {
            let queue = format!("{topic}.{priority}");
            channel
                .queue_declare(QueueDeclareArguments::new(&queue))
                .await?;
            channel
                .queue_bind(QueueBindArguments::new(&queue, EXCHANGE, &queue))
                .await?;
        }
    }
    Ok(Link {
        _connection: connection,
        channel,
    })
}

/// Publishes every event of `events` to the broker at `transport_url`, on each of `topics`,
/// until the event stream ends.
pub fn spawn(events: &Events, transport_url: &str, topics: Vec<String>) {
    let mut rx = events.subscribe();
    let url = amqp_url(transport_url);
    tokio::spawn(async move {
        let mut link: Option<Link> = None;
        let mut backoff = Duration::from_secs(1);
        let mut dropped = 0u64;
        loop {
            let n = match rx.recv().await {
                Ok(n) => n,
                Err(RecvError::Lagged(k)) => {
                    dropped += k;
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            // Another node's event: that node sends it.
            if n.relayed {
                continue;
            }
            if link.is_none() {
                match connect(&url, &topics).await {
                    Ok(l) => {
                        if dropped > 0 {
                            tracing::warn!(
                                dropped,
                                "notifications dropped while the AMQP broker was away"
                            );
                            dropped = 0;
                        }
                        backoff = Duration::from_secs(1);
                        link = Some(l);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, retry_in = ?backoff, "cannot reach the AMQP broker for notifications");
                        dropped += 1;
                        // Events meanwhile queue in the stream (and are dropped past its backlog).
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(30));
                        continue;
                    }
                }
            }
            let body = envelope(&n);
            let props = BasicProperties::default()
                .with_content_type("application/json")
                .with_content_encoding("utf-8")
                .finish();
            for topic in &topics {
                let key = format!("{topic}.{}", n.priority.as_str().to_lowercase());
                let sent = match &link {
                    Some(l) => {
                        l.channel
                            .basic_publish(
                                props.clone(),
                                body.clone(),
                                BasicPublishArguments::new(EXCHANGE, &key),
                            )
                            .await
                    }
                    None => break,
                };
                if let Err(e) = sent {
                    tracing::warn!(error = %e, event = n.event_type, "a notification could not be published; reconnecting");
                    dropped += 1;
                    link = None;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oslo_and_amqp_spellings_reach_the_default_virtual_host() {
        for url in [
            "rabbit://u:p@mq:5672/",
            "amqp://u:p@mq:5672/%2f",
            "amqp://u:p@mq:5672/%2F",
        ] {
            assert_eq!(amqp_url(url), "amqp://u:p@mq:5672/", "{url}");
        }
        assert_eq!(amqp_url("rabbit://u:p@mq/glance"), "amqp://u:p@mq/glance");
    }
}
