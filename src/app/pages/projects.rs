//! Identity > Projects (admins): list, create, enable and disable projects.

use crate::app::components::{mutation, reset_on_success, ErrorBox, FlagBadge, PageHeader};
use crate::domain::identity::{validate_description, validate_name};
use crate::server_fns::identity::{list_projects, CreateProject, SetProjectEnabled};
use leptos::prelude::*;

/// The projects table with its create form.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let create = mutation::<CreateProject>(
        |p: &crate::domain::identity::Project| Some(format!("Project {} was created.", p.name)),
        |_| {},
    );
    let toggle = mutation::<SetProjectEnabled>(|_| Some("Project updated.".into()), |_| {});
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
                .map(|e| format!("{} {}", e.field, e.message))
        }
    };
    let description_error = move || {
        validate_description(&description.get())
            .err()
            .map(|e| format!("Description {}", e.message))
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
        <PageHeader title="Projects" subtitle="Projects own images; users work in projects through their roles."/>
        <section class="card" aria-labelledby="create-project-h">
            <h2 id="create-project-h">"Create Project"</h2>
            <ActionForm action=create node_ref=form>
                <div class="form-row">
                    <div class="field">
                        <label for="project-name">"Name"</label>
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
                        <label for="project-description">"Description"</label>
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
                            "Create Project"
                        </button>
                    </div>
                </div>
            </ActionForm>
        </section>
        <Transition fallback=|| view! { <p class="loading">"Loading projects…"</p> }>
            {move || Suspend::new(async move {
                match projects.await {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) => {
                        let count = list.len();
                        view! {
                            <div class="table-wrap">
                                <table class="data">
                                    <caption>{format!("{count} projects")}</caption>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Description"</th>
                                            <th scope="col">"Project ID"</th>
                                            <th scope="col">"Enabled"</th>
                                            <th scope="col">"Actions"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .into_iter()
                                            .map(|p| {
                                                let enable = !p.enabled;
                                                let label = if p.enabled { "Disable" } else { "Enable" };
                                                view! {
                                                    <tr>
                                                        <th scope="row">{p.name.clone()}</th>
                                                        <td>{p.description.clone()}</td>
                                                        <td>
                                                            <code class="id">{p.id.to_string()}</code>
                                                        </td>
                                                        <td>
                                                            <FlagBadge on=p.enabled yes="Yes" no="No"/>
                                                        </td>
                                                        <td>
                                                            <ActionForm action=toggle>
                                                                <input type="hidden" name="project_id" value=p.id.to_string()/>
                                                                <input type="hidden" name="enabled" value=enable.to_string()/>
                                                                <button
                                                                    type="submit"
                                                                    class="btn small"
                                                                    aria-label=format!("{label} project {}", p.name)
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
