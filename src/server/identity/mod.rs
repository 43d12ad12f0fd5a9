//! Identity: users, projects, roles, password hashing, login throttling, tokens, the `Actor`
//! extractor and the Keystone v3 subset under `/identity`.

pub mod error;
pub mod password;
pub mod principal;
pub mod repo;
pub mod service;
pub mod throttle;

pub use error::IdentityError;
pub use service::IdentityService;
