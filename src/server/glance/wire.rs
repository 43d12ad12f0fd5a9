//! Glance's JSON shapes: an image with every base field (null when unset) and its extra
//! properties flattened as strings.

use crate::domain::image::Image;
use crate::server::clock::stored_to_seconds;
use serde_json::{json, Map, Value};

/// The image as Glance returns it.
pub fn image(img: &Image, multi_store: bool) -> Value {
    let mut m = Map::new();
    if multi_store && !img.stores.is_empty() {
        // Glance's read-only `stores`: the stores holding the data, comma-joined.
        m.insert("stores".into(), Value::String(img.stores.join(",")));
    }
    for (k, v) in &img.properties {
        m.insert(k.clone(), Value::String(v.clone()));
    }
    let base = json!({
        "id": img.id,
        "name": img.name,
        "status": img.status.as_str(),
        "visibility": img.visibility.as_str(),
        "protected": img.protected,
        "os_hidden": img.os_hidden,
        "owner": img.owner,
        "disk_format": img.disk_format,
        "container_format": img.container_format,
        "size": img.size,
        "virtual_size": img.virtual_size,
        "checksum": img.checksum,
        "os_hash_algo": img.os_hash_algo,
        "os_hash_value": img.os_hash_value,
        "min_disk": img.min_disk,
        "min_ram": img.min_ram,
        "created_at": stored_to_seconds(&img.created_at),
        "updated_at": stored_to_seconds(&img.updated_at),
        "tags": img.tags,
        "self": format!("/v2/images/{}", img.id),
        "file": format!("/v2/images/{}/file", img.id),
        "schema": "/v2/schemas/image",
    });
    if let Value::Object(b) = base {
        m.extend(b);
    }
    Value::Object(m)
}
