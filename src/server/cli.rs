//! The `glimpse` command line: `serve` (the default), `migrate`, and the operator's `user`,
//! `project` and `role` commands, which act on the database directly through the same
//! identity service the APIs use.

use super::config::{Config, LogFormat, Settings};
use super::identity::service::{NewProject, NewUser, UserPatch};
use super::identity::IdentityError;
use super::{clock, operator, Backend};
use crate::domain::identity::Role;
use crate::domain::ids::ImageId;
use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;

/// Glimpse: an OpenStack-compatible image service and dashboard in one binary.
///
/// With no command it serves the dashboard at /, the OpenStack Image API at /image and the
/// identity API at /identity/v3. Settings come from built-in defaults, then the TOML file given
/// with --config, then GLIMPSE_* environment variables, then flags.
#[derive(Debug, Parser)]
#[command(name = "glimpse", version)]
pub struct Cli {
    /// Read settings from this TOML file (keys as the long flags, with underscores)
    #[arg(long, env = "GLIMPSE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the APIs (the default)
    Serve,
    /// Create or upgrade the database schema, then exit
    Migrate,
    /// Manage users
    #[command(subcommand)]
    User(UserCommand),
    /// Manage projects
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Grant or revoke roles (admin, member, reader) on projects
    #[command(subcommand)]
    Role(RoleCommand),
    /// Set or show a project's image quotas (Keystone-style limits the image API enforces)
    #[command(subcommand)]
    Quota(QuotaCommand),
    /// Load, export or unload metadata definitions (Glance's one-namespace-per-file JSON)
    #[command(subcommand)]
    Metadefs(MetadefsCommand),
    /// Database commands: copy a whole deployment into another database
    #[command(subcommand)]
    Db(DbCommand),
    /// Delayed delete: the images waiting for the scrubber, and restoring one
    #[command(subcommand)]
    Image(ImageCommand),
    /// Run the scrubber once: remove the data of pending deletions older than scrub_time
    Scrub,
}

/// Delayed-delete commands (admin; the server's `delayed_delete` setting makes deletions pend).
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// List the images waiting for the scrubber
    Trash,
    /// Bring a pending deletion back: active again, with its data, members, tags and properties
    Restore {
        /// Image id
        id: String,
    },
}

/// Database commands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Copy everything (identity, images and their metadata, limits, metadefs) from one database
    /// into another, e.g. from SQLite to PostgreSQL; both are migrated first. Tokens, sessions
    /// and failed-login counts are not copied. Image data stays where it is (same stores).
    Copy {
        /// Source database URL (sqlite://… or postgres://…)
        #[arg(long)]
        from: String,
        /// Target database URL; must not hold projects, users, images or namespaces yet
        #[arg(long)]
        to: String,
        /// Copy into a target that is in use, replacing everything it holds
        #[arg(long)]
        force: bool,
    },
}

/// Metadata-definition catalog commands.
#[derive(Debug, Subcommand)]
pub enum MetadefsCommand {
    /// Load every *.json namespace file of DIR; existing namespaces are skipped unless --merge
    Load {
        /// Directory of namespace files (e.g. a copy of Glance's etc/metadefs)
        dir: PathBuf,
        /// Update existing namespaces: the file's fields and items win, items only the database
        /// has are kept
        #[arg(long)]
        merge: bool,
    },
    /// Write every namespace to DIR, one <namespace>.json file each
    Export {
        /// Directory to write into (created if missing)
        dir: PathBuf,
    },
    /// Delete every namespace and what it holds
    Unload,
}

/// Quota commands.
#[derive(Debug, Subcommand)]
pub enum QuotaCommand {
    /// Set limits; -1 removes a cap
    Set {
        /// Project name or id
        project: String,
        /// Total image data, MiB (image_size_total)
        #[arg(long)]
        image_size_total: Option<i64>,
        /// Number of images (image_count_total)
        #[arg(long)]
        image_count_total: Option<i64>,
        /// Uploads running at once (image_count_uploading)
        #[arg(long)]
        image_count_uploading: Option<i64>,
    },
    /// Show a project's limits
    Show {
        /// Project name or id
        project: String,
    },
}

/// User commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints a generated password unless one is given
    Create {
        /// Login name
        name: String,
        /// Read the password from standard input (first line)
        #[arg(long)]
        password_stdin: bool,
        /// Give the user this role on --project
        #[arg(long, requires = "project", value_parser = parse_role)]
        role: Option<Role>,
        /// Project (name or id) for --role; also the user's default project
        #[arg(long)]
        project: Option<String>,
        /// E-mail address
        #[arg(long)]
        email: Option<String>,
    },
    /// List users with their role assignments
    List,
    /// Set a user's password (prints a generated one unless --password-stdin); revokes their tokens
    Passwd {
        /// Login name
        name: String,
        /// Read the password from standard input (first line)
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Project commands.
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project
    Create {
        /// Project name
        name: String,
        /// Description
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List projects
    List,
}

/// Role commands.
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Give USER the role ROLE on PROJECT
    Add {
        /// User name or id
        user: String,
        /// Project name or id
        project: String,
        /// admin, member or reader
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Take the role ROLE on PROJECT away from USER
    Remove {
        /// User name or id
        user: String,
        /// Project name or id
        project: String,
        /// admin, member or reader
        #[arg(value_parser = parse_role)]
        role: Role,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("unknown role {s:?}: use admin, member or reader"))
}

/// Parses the command line and runs it.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let file = match &cli.config {
        Some(path) => Settings::from_file(path)?,
        None => Settings::default(),
    };
    let config = Config::resolve(file.overlay(cli.settings))?;
    init_tracing(&config, matches!(cli.command, None | Some(Command::Serve)));
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => super::serve(config).await,
        Command::Migrate => {
            Backend::open(&config).await?;
            println!(
                "Database {} is up to date.",
                super::db_copy::redacted(&config.database_url)
            );
            Ok(())
        }
        Command::User(cmd) => user(&config, cmd).await,
        Command::Project(cmd) => project(&config, cmd).await,
        Command::Role(cmd) => role(&config, cmd).await,
        Command::Quota(cmd) => quota(&config, cmd).await,
        Command::Metadefs(cmd) => metadefs(&config, cmd).await,
        Command::Image(cmd) => image(&config, cmd).await,
        Command::Scrub => {
            // Safe beside running servers: each image is taken by a conditional update.
            let b = Backend::open(&config).await?;
            let n = b.images.scrub().await.map_err(image_error)?;
            println!("Removed the data of {n} deleted image(s).");
            Ok(())
        }
        Command::Db(DbCommand::Copy { from, to, force }) => {
            use super::db::Db;
            use super::db_copy::{copy, redacted};
            let (source, target) = (Db::connect(&from).await?, Db::connect(&to).await?);
            let copied = copy(&source, &target, force).await?;
            println!("Copied {} into {}:", redacted(&from), redacted(&to));
            for (table, rows) in copied {
                println!("  {table}: {rows}");
            }
            println!("Row counts match. Tokens and sessions were not copied: users log in again.");
            Ok(())
        }
    }
}

fn init_tracing(config: &Config, serving: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if serving {
        config.log.clone()
    } else {
        "warn".to_string()
    };
    let filter = EnvFilter::try_new(&default).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn read_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        let pw = s.lines().next().unwrap_or_default().to_string();
        Ok((pw, false))
    } else {
        Ok((super::identity::password::generate(20), true))
    }
}

fn cli_error(e: IdentityError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn find_project(
    b: &Backend,
    name_or_id: &str,
) -> anyhow::Result<crate::domain::identity::Project> {
    let op = operator();
    if let Ok(id) = name_or_id.parse() {
        if let Ok(p) = b.identity.get_project(&op, &id).await {
            return Ok(p);
        }
    }
    b.identity
        .find_project(&op, name_or_id)
        .await
        .map_err(cli_error)?
        .ok_or_else(|| anyhow::anyhow!("no project named {name_or_id:?}"))
}

async fn find_user(b: &Backend, name_or_id: &str) -> anyhow::Result<crate::domain::identity::User> {
    let op = operator();
    if let Ok(id) = name_or_id.parse() {
        if let Ok(u) = b.identity.get_user(&op, &id).await {
            return Ok(u);
        }
    }
    b.identity
        .find_user(&op, name_or_id)
        .await
        .map_err(cli_error)?
        .ok_or_else(|| anyhow::anyhow!("no user named {name_or_id:?}"))
}

async fn user(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    let b = Backend::open(config).await?;
    let op = operator();
    match cmd {
        UserCommand::Create {
            name,
            password_stdin,
            role,
            project,
            email,
        } => {
            let project = match &project {
                Some(p) => Some(find_project(&b, p).await?),
                None => None,
            };
            let (password, generated) = read_password(password_stdin)?;
            let new = NewUser {
                name: name.clone(),
                password: password.clone(),
                enabled: true,
                default_project_id: project.as_ref().map(|p| p.id.clone()),
                email,
                description: String::new(),
            };
            let u = b.identity.create_user(&op, new).await.map_err(cli_error)?;
            if let (Some(p), Some(r)) = (&project, role) {
                b.identity
                    .assign_role(&op, &u.id, &p.id, r)
                    .await
                    .map_err(cli_error)?;
            }
            println!("Created user {} ({})", u.name, u.id);
            if generated {
                println!("Password: {password}");
            }
        }
        UserCommand::List => {
            let users = b.identity.list_users(&op).await.map_err(cli_error)?;
            println!("{:<32}  {:<24}  {:<8}  roles", "id", "name", "enabled");
            for u in users {
                let roles = b
                    .identity
                    .list_assignments(&op, Some(&u.id), None, None)
                    .await
                    .map_err(cli_error)?;
                let roles: Vec<String> = roles
                    .iter()
                    .map(|a| format!("{}:{}", a.project_name, a.role))
                    .collect();
                println!(
                    "{:<32}  {:<24}  {:<8}  {}",
                    u.id,
                    u.name,
                    u.enabled,
                    roles.join(" ")
                );
            }
        }
        UserCommand::Passwd {
            name,
            password_stdin,
        } => {
            let u = find_user(&b, &name).await?;
            let (password, generated) = read_password(password_stdin)?;
            let patch = UserPatch {
                password: Some(password.clone()),
                ..Default::default()
            };
            b.identity
                .update_user(&op, &u.id, patch)
                .await
                .map_err(cli_error)?;
            println!("Password changed for {}; their tokens are revoked.", u.name);
            if generated {
                println!("Password: {password}");
            }
        }
    }
    Ok(())
}

async fn project(config: &Config, cmd: ProjectCommand) -> anyhow::Result<()> {
    let b = Backend::open(config).await?;
    let op = operator();
    match cmd {
        ProjectCommand::Create { name, description } => {
            let p = b
                .identity
                .create_project(
                    &op,
                    NewProject {
                        name,
                        description,
                        enabled: true,
                    },
                )
                .await
                .map_err(cli_error)?;
            println!("Created project {} ({})", p.name, p.id);
        }
        ProjectCommand::List => {
            println!(
                "{:<32}  {:<24}  {:<8}  description",
                "id", "name", "enabled"
            );
            for p in b.identity.list_projects(&op).await.map_err(cli_error)? {
                println!(
                    "{:<32}  {:<24}  {:<8}  {}",
                    p.id, p.name, p.enabled, p.description
                );
            }
        }
    }
    Ok(())
}

async fn role(config: &Config, cmd: RoleCommand) -> anyhow::Result<()> {
    let b = Backend::open(config).await?;
    let op = operator();
    match cmd {
        RoleCommand::Add {
            user,
            project,
            role,
        } => {
            let (u, p) = (
                find_user(&b, &user).await?,
                find_project(&b, &project).await?,
            );
            b.identity
                .assign_role(&op, &u.id, &p.id, role)
                .await
                .map_err(cli_error)?;
            println!("{} now holds {role} on {}", u.name, p.name);
        }
        RoleCommand::Remove {
            user,
            project,
            role,
        } => {
            let (u, p) = (
                find_user(&b, &user).await?,
                find_project(&b, &project).await?,
            );
            b.identity
                .unassign_role(&op, &u.id, &p.id, role)
                .await
                .map_err(cli_error)?;
            println!("{} no longer holds {role} on {}", u.name, p.name);
        }
    }
    Ok(())
}

async fn image(config: &Config, cmd: ImageCommand) -> anyhow::Result<()> {
    let b = Backend::open(config).await?;
    let op = operator();
    match cmd {
        ImageCommand::Trash => {
            let pending = b.images.trash(&op).await.map_err(image_error)?;
            if pending.is_empty() {
                println!("No deleted image is waiting for the scrubber.");
            }
            for p in pending {
                println!(
                    "{}  {:<24}  deleted {}  scrubbed after {}",
                    p.image.id,
                    p.image.name.as_deref().unwrap_or("-"),
                    clock::stored_to_seconds(&p.deleted_at),
                    clock::stored_to_seconds(&p.scrub_after)
                );
            }
        }
        ImageCommand::Restore { id } => {
            let id =
                ImageId::parse(&id).map_err(|_| anyhow::anyhow!("{id:?} is not an image id"))?;
            let img = b.images.restore(&op, &id).await.map_err(image_error)?;
            println!(
                "Restored image {} ({}): {}",
                img.id,
                img.name.as_deref().unwrap_or("-"),
                img.status
            );
        }
    }
    Ok(())
}

/// An image service error for the command line (internal causes are logged, not printed).
fn image_error(e: crate::server::images::ImageError) -> anyhow::Error {
    e.log_if_internal();
    anyhow::anyhow!("{e}")
}

async fn quota(config: &Config, cmd: QuotaCommand) -> anyhow::Result<()> {
    let b = Backend::open(config).await?;
    let op = operator();
    match cmd {
        QuotaCommand::Set {
            project,
            image_size_total,
            image_count_total,
            image_count_uploading,
        } => {
            let p = find_project(&b, &project).await?;
            for (name, value) in [
                ("image_size_total", image_size_total),
                ("image_count_total", image_count_total),
                ("image_count_uploading", image_count_uploading),
            ] {
                if let Some(v) = value {
                    b.identity
                        .set_image_limit(&op, &p.id, name, v)
                        .await
                        .map_err(cli_error)?;
                    println!("{}: {name} = {v}", p.name);
                }
            }
        }
        QuotaCommand::Show { project } => {
            let p = find_project(&b, &project).await?;
            let limits = b
                .identity
                .list_limits(&op, Some(&p.id), None, None)
                .await
                .map_err(cli_error)?;
            if limits.is_empty() {
                println!("{}: no limits (unlimited)", p.name);
            }
            for l in limits {
                println!("{}: {} = {}", p.name, l.resource_name, l.resource_limit);
            }
        }
    }
    Ok(())
}

async fn metadefs(config: &Config, cmd: MetadefsCommand) -> anyhow::Result<()> {
    use crate::domain::metadefs::NamespaceFile;
    let b = Backend::open(config).await?;
    match cmd {
        MetadefsCommand::Load { dir, merge } => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            for path in files {
                let text = std::fs::read_to_string(&path)?;
                let doc: NamespaceFile = serde_json::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                let name = doc.namespace.namespace.clone();
                for w in doc.warnings() {
                    eprintln!("warning: {}: {w} (kept, as Glance does)", path.display());
                }
                let outcome = b
                    .metadefs
                    .load(&operator(), doc, merge)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                println!("{outcome} {name} ({})", path.display());
            }
        }
        MetadefsCommand::Export { dir } => {
            std::fs::create_dir_all(&dir)?;
            let all = b.metadefs.export_all(&operator()).await?;
            for doc in &all {
                let file = doc.namespace.namespace.replace(['/', '\\', ':'], "_");
                let path = dir.join(format!("{file}.json"));
                std::fs::write(&path, serde_json::to_string_pretty(doc)? + "\n")?;
                println!("exported {} ({})", doc.namespace.namespace, path.display());
            }
            println!("{} namespaces exported", all.len());
        }
        MetadefsCommand::Unload => {
            let n = b.metadefs.unload_all(&operator()).await?;
            println!("{n} namespaces unloaded");
        }
    }
    Ok(())
}
