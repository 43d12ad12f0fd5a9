//! Pure rules shared by the server and the browser: ids, identity roles, the access policy.
//! No I/O here: nothing in `domain` may touch sqlx, axum or the file system.

pub mod identity;
pub mod ids;
pub mod image;
pub mod inspect;
pub mod lifecycle;
pub mod metadefs;
pub mod policy;
pub mod policy_rules;
#[cfg(feature = "ssr")]
pub mod property_protections;
pub mod reason;
pub mod task;
#[cfg(feature = "ssr")]
pub mod uri_filter;
pub mod uri_problem;
