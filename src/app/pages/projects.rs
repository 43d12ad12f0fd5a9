//! Identity > Projects (admins): list, create, enable and disable projects.

use crate::app::components::{mutation, reset_on_success, ErrorBox, FlagBadge, PageHeader};
use crate::app::i18n::td_string;
use crate::app::lang::fill;
use crate::domain::identity::{validate_description, validate_name};
use crate::server_fns::identity::{list_projects, CreateProject, SetProjectEnabled};
use leptos::prelude::*;

/// The projects table with its create form.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let l = crate::app::lang::locale();
    let create = mutation::<CreateProject>(
        move |p: &crate::domain::identity::Project| {
            Some(fill(td_string!(l, projects.created), &[("name", &p.name)]))
        },
        |_| {},
    );
    let toggle = mutation::<SetProjectEnabled>(
        move |_| Some(td_string!(l, projects.updated).into()),
        |_| {},
    );
    let projects = Resource::new(
        move || (create.version().get(), toggle.version().get()),
        |_| list_projects(),
    );

    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let name_error = move || {
        let n = name.get();
        if n.is_empty() {
            None
        } else {
            validate_name("Name", &n)
                .err()
                .map(|e| crate::app::lang::validation(l, td_string!(l, projects.name), &e))
        }
    };
    let description_error = move || {
        validate_description(&description.get())
            .err()
            .map(|e| crate::app::lang::validation(l, td_string!(l, projects.description), &e))
    };
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(create.value(), form, move || {
        name.set(String::new());
        description.set(String::new());
    });
    let invalid = move || {
        name.get().trim().is_empty() || name_error().is_some() || description_error().is_some()
    };

    view! {
        <PageHeader title=td_string!(l, projects.title) subtitle=td_string!(l, projects.subtitle)/>
        <section class="card" aria-labelledby="create-project-h">
            <h2 id="create-project-h">{td_string!(l, projects.create)}</h2>
            <ActionForm action=create node_ref=form>
                <div class="form-row">
                    <div class="field">
                        <label for="project-name">{td_string!(l, projects.name)}</label>
                        <input
                            id="project-name"
                            name="name"
                            required
                            maxlength="64"
                            on:input=move |ev| name.set(event_target_value(&ev))
                            aria-invalid=move || name_error().is_some().to_string()
                        />
                        {move || name_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field grow">
                        <label for="project-description">{td_string!(l, projects.description)}</label>
                        <input
                            id="project-description"
                            name="description"
                            maxlength="255"
                            on:input=move |ev| description.set(event_target_value(&ev))
                        />
                        {move || description_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field actions">
                        <button type="submit" class="btn primary" disabled=move || invalid() || create.pending().get()>
                            {td_string!(l, projects.create)}
                        </button>
                    </div>
                </div>
            </ActionForm>
        </section>
        <Transition fallback=move || view! { <p class="loading">{td_string!(l, projects.loading)}</p> }>
            {move || Suspend::new(async move {
                match projects.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => {
                        let count = list.len();
                        view! {
                            <div class="table-wrap">
                                <table class="data">
                                    <caption>{fill(td_string!(l, projects.count), &[("n", &count)])}</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">{td_string!(l, projects.name)}</th>
                                            <th scope="col">{td_string!(l, projects.description)}</th>
                                            <th scope="col">{td_string!(l, projects.project_id)}</th>
                                            <th scope="col">{td_string!(l, projects.enabled)}</th>
                                            <th scope="col">{td_string!(l, projects.actions)}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|p| {
                                                let enable = !p.enabled;
                                                let label = if p.enabled { td_string!(l, projects.disable) } else { td_string!(l, projects.enable) };
                                                view! {
                                                    <tr>
                                                        <th scope="row">{p.name.clone()}</th>
                                                        <td>{p.description.clone()}</td>
                                                        <td>
                                                            <code class="id">{p.id.to_string()}</code>
                                                        </td>
                                                        <td>
                                                            <FlagBadge on=p.enabled yes=td_string!(l, projects.yes) no=td_string!(l, projects.no)/>
                                                        </td>
                                                        <td>
                                                            <ActionForm action=toggle>
                                                                <input type="hidden" name="project_id" value=p.id.to_string()/>
                                                                <input type="hidden" name="enabled" value=enable.to_string()/>
                                                                <button
                                                                    type="submit"
                                                                    class="btn small"
                                                                    aria-label=fill(td_string!(l, projects.toggle_project), &[("action", &label), ("name", &p.name)])
                                                                >
                                                                    {label}
                                                                </button>
                                                            </ActionForm>
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
