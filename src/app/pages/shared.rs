//! Project > Shared with me: images other projects share with this one, pending first, with
//! Accept and Reject; rejected shares can still be accepted later.

use crate::app::components::{mutation, ErrorBox, PageHeader};
use crate::app::components::{short_time, StatusBadge};
use crate::app::i18n::td_string;
use crate::app::lang::{self, fill};
use crate::app::layout::PendingShares;
use crate::server_fns::images::{shared_with_me, AnswerShare, Share};
use leptos::prelude::*;

/// The consumer's side of sharing.
#[component]
pub fn SharedPage() -> impl IntoView {
    let l = lang::locale();
    let version = RwSignal::new(0u32);
    let shares = Resource::new(move || version.get(), |_| shared_with_me());
    view! {
        <PageHeader title=td_string!(l, shared.title) subtitle=td_string!(l, shared.subtitle)/>
        <Transition fallback=move || view! { <p class="loading">{td_string!(l, shared.loading)}</p> }>
            {move || Suspend::new(async move {
                match shares.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => {
                        if let Some(PendingShares(n)) = use_context::<PendingShares>() {
                            n.set(list.iter().filter(|s| s.status == "pending").count());
                        }
                        let group = |status: &str| list.iter().filter(|s| s.status == status).cloned().collect::<Vec<_>>();
                        view! {
                            <ShareTable status="pending" shares=group("pending") version/>
                            <ShareTable status="accepted" shares=group("accepted") version/>
                            <ShareTable status="rejected" shares=group("rejected") version/>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ShareTable(status: &'static str, shares: Vec<Share>, version: RwSignal<u32>) -> impl IntoView {
    let l = lang::locale();
    let title = match status {
        "pending" => td_string!(l, shared.pending),
        "accepted" => td_string!(l, shared.accepted),
        _ => td_string!(l, shared.rejected),
    };
    let answered = RwSignal::new("");
    let reply = mutation::<AnswerShare>(
        move |_| {
            Some(
                if answered.get_untracked() == "accepted" {
                    td_string!(l, shared.share_accepted)
                } else {
                    td_string!(l, shared.share_rejected)
                }
                .to_string(),
            )
        },
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
    let region = format!("shares-{status}");
    view! {
        <section class="card" aria-labelledby=region.clone()>
            <h2 id=region.clone()>{heading}</h2>
            {if shares.is_empty() {
                view! { <p class="muted">{td_string!(l, shared.none)}</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead>
                            <tr>
                                <th scope="col">{td_string!(l, shared.name)}</th>
                                <th scope="col">{td_string!(l, shared.owner)}</th>
                                <th scope="col">{td_string!(l, shared.status)}</th>
                                <th scope="col">{td_string!(l, shared.created)}</th>
                                <th scope="col">{td_string!(l, shared.actions)}</th>
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
                                            <td>{short_time(l, &s.image.created_at)}</td>
                                            <td class="row-actions">
                                                {can_accept.then(|| view! {
                                                    <button class="btn small" aria-label=fill(td_string!(l, shared.accept_name), &[("name", &name)]) on:click=move |_| answer(a.clone(), "accepted")>{td_string!(l, shared.accept)}</button>
                                                })}
                                                {can_reject.then(|| view! {
                                                    <button class="btn small" aria-label=fill(td_string!(l, shared.reject_name), &[("name", &name)]) on:click=move |_| answer(r.clone(), "rejected")>{td_string!(l, shared.reject)}</button>
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
