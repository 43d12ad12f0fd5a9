//! `glimpse db copy`: moves a whole deployment from one database to another (typically the
//! embedded SQLite to PostgreSQL, which is how a deployment grows): identity, images with their
//! properties, tags, members, locations and import tasks, limits and metadata definitions. Tokens, dashboard
//! sessions, failed-login counts, claims, upload leases and relayed live events are not copied (users log in again;
//! an upload in flight goes back to `queued` at the next start). The target is migrated first,
//! filled in one transaction and its row counts checked against the source's.

use crate::server::db::{db_run, BeginWrite, Db, Dialect};
use futures::TryStreamExt;
use sqlx::{QueryBuilder, Row};

/// A column's type as both dialects store it.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    OptText,
    Int,
    OptInt,
    Bool,
}
use Kind::*;

/// A table that is copied: its columns, in an order that keys come first (for ORDER BY).
struct Table {
    name: &'static str,
    order_by: &'static str,
    cols: &'static [(&'static str, Kind)],
}

/// Every copied table, parents before children (foreign keys hold at every insert).
const TABLES: &[Table] = &[
    Table {
        name: "projects",
        order_by: "id",
        cols: &[
            ("id", Text),
            ("name", Text),
            ("description", Text),
            ("enabled", Bool),
            ("created_at", Text),
        ],
    },
    Table {
        name: "users",
        order_by: "id",
        cols: &[
            ("id", Text),
            ("name", Text),
            ("password_hash", Text),
            ("enabled", Bool),
            ("default_project_id", OptText),
            ("email", OptText),
            ("description", Text),
            ("created_at", Text),
        ],
    },
    Table {
        name: "role_assignments",
        order_by: "user_id, project_id, role_id",
        cols: &[("user_id", Text), ("project_id", Text), ("role_id", Text)],
    },
    Table {
        name: "limits",
        order_by: "id",
        cols: &[
            ("id", Text),
            ("project_id", Text),
            ("service_id", Text),
            ("resource_name", Text),
            ("resource_limit", Int),
            ("description", OptText),
        ],
    },
    Table {
        name: "images",
        order_by: "id",
        cols: &[
            ("id", Text),
            ("name", OptText),
            ("status", Text),
            ("visibility", Text),
            ("protected", Bool),
            ("os_hidden", Bool),
            ("owner", OptText),
            ("disk_format", OptText),
            ("container_format", OptText),
            ("size", OptInt),
            ("virtual_size", OptInt),
            ("checksum", OptText),
            ("os_hash_algo", OptText),
            ("os_hash_value", OptText),
            ("min_disk", Int),
            ("min_ram", Int),
            ("created_at", Text),
            ("updated_at", Text),
            ("deleted", Bool),
            ("deleted_at", OptText),
        ],
    },
    Table {
        name: "image_properties",
        order_by: "image_id, name",
        cols: &[("image_id", Text), ("name", Text), ("value", Text)],
    },
    Table {
        name: "image_tags",
        order_by: "image_id, tag",
        cols: &[("image_id", Text), ("tag", Text)],
    },
    Table {
        name: "image_members",
        order_by: "image_id, member",
        cols: &[
            ("image_id", Text),
            ("member", Text),
            ("status", Text),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    },
    Table {
        name: "image_locations",
        order_by: "image_id, store",
        cols: &[
            ("image_id", Text),
            ("store", Text),
            ("location", Text),
            ("status", Text),
            ("created_at", Text),
        ],
    },
    // Import tasks: the history is copied; which node ran one is not (nodes differ).
    Table {
        name: "tasks",
        order_by: "created_at, id",
        cols: &[
            ("id", Text),
            ("type", Text),
            ("status", Text),
            ("input", Text),
            ("result", OptText),
            ("message", Text),
            ("owner", Text),
            ("user_id", Text),
            ("request_id", Text),
            ("image_id", OptText),
            ("created_at", Text),
            ("updated_at", Text),
            ("expires_at", OptText),
        ],
    },
    Table {
        name: "metadef_namespaces",
        order_by: "namespace",
        cols: &[
            ("namespace", Text),
            ("display_name", OptText),
            ("description", OptText),
            ("visibility", Text),
            ("protected", Bool),
            ("owner", OptText),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    },
    Table {
        name: "metadef_resource_types",
        order_by: "name",
        cols: &[
            ("name", Text),
            ("protected", Bool),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    },
    Table {
        name: "metadef_associations",
        order_by: "namespace, resource_type",
        cols: &[
            ("namespace", Text),
            ("resource_type", Text),
            ("prefix", OptText),
            ("properties_target", OptText),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    },
    Table {
        name: "metadef_items",
        order_by: "namespace, kind, name",
        cols: &[
            ("namespace", Text),
            ("kind", Text),
            ("name", Text),
            ("body", Text),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    },
];

/// Tables whose rows mean a database is in use (the target must not have any, unless forced).
const IN_USE: &[&str] = &["projects", "users", "images", "metadef_namespaces"];

/// Tables emptied in a forced copy besides the copied ones (what the copy does not bring).
const DROPPED: &[&str] = &[
    "tokens",
    "login_failures",
    "claims",
    "image_upload_leases",
    "live_events",
];

/// One value read from the source.
#[derive(Debug, Clone)]
enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
}

/// Rows per INSERT statement.
const BATCH: usize = 200;

/// What a copy did: rows per table, in copy order.
pub type Copied = Vec<(&'static str, i64)>;

/// Copies every table of `from` into `to` (migrated first). Refuses a target already in use
/// unless `force`, which first empties the target's tables. Checks that each table ends with as
/// many rows as the source has.
pub async fn copy(from: &Db, to: &Db, force: bool) -> anyhow::Result<Copied> {
    from.migrate().await?;
    to.migrate().await?;
    if !force {
        for t in IN_USE {
            if count(to, t).await? > 0 {
                anyhow::bail!(
                    "the target database already holds {t}; copy into an empty database, or give \
                     --force to replace everything it holds"
                );
            }
        }
    }
    db_run!(to, dst => {
        let mut tx = dst.begin_write().await?;
        // Children first, so foreign keys hold while emptying.
        for table in DROPPED.iter().copied().chain(TABLES.iter().rev().map(|t| t.name)) {
            sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
        }
        let mut done = Copied::new();
        for t in TABLES {
            let rows = copy_table(from, &mut tx, t).await?;
            let there: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", t.name))
                .fetch_one(&mut *tx)
                .await?;
            let here = count(from, t.name).await?;
            if there != here || rows as i64 != here {
                anyhow::bail!(
                    "copying {}: the source has {here} rows, {rows} were read and the target \
                     has {there}; nothing was committed",
                    t.name
                );
            }
            done.push((t.name, here));
        }
        tx.commit().await?;
        Ok(done)
    })
}

async fn count(db: &Db, table: &str) -> anyhow::Result<i64> {
    Ok(db_run!(db, pool => {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(pool)
            .await?
    }))
}

/// Streams one table out of `from` and inserts it in batches through `tx`; returns rows read.
async fn copy_table<D: Dialect>(
    from: &Db,
    tx: &mut sqlx::Transaction<'_, D>,
    t: &Table,
) -> anyhow::Result<usize> {
    let cols: Vec<&str> = t.cols.iter().map(|c| c.0).collect();
    let select = format!(
        "SELECT {} FROM {} ORDER BY {}",
        cols.join(", "),
        t.name,
        t.order_by
    );
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(BATCH);
    let mut total = 0;
    db_run!(from, src => {
        let mut rows = sqlx::query(&select).fetch(src);
        while let Some(row) = rows.try_next().await? {
            let mut values = Vec::with_capacity(t.cols.len());
            for (i, (_, kind)) in t.cols.iter().enumerate() {
                values.push(match kind {
                    Text => Value::Text(Some(row.try_get::<String, _>(i)?)),
                    OptText => Value::Text(row.try_get::<Option<String>, _>(i)?),
                    Int => Value::Int(Some(row.try_get::<i64, _>(i)?)),
                    OptInt => Value::Int(row.try_get::<Option<i64>, _>(i)?),
                    Bool => Value::Bool(row.try_get::<bool, _>(i)?),
                });
            }
            batch.push(values);
            total += 1;
            if batch.len() == BATCH {
                insert::<D>(tx, t, &cols, &batch).await?;
                batch.clear();
            }
        }
    });
    insert::<D>(tx, t, &cols, &batch).await?;
    Ok(total)
}

async fn insert<D: Dialect>(
    tx: &mut sqlx::Transaction<'_, D>,
    t: &Table,
    cols: &[&str],
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut b = QueryBuilder::new(format!(
        "INSERT INTO {} ({}) VALUES ",
        t.name,
        cols.join(", ")
    ));
    for (i, row) in rows.iter().enumerate() {
        b.push(if i == 0 { "(" } else { ", (" });
        for (j, v) in row.iter().enumerate() {
            if j > 0 {
                b.push(", ");
            }
            match v.clone() {
                Value::Text(v) => D::opt_text(&mut b, v),
                Value::Int(v) => D::opt_int(&mut b, v),
                Value::Bool(v) => D::boolean(&mut b, v),
            }
        }
        b.push(")");
    }
    D::execute(&mut **tx, b).await?;
    Ok(())
}

/// `url` with any password replaced by `***`, for messages.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((auth, host)) => (auth, host),
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_urls() {
        assert_eq!(
            redacted("postgres://glimpse:s3cret@db:5432/glimpse"),
            "postgres://glimpse:***@db:5432/glimpse"
        );
        assert_eq!(
            redacted("postgres://glimpse@db/glimpse"),
            "postgres://glimpse@db/glimpse"
        );
        assert_eq!(
            redacted("sqlite://data/glimpse.db"),
            "sqlite://data/glimpse.db"
        );
    }
}
