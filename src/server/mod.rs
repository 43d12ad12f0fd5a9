//! Everything that only runs on the server: configuration, the database, identity, the HTTP
//! layers, the router and the CLI. `router()` builds the whole application without binding a
//! port, so tests drive it in-process or on 127.0.0.1:0; `serve()` binds and runs it.

pub mod amqp;
pub mod assets;
pub mod claims;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod db_copy;
pub mod events;
pub mod fetch;
pub mod glance;
pub mod http;
pub mod identity;
pub mod images;
pub mod keystone;
pub mod live;
pub mod metadefs;
pub mod sessions;
pub mod state;
pub mod store;

use crate::app::{shell, App};
use crate::domain::identity::{Role, RoleSet};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::policy::Actor;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Extension, Router};
use config::Config;
use config::StoreKind;
use identity::throttle::{LoginThrottle, DELAY_STEP};
use identity::{principal, repo::IdentityRepo, IdentityService};
use images::service::{Conversion, ImportSettings};
use images::{repo::ImageRepo, ImageService};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use state::{AppState, Services};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::{FileStore, ImageStore, Stores};
use tower::ServiceBuilder;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The staging area's store id (Glance's name for it).
pub const STAGING_STORE: &str = "os_glance_staging_store";

/// The operator: who the `glimpse` CLI acts as. It has direct database access anyway, so it
/// holds the admin role; it is never produced from a request.
pub fn operator() -> Actor {
    Actor {
        user_id: UserId::parse("00000000000000000000000000000000").expect("valid id"),
        user_name: "operator".into(),
        project_id: ProjectId::parse("00000000000000000000000000000000").expect("valid id"),
        project_name: "operator".into(),
        roles: RoleSet::effective([Role::Admin]),
    }
}

/// A database that is open and migrated, with the identity service over it.
#[derive(Debug, Clone)]
pub struct Backend {
    /// The database.
    pub db: db::Db,
    /// The identity service.
    pub identity: IdentityService,
    /// The image service.
    pub images: ImageService,
    /// The metadata-definition service.
    pub metadefs: metadefs::MetadefService,
    /// Work that one node at a time may do.
    pub claims: claims::Claims,
}

impl Backend {
    /// Creates the data directory, opens the database and applies the migrations.
    pub async fn open(config: &Config) -> anyhow::Result<Backend> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
        let db = db::Db::connect(&config.database_url).await?;
        db.migrate().await?;
        let throttle = LoginThrottle::new(
            config.login_max_failures,
            Duration::from_secs(config.login_lockout),
            DELAY_STEP,
        );
        let identity = IdentityService::new(
            IdentityRepo::new(db.clone()),
            throttle,
            Duration::from_secs(config.token_lifetime),
        );
        let mut stores: Vec<Arc<dyn ImageStore>> = Vec::new();
        for s in &config.stores {
            match &s.kind {
                StoreKind::File { path } => {
                    let store = FileStore::open(&s.id, path).await.map_err(|e| {
                        anyhow::anyhow!(
                            "cannot open the file store {:?} in {}: {e}",
                            s.id,
                            path.display()
                        )
                    })?;
                    stores.push(Arc::new(store));
                }
                StoreKind::S3(settings) => {
                    let store = crate::server::store::s3::S3Store::new(&s.id, settings)
                        .map_err(|e| anyhow::anyhow!("the s3 store {:?}: {e}", s.id))?;
                    stores.push(Arc::new(store));
                }
            }
        }
        let default = config
            .stores
            .iter()
            .find(|s| s.default)
            .map(|s| s.id.as_str())
            .unwrap_or("file");
        let mut stores = Stores::new(stores, default)?;
        if config.stores_named {
            stores = stores.named(
                config
                    .stores
                    .iter()
                    .filter_map(|s| Some((s.id.clone(), s.description.clone()?)))
                    .collect(),
            );
        }
        // The staging area sits beside the default store, so every node that reads the store
        // reads what any node staged (Glance's `os_glance_staging_store`).
        let staging: Arc<dyn ImageStore> = match config
            .stores
            .iter()
            .find(|s| s.id == stores.default_id())
            .map(|s| &s.kind)
        {
            Some(StoreKind::S3(settings)) => {
                let mut settings = settings.clone();
                settings.prefix.push_str("staging/");
                Arc::new(
                    crate::server::store::s3::S3Store::new(STAGING_STORE, &settings)
                        .map_err(|e| anyhow::anyhow!("the staging area: {e}"))?,
                )
            }
            Some(StoreKind::File { path }) => Arc::new(
                FileStore::open(STAGING_STORE, path.join("staging"))
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot open the staging area: {e}"))?,
            ),
            None => Arc::new(
                FileStore::open(STAGING_STORE, config.data_dir.join("staging"))
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot open the staging area: {e}"))?,
            ),
        };
        let stores = stores.with_staging(staging);
        let imports = ImportSettings {
            methods: config.import_methods.clone(),
            fetcher: fetch::Fetcher::new(
                config.import_filtering.clone(),
                Duration::from_secs(10),
                Duration::from_secs(config.web_download_idle_timeout),
            ),
            conversion: config
                .image_conversion_format
                .as_ref()
                .map(|format| Conversion {
                    format: format.clone(),
                    work_dir: config.data_dir.join("convert"),
                    cpu_seconds: 600,
                    memory_bytes: 1 << 30,
                }),
            ..Default::default()
        };
        let (overrides, protections) = policies(config)?;
        // One event stream for the node: images and metadefs.
        let events = events::Events::new(&config.node_name, config.disabled_notifications.clone());
        if let Some(url) = &config.notification_transport_url {
            amqp::spawn(&events, &url.0, config.notification_topics.clone());
        }
        let images = ImageService::new(
            ImageRepo::new(db.clone()),
            stores,
            config.image_size_cap,
            overrides,
        )
        .node(&config.node_name, Duration::from_secs(config.upload_lease))
        .require_format_match(config.require_format_match)
        .delayed_delete(
            config.delayed_delete,
            Duration::from_secs(config.scrub_time),
        )
        .property_protections(protections)
        .imports(imports)
        .with_events(events.clone());
        let metadefs = metadefs::MetadefService::new(metadefs::MetadefRepo::new(db.clone()))
            .with_events(events);
        let claims = claims::Claims::new(db.clone(), &config.node_name);
        // Two first starts at once seed the catalog once.
        claims
            .exclusively("seed-metadefs", Duration::from_secs(60), metadefs.seed())
            .await?;
        Ok(Backend {
            claims,
            db,
            identity,
            images,
            metadefs,
        })
    }
}

/// The policy overrides and the property protections the settings name, read and checked
/// together (a protection file in the `policies` format names rules of the policy file).
fn policies(
    config: &Config,
) -> anyhow::Result<(
    crate::domain::policy_rules::PolicyOverrides,
    Option<crate::domain::property_protections::PropertyProtections>,
)> {
    use crate::domain::policy_rules::PolicyOverrides;
    use crate::domain::property_protections::PropertyProtections;
    let read = |path: &std::path::Path, what: &str| {
        std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {what} {}: {e}", path.display()))
    };
    let protections = match &config.property_protection_file {
        None => None,
        Some(path) => Some(
            PropertyProtections::parse(
                &read(path, "property protection file")?,
                config.property_protection_rule_format,
            )
            .map_err(|e| {
                anyhow::anyhow!("invalid property protection file {}: {e}", path.display())
            })?,
        ),
    };
    let used = protections
        .as_ref()
        .map(PropertyProtections::policy_names)
        .unwrap_or_default();
    let overrides = match &config.policy_file {
        None => PolicyOverrides::default(),
        Some(path) => PolicyOverrides::parse_file_with(&read(path, "policy file")?, &used)
            .map_err(|e| anyhow::anyhow!("invalid policy file {}: {e}", path.display()))?,
    };
    if let Some(p) = &protections {
        p.check_policies(&overrides)
            .map_err(|e| anyhow::anyhow!("invalid property protection file: {e}"))?;
    }
    Ok((overrides, protections))
}

/// Leptos' options for a server with `config`, whose dashboard assets have the build id `build`
/// (pages name them under `/pkg/<build>/`).
pub fn leptos_options(config: &Config, build: &str) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(env!("CARGO_PKG_NAME"))
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir(format!("pkg/{build}"))
        .site_addr(config.bind)
        .build()
}

/// Builds the whole application: dashboard, server functions, `/identity` and `/healthcheck`.
pub async fn router(
    config: Arc<Config>,
    backend: &Backend,
    public_url: &str,
) -> anyhow::Result<Router> {
    let store = sessions::Sessions::open(&backend.db).await?;
    let sessions = SessionManagerLayer::new(store)
        .with_name("glimpse_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.cookie_secure)
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            config.session_lifetime as i64,
        )));

    let services = Services {
        identity: backend.identity.clone(),
        images: backend.images.clone(),
        metadefs: backend.metadefs.clone(),
        config: config.clone(),
        public_url: public_url.trim_end_matches('/').into(),
    };
    let pkg = config.site_root.join("pkg");
    let build = assets::build_id(&pkg);
    let options = leptos_options(&config, &build);
    let state = AppState {
        leptos_options: options.clone(),
        services: services.clone(),
    };
    let routes = generate_route_list(App);

    let ctx_services = services.clone();
    let split = assets::SplitChunks::read(&pkg, &build);
    let app = assets::serve(Router::new(), &pkg, &build)
        .route("/healthcheck", get(http::healthcheck))
        .route("/events", get(live::events))
        .route("/words/{file}", get(crate::app::words::serve::words))
        // keystoneauth discovers versions at the endpoint with and without a trailing slash
        // (the nested image service answers `/image/` itself).
        .route("/identity/", get(keystone::versions))
        .nest("/identity", keystone::router())
        .nest_service("/image", glance::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(ctx_services.clone());
                if let Some(split) = &split {
                    provide_context(split.for_render());
                }
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(DefaultBodyLimit::max(config.max_json_body))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(axum::middleware::from_fn(http::inbound_request_id))
                .layer(SetRequestIdLayer::new(http::REQUEST_ID, http::MakeReqId))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(http::make_span)
                        .on_response(http::on_response),
                )
                .layer(PropagateRequestIdLayer::new(http::REQUEST_ID))
                .layer(http::compression())
                .layer(axum::middleware::from_fn(http::cross_site_guard))
                .layer(axum::middleware::from_fn_with_state(
                    config.cookie_secure,
                    http::security_headers,
                ))
                .layer(axum::middleware::from_fn(principal::with_actor_cell))
                .layer(sessions)
                .layer(axum::middleware::from_fn(http::language))
                .layer(Extension(services)),
        );
    Ok(app)
}

/// Opens the backend, creates the bootstrap admin on an empty database, binds and serves until
/// SIGTERM or Ctrl-C; in-flight requests finish before it returns.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let config = Arc::new(config);
    let backend = Backend::open(&config).await?;
    let (requeued, removed) = backend.images.recover().await?;
    if requeued > 0 || removed > 0 {
        tracing::warn!(
            requeued,
            removed,
            "recovered from an interrupted run: uploads in flight went back to queued"
        );
    }
    // The dashboard's live events reach browsers connected to any node.
    backend
        .images
        .events()
        .spawn_relay(backend.db.clone(), &config.node_name);
    // Uploads of a node that died while receiving go back to queued once their lease runs out.
    // One node at a time sweeps (the claim passes on if that node dies).
    let sweeper = backend.images.clone();
    backend.claims.clone().spawn_periodic(
        "sweep-uploads",
        Duration::from_secs(config.upload_lease.div_ceil(2)),
        move || {
            let sweeper = sweeper.clone();
            async move {
                match sweeper.sweep().await {
                    Ok((0, 0)) => {}
                    Ok((requeued, removed)) => tracing::warn!(
                        requeued,
                        removed,
                        "uploads whose node stopped renewing their lease went back to queued"
                    ),
                    Err(e) => e.log_if_internal(),
                }
            }
        },
    );
    // Import tasks: this node runs what it starts, and what other nodes started or left behind.
    backend.images.spawn_task_runner();
    // Ended tasks go once their time to live is over; one node at a time looks, hourly.
    let purger = backend.images.clone();
    backend
        .claims
        .clone()
        .spawn_periodic("purge-tasks", Duration::from_secs(3600), move || {
            let purger = purger.clone();
            async move {
                match purger.purge_expired_tasks().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(tasks = n, "expired import tasks removed"),
                    Err(e) => e.log_if_internal(),
                }
            }
        });
    // Delayed delete's scrubber: one node at a time removes the data of due pending deletions.
    let scrubber = backend.images.clone();
    backend.claims.clone().spawn_periodic(
        "scrubber",
        Duration::from_secs(config.scrub_interval),
        move || {
            let scrubber = scrubber.clone();
            async move {
                match scrubber.scrub().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(images = n, "scrubber removed deleted images' data"),
                    Err(e) => e.log_if_internal(),
                }
            }
        },
    );
    let admin_password = std::env::var("GLIMPSE_ADMIN_PASSWORD").ok();
    // Two first starts at once create one admin.
    let bootstrap = backend.identity.bootstrap(admin_password);
    let created = backend
        .claims
        .exclusively("bootstrap-admin", Duration::from_secs(60), bootstrap)
        .await?;
    if let Some(generated) = created {
        // Printed once, on the console only (never logged): it is needed to log in the first time.
        println!("\nCreated user 'admin' in project 'admin' with password: {generated}\n");
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
    let local = listener.local_addr()?;
    let public_url = config.public_url_for(local);
    let app = router(config.clone(), &backend, &public_url).await?;

    let store = sessions::Sessions::open(&backend.db).await?;
    tokio::spawn(async move {
        use tower_sessions::ExpiredDeletion;
        if let Err(e) = store
            .continuously_delete_expired(Duration::from_secs(300))
            .await
        {
            tracing::warn!(error = %e, "expired-session cleanup stopped");
        }
    });

    tracing::info!(%local, %public_url, data_dir = %config.data_dir.display(), "Glimpse is listening");
    println!("Glimpse is serving {public_url} (dashboard at /, Image API at /image, identity at /identity/v3)");
    match &config.tls {
        None => {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await?
        }
        Some((cert, key)) => {
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot use the certificate {} with the key {}: {e}",
                        cert.display(),
                        key.display()
                    )
                })?;
            let handle = axum_server::Handle::new();
            let stopping = handle.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                // In-flight requests get as long as they need, as with plain HTTP.
                stopping.graceful_shutdown(None);
            });
            axum_server::from_tcp_rustls(listener.into_std()?, tls)?
                .handle(handle)
                .serve(app.into_make_service_with_connect_info::<SocketAddr>())
                .await?
        }
    }
    backend.db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
