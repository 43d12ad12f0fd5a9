//! Images: `ImageService` (every use case), `ImageRepo` (all image SQL), the list query, the
//! streaming hashers and `ImageError`.

pub mod error;
pub mod hashing;
pub mod query;
pub mod repo;
pub mod service;

pub use error::ImageError;
pub use service::ImageService;
