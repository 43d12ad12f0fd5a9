//! The dashboard's live updates: `GET /events`, a server-sent event stream of the image events
//! the session's caller may see (the same decision as showing the image), so tables and details
//! change without polling. `image.send` (downloads, for billing) is not sent to browsers. A
//! subscriber that falls behind gets a `lagged` event and reloads what it shows; the session is
//! checked again every 30 seconds, so a logout or a lost role ends the stream.

use crate::server::events::Notification;
use crate::server::identity::principal::actor_from_session;
use crate::server::state::Services;
use crate::server_fns::images::LiveEvent;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::Session;

const RECHECK: Duration = Duration::from_secs(30);

/// What a browser is told of one notification (image events only).
fn live_event(n: &Notification) -> Option<LiveEvent> {
    let img = n.image()?;
    Some(LiveEvent {
        event_type: n.event_type.to_string(),
        image_id: img.id.clone(),
        name: img.name.clone(),
        status: img.status,
        member: n
            .payload
            .get("member_id")
            .and_then(|m| m.as_str())
            .map(str::to_string),
    })
}

/// `GET /events` (dashboard session only).
pub async fn events(Extension(services): Extension<Services>, session: Session) -> Response {
    let actor = match actor_from_session(&services.identity, &session).await {
        Ok(Some(a)) => a,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => {
            e.log_if_internal();
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let rx = services.images.events().subscribe();
    let state = (rx, services, session, actor, Instant::now());
    let stream = futures::stream::unfold(state, |mut st| async move {
        loop {
            let (rx, services, session, actor, checked) = &mut st;
            let sse = match rx.recv().await {
                Ok(n) => {
                    let Some(live) = live_event(&n).filter(|_| n.event_type != "image.send") else {
                        continue;
                    };
                    if checked.elapsed() > RECHECK {
                        match actor_from_session(&services.identity, session).await {
                            Ok(Some(a)) => *actor = a,
                            _ => return None,
                        }
                        *checked = Instant::now();
                    }
                    if !services.images.may_see(actor, &n) {
                        continue;
                    }
                    Event::default()
                        .event("image")
                        .json_data(live)
                        .unwrap_or_default()
                }
                Err(RecvError::Lagged(_)) => Event::default().event("lagged").data("reload"),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok::<_, std::convert::Infallible>(sse), st));
        }
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}
