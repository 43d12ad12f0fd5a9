//! Identity > Users (admins): list, create, reset passwords, enable and disable users, and add
//! or remove their role assignments.

use crate::app::components::{mutation, reset_on_success, ErrorBox, FlagBadge, PageHeader};
use crate::app::i18n::td_string;
use crate::app::lang::fill;
use crate::domain::identity::{validate_name, validate_password, Project, Role};
use crate::server_fns::identity::{
    list_projects, list_users, AddRole, CreateUser, RemoveRole, ResetPassword, SetUserEnabled,
    UserRow,
};
use leptos::prelude::*;

/// The users table with its create form.
#[component]
pub fn UsersPage() -> impl IntoView {
    let l = crate::app::lang::locale();
    let create = mutation::<CreateUser>(
        move |u: &crate::domain::identity::User| {
            Some(fill(td_string!(l, users.created), &[("name", &u.name)]))
        },
        |_| {},
    );
    let reset = mutation::<ResetPassword>(
        move |_| Some(td_string!(l, users.password_changed).into()),
        |_| {},
    );
    let toggle =
        mutation::<SetUserEnabled>(move |_| Some(td_string!(l, users.updated).into()), |_| {});
    let add = mutation::<AddRole>(
        move |_| Some(td_string!(l, users.role_added).into()),
        |_| {},
    );
    let remove = mutation::<RemoveRole>(
        move |_| Some(td_string!(l, users.role_removed).into()),
        |_| {},
    );
    let versions = move || {
        (
            create.version().get(),
            reset.version().get(),
            toggle.version().get(),
            add.version().get(),
            remove.version().get(),
        )
    };
    let users = Resource::new(versions, |_| list_users());
    let projects = Resource::new(move || create.version().get(), |_| list_projects());
    let actions = RowActions {
        reset,
        toggle,
        add,
        remove,
    };

    view! {
        <PageHeader title=td_string!(l, users.title) subtitle=td_string!(l, users.subtitle)/>
        <Transition fallback=move || view! { <p class="loading">{td_string!(l, users.loading)}</p> }>
            {move || Suspend::new(async move {
                let projects = projects.await;
                let users = users.await;
                match (projects, users) {
                    (Err(e), _) | (_, Err(e)) => view! { <ErrorBox error=e/> }.into_any(),
                    (Ok(projects), Ok(users)) => {
                        view! {
                            <CreateUserForm action=create projects=projects.clone()/>
                            <UsersTable users projects actions/>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn role_options() -> impl IntoView {
    Role::ALL
        .into_iter()
        .rev()
        .map(|r| view! { <option value=r.name() selected=r == Role::Member>{r.name()}</option> })
        .collect_view()
}

fn project_options(projects: &[Project]) -> impl IntoView {
    projects
        .iter()
        .map(|p| view! { <option value=p.id.to_string()>{p.name.clone()}</option> })
        .collect_view()
}

#[component]
fn CreateUserForm(action: ServerAction<CreateUser>, projects: Vec<Project>) -> impl IntoView {
    let l = crate::app::lang::locale();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let name_error = move || {
        let n = name.get();
        if n.is_empty() {
            None
        } else {
            validate_name("Name", &n)
                .err()
                .map(|e| crate::app::lang::validation(l, td_string!(l, users.name), &e))
        }
    };
    let password_error = move || {
        let p = password.get();
        if p.is_empty() {
            None
        } else {
            validate_password(&p)
                .err()
                .map(|e| crate::app::lang::validation(l, td_string!(l, users.password), &e))
        }
    };
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(action.value(), form, move || {
        name.set(String::new());
        password.set(String::new());
    });
    let invalid = move || {
        name.get().trim().is_empty()
            || password.get().is_empty()
            || name_error().is_some()
            || password_error().is_some()
    };
    view! {
        <section class="card" aria-labelledby="create-user-h">
            <h2 id="create-user-h">{td_string!(l, users.create)}</h2>
            <ActionForm action node_ref=form>
                <div class="form-row">
                    <div class="field">
                        <label for="user-name">{td_string!(l, users.user_name)}</label>
                        <input
                            id="user-name"
                            name="name"
                            required
                            maxlength="64"
                            autocomplete="off"
                            on:input=move |ev| name.set(event_target_value(&ev))
                            aria-invalid=move || name_error().is_some().to_string()
                        />
                        {move || name_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field">
                        <label for="user-password">{td_string!(l, users.password)}</label>
                        <input
                            id="user-password"
                            name="password"
                            type="password"
                            required
                            autocomplete="new-password"
                            on:input=move |ev| password.set(event_target_value(&ev))
                            aria-invalid=move || password_error().is_some().to_string()
                        />
                        {move || password_error().map(|e| view! { <p class="field-error">{e}</p> })}
                    </div>
                    <div class="field">
                        <label for="user-project">{td_string!(l, users.primary_project)}</label>
                        <select id="user-project" name="project_id">
                            <option value="">"— none —"</option>
                            {project_options(&projects)}
                        </select>
                    </div>
                    <div class="field">
                        <label for="user-role">{td_string!(l, users.role)}</label>
                        <select id="user-role" name="role">
                            {role_options()}
                        </select>
                    </div>
                    <div class="field actions">
                        <button type="submit" class="btn primary" disabled=move || invalid() || action.pending().get()>
                            {td_string!(l, users.create)}
                        </button>
                    </div>
                </div>
            </ActionForm>
        </section>
    }
}

#[derive(Clone, Copy)]
struct RowActions {
    reset: ServerAction<ResetPassword>,
    toggle: ServerAction<SetUserEnabled>,
    add: ServerAction<AddRole>,
    remove: ServerAction<RemoveRole>,
}

#[component]
fn UsersTable(users: Vec<UserRow>, projects: Vec<Project>, actions: RowActions) -> impl IntoView {
    let l = crate::app::lang::locale();
    let count = users.len();
    view! {
        <div class="table-wrap">
            <table class="data">
                <caption>{fill(td_string!(l, users.count), &[("n", &count)])}</caption>
                <thead>
                    <tr>
                        <th scope="col">{td_string!(l, users.name)}</th>
                        <th scope="col">{td_string!(l, users.roles)}</th>
                        <th scope="col">{td_string!(l, users.enabled)}</th>
                        <th scope="col">{td_string!(l, users.actions)}</th>
                    </tr>
                </thead>
                <tbody>
                    {users
                        .into_iter()
                        .map(|row| view! { <UserRowView row projects=projects.clone() actions/> }.into_any())
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn UserRowView(row: UserRow, projects: Vec<Project>, actions: RowActions) -> impl IntoView {
    let l = crate::app::lang::locale();
    let u = row.user;
    let uid = u.id.to_string();
    let enable = !u.enabled;
    let toggle_label = if u.enabled {
        td_string!(l, users.disable)
    } else {
        td_string!(l, users.enable)
    };
    let chips = row
        .assignments
        .into_iter()
        .map(|a| {
            let label = fill(td_string!(l, users.remove_role), &[("role", &a.role), ("project", &a.project_name), ("user", &a.user_name)]);
            view! {
                <span class="chip">
                    <span>{format!("{}: {}", a.project_name, a.role)}</span>
                    <ActionForm action=actions.remove>
                        <input type="hidden" name="user_id" value=a.user_id.to_string()/>
                        <input type="hidden" name="project_id" value=a.project_id.to_string()/>
                        <input type="hidden" name="role" value=a.role.name()/>
                        <button type="submit" class="chip-remove" aria-label=label.clone() title=label>"×"</button>
                    </ActionForm>
                </span>
            }
        })
        .collect_view();
    let (uid1, uid2, uid3) = (uid.clone(), uid.clone(), uid.clone());
    let name = u.name.clone();
    let (name1, name2) = (name.clone(), name.clone());
    let pw_open = RwSignal::new(false);
    let role_open = RwSignal::new(false);
    let pw_id = format!("pw-{uid}");
    let proj_id = format!("proj-{uid}");
    let role_id = format!("role-{uid}");
    view! {
        <tr>
            <th scope="row">{name}</th>
            <td>
                <div class="chips">{chips}</div>
            </td>
            <td>
                <FlagBadge on=u.enabled yes=td_string!(l, users.yes) no=td_string!(l, users.no)/>
            </td>
            <td>
                <div class="row-actions">
                <ActionForm action=actions.toggle>
                    <input type="hidden" name="user_id" value=uid1/>
                    <input type="hidden" name="enabled" value=enable.to_string()/>
                    <button type="submit" class="btn small" aria-label=fill(td_string!(l, users.toggle_user), &[("action", &toggle_label), ("name", &name1)])>
                        {toggle_label}
                    </button>
                </ActionForm>
                <details class="popover" prop:open=move || pw_open.get()>
                    <summary class="btn small" on:click=move |ev| toggle(ev, pw_open)>
                        {td_string!(l, users.reset_password)}
                    </summary>
                    <div class="popover-body" on:submit=move |_| pw_open.set(false)>
                        <ActionForm action=actions.reset>
                            <input type="hidden" name="user_id" value=uid2/>
                            <div class="field">
                                <label for=pw_id.clone()>{fill(td_string!(l, users.new_password_for), &[("name", &name2)])}</label>
                                <input id=pw_id name="password" type="password" required minlength="8" autocomplete="new-password"/>
                            </div>
                            <button type="submit" class="btn primary small">{td_string!(l, users.set_password)}</button>
                        </ActionForm>
                    </div>
                </details>
                <details class="popover" prop:open=move || role_open.get()>
                    <summary class="btn small" on:click=move |ev| toggle(ev, role_open)>
                        {td_string!(l, users.add_role)}
                    </summary>
                    <div class="popover-body" on:submit=move |_| role_open.set(false)>
                        <ActionForm action=actions.add>
                            <input type="hidden" name="user_id" value=uid3/>
                            <div class="field">
                                <label for=proj_id.clone()>{td_string!(l, users.project)}</label>
                                <select id=proj_id name="project_id">{project_options(&projects)}</select>
                            </div>
                            <div class="field">
                                <label for=role_id.clone()>{td_string!(l, users.role)}</label>
                                <select id=role_id name="role">{role_options()}</select>
                            </div>
                            <button type="submit" class="btn primary small">{td_string!(l, users.save_role)}</button>
                        </ActionForm>
                    </div>
                </details>
                </div>
            </td>
        </tr>
    }
}

/// Opens or closes a popover from its summary (the signal closes it again after a submit).
fn toggle(ev: leptos::ev::MouseEvent, open: RwSignal<bool>) {
    ev.prevent_default();
    open.update(|o| *o = !*o);
}
