//! Glimpse's own catalog of metadata definitions, in Glance's namespace-file format (operating
//! system, libvirt virtual hardware for images, image signature verification): loaded at the
//! first start.

use crate::domain::metadefs::NamespaceFile;

const CATALOG: [&str; 3] = [
    include_str!("catalog/operating-system.json"),
    include_str!("catalog/libvirt-image.json"),
    include_str!("catalog/image-signature.json"),
];

/// The built-in catalog's namespaces.
pub fn catalog() -> Vec<NamespaceFile> {
    CATALOG
        .iter()
        .map(|text| serde_json::from_str(text).expect("the built-in catalog is valid JSON"))
        .collect()
}
