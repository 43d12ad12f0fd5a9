//! Project > Shared with me: images other projects share with this one, pending first, with
//! Accept and Reject; rejected shares can still be accepted later.

use crate::app::components::{mutation, ErrorBox, PageHeader};
use crate::app::components::{short_time, StatusBadge};
use crate::app::layout::PendingShares;
use crate::server_fns::images::{shared_with_me, AnswerShare, Share};
use leptos::prelude::*;

/// The consumer's side of sharing.
#[component]
pub fn SharedPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let shares = Resource::new(move || version.get(), |_| shared_with_me());
    view! {
        <PageHeader title="Shared with me" subtitle="Images other projects share with yours. Accepted ones appear in your image list."/>
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match shares.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => {
                        if let Some(PendingShares(n)) = use_context::<PendingShares>() {
                            n.set(list.iter().filter(|s| s.status == "pending").count());
                        }
                        let group = |status: &str| list.iter().filter(|s| s.status == status).cloned().collect::<Vec<_>>();
                        view! {
                            <ShareTable title="Pending" shares=group("pending") version/>
                            <ShareTable title="Accepted" shares=group("accepted") version/>
                            <ShareTable title="Rejected" shares=group("rejected") version/>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ShareTable(title: &'static str, shares: Vec<Share>, version: RwSignal<u32>) -> impl IntoView {
    let answered = RwSignal::new("");
    let reply = mutation::<AnswerShare>(
        move |_| Some(format!("Share {}.", answered.get_untracked())),
        move |_| version.update(|v| *v += 1),
    );
    let answer = move |id: String, status: &'static str| {
        let Ok(image_id) = crate::domain::ids::ImageId::parse(&id) else {
            return;
        };
        answered.set(status);
        reply.dispatch(AnswerShare {
            image_id,
            status: status.to_string(),
        });
    };
    let heading = format!("{title} ({})", shares.len());
    let region = format!("shares-{}", title.to_lowercase());
    view! {
        <section class="card" aria-labelledby=region.clone()>
            <h2 id=region.clone()>{heading}</h2>
            {if shares.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Owner"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Actions"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {shares
                                .into_iter()
                                .map(|s| {
                                    let name = s.image.name.clone().unwrap_or_else(|| s.image.id.to_string());
                                    let (a, r) = (s.image.id.to_string(), s.image.id.to_string());
                                    let can_accept = s.status != "accepted";
                                    let can_reject = s.status != "rejected";
                                    view! {
                                        <tr>
                                            <th scope="row">
                                                <a href=format!("/project/images/{}", s.image.id)>{name.clone()}</a>
                                            </th>
                                            <td>{s.owner_name.clone()}</td>
                                            <td><StatusBadge status=s.image.status/></td>
                                            <td>{short_time(&s.image.created_at)}</td>
                                            <td class="row-actions">
                                                {can_accept.then(|| view! {
                                                    <button class="btn small" aria-label=format!("Accept {name}") on:click=move |_| answer(a.clone(), "accepted")>"Accept"</button>
                                                })}
                                                {can_reject.then(|| view! {
                                                    <button class="btn small" aria-label=format!("Reject {name}") on:click=move |_| answer(r.clone(), "rejected")>"Reject"</button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </section>
    }
}
