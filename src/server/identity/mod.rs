//! Identity: users, projects, roles, password hashing, login throttling, tokens, the `Actor`
//! extractor. The Keystone v3 adapter is `server::keystone`.

pub mod error;
pub mod password;
pub mod principal;
pub mod repo;
pub mod service;
pub mod throttle;

pub use error::IdentityError;
pub use service::IdentityService;
