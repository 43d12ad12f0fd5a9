//! Where image data lives. `FileStore` keeps one file per image id under `<data dir>/images`;
//! writes go to a temporary file that is fsynced and renamed into place only when complete, so a
//! failed or interrupted upload never leaves a partial image behind.

pub mod blocks;
pub mod file;

pub use blocks::{BlockBuilder, BlockPool};
pub use file::{read_ahead, FileStore, StagedWrite, BLOCK};
