//! `GET /v2/schemas/{image,images,member,members,task,tasks}`: the JSON schemas glanceclient reads first
//! and validates against.

use crate::domain::image::{CONTAINER_FORMATS, DISK_FORMATS};
use axum::Json;
use serde_json::{json, Value};

const UUID: &str =
    "^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";

/// The image schema.
pub fn image_schema() -> Value {
    let mut disk: Vec<Value> = vec![Value::Null];
    disk.extend(DISK_FORMATS.iter().map(|f| json!(f)));
    let mut container: Vec<Value> = vec![Value::Null];
    container.extend(CONTAINER_FORMATS.iter().map(|f| json!(f)));
    json!({
        "name": "image",
        "properties": {
            "id": {"type": "string", "description": "An identifier for the image", "pattern": UUID},
            "name": {"type": ["null", "string"], "description": "Descriptive name for the image", "maxLength": 255},
            "status": {"type": "string", "readOnly": true, "description": "Status of the image",
                       "enum": ["queued", "saving", "active", "killed", "deleted", "uploading", "importing", "pending_delete", "deactivated"]},
            "visibility": {"type": "string", "description": "Scope of image accessibility", "enum": ["community", "public", "private", "shared"]},
            "protected": {"type": "boolean", "description": "If true, image will not be deletable."},
            "os_hidden": {"type": "boolean", "description": "If true, image will not appear in default image list response."},
            "checksum": {"type": ["null", "string"], "readOnly": true, "description": "md5 hash of image contents.", "maxLength": 32},
            "os_hash_algo": {"type": ["null", "string"], "readOnly": true, "description": "Algorithm to calculate the os_hash_value", "maxLength": 64},
            "os_hash_value": {"type": ["null", "string"], "readOnly": true, "description": "Hexdigest of the image contents using the algorithm specified by the os_hash_algo", "maxLength": 128},
            "owner": {"type": ["null", "string"], "description": "Owner of the image", "maxLength": 255},
            "size": {"type": ["null", "integer"], "readOnly": true, "description": "Size of image file in bytes"},
            "virtual_size": {"type": ["null", "integer"], "readOnly": true, "description": "Virtual size of image in bytes"},
            "container_format": {"type": ["null", "string"], "description": "Format of the container", "enum": container},
            "disk_format": {"type": ["null", "string"], "description": "Format of the disk", "enum": disk},
            "created_at": {"type": "string", "readOnly": true, "description": "Date and time of image registration"},
            "updated_at": {"type": "string", "readOnly": true, "description": "Date and time of the last image modification"},
            "tags": {"type": "array", "description": "List of strings related to the image", "items": {"type": "string", "maxLength": 255}},
            "direct_url": {"type": "string", "readOnly": true, "description": "URL to access the image file kept in external store"},
            "min_ram": {"type": "integer", "description": "Amount of ram (in MB) required to boot image."},
            "min_disk": {"type": "integer", "description": "Amount of disk space (in GB) required to boot image."},
            "self": {"type": "string", "readOnly": true, "description": "An image self url"},
            "file": {"type": "string", "readOnly": true, "description": "An image file url"},
            "stores": {"type": "string", "readOnly": true, "description": "Store in which image data resides."},
            "schema": {"type": "string", "readOnly": true, "description": "An image schema url"},
            // Listed as Glance lists it; PATCH on /locations answers 403 as Glance does without
            // show_multiple_locations.
            "locations": {"type": "array", "description": "A set of URLs to access the image file kept in external store",
                          "items": {"type": "object", "required": ["url", "metadata"], "properties": {
                              "url": {"type": "string", "maxLength": 255},
                              "metadata": {"type": "object"},
                              "validation_data": {"type": "object", "description": "Values to be used to populate the corresponding image properties. If the image status is not 'queued', values must exactly match those already contained in the image properties.",
                                                  "writeOnly": true, "additionalProperties": false, "required": ["os_hash_algo", "os_hash_value"],
                                                  "properties": {"checksum": {"type": "string", "minLength": 32, "maxLength": 32},
                                                                 "os_hash_algo": {"type": "string", "maxLength": 64},
                                                                 "os_hash_value": {"type": "string", "maxLength": 128}}}}}},
            "kernel_id": {"type": ["null", "string"], "pattern": UUID, "description": "ID of image stored in Glance that should be used as the kernel when booting an AMI-style image."},
            "ramdisk_id": {"type": ["null", "string"], "pattern": UUID, "description": "ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image."},
            "instance_uuid": {"type": "string", "description": "Metadata which can be used to record which instance this image is associated with."},
            "architecture": {"type": "string", "description": "Operating system architecture"},
            "os_distro": {"type": "string", "description": "Common name of operating system distribution"},
            "os_version": {"type": "string", "description": "Operating system version as specified by the distributor."},
            "description": {"type": "string", "description": "A human-readable string describing this image."},
            "cinder_encryption_key_id": {"type": "string", "description": "Identifier in the OpenStack Key Management Service for the encryption key for the Block Storage Service to use when mounting a volume created from this image"},
            "cinder_encryption_key_deletion_policy": {"type": "string", "enum": ["on_image_deletion", "do_not_delete"], "description": "States the condition under which the Image Service will delete the object associated with the 'cinder_encryption_key_id' image property."}
        },
        "additionalProperties": {"type": "string"},
        "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"}, {"rel": "describedby", "href": "{schema}"}]
    })
}

fn member_schema() -> Value {
    json!({
        "name": "member",
        "properties": {
            "created_at": {"type": "string", "description": "Date and time of image member creation"},
            "image_id": {"type": "string", "description": "An identifier for the image", "pattern": UUID},
            "member_id": {"type": "string", "description": "An identifier for the image member (tenantId)"},
            "status": {"type": "string", "description": "The status of this image member", "enum": ["pending", "accepted", "rejected"]},
            "updated_at": {"type": "string", "description": "Date and time of last modification of image member"},
            "schema": {"type": "string", "readOnly": true}
        }
    })
}

/// `GET /v2/schemas/image`.
pub async fn image() -> Json<Value> {
    Json(image_schema())
}

/// A paged collection's schema (`images`, `tasks`): the items, `schema`, `first` and `next`.
fn collection(name: &str, item: Value) -> Value {
    json!({
        "name": name,
        "properties": {
            name: {"type": "array", "items": item},
            "schema": {"type": "string"},
            "first": {"type": "string"},
            "next": {"type": "string"}
        },
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"}, {"rel": "describedby", "href": "{schema}"}]
    })
}

/// `GET /v2/schemas/images`.
pub async fn images() -> Json<Value> {
    Json(collection("images", image_schema()))
}

/// The task schema (Glance's `get_task_schema`); glanceclient reads it for `task-*` commands.
fn task_schema() -> Value {
    let text = |d: &str| json!({"type": "string", "description": d});
    json!({
        "name": "task",
        "properties": {
            "id": {"type": "string", "description": "An identifier for the task", "pattern": UUID},
            "type": {"type": "string", "description": "The type of task represented by this content",
                     "enum": ["import", "api_image_import", "location_import"]},
            "status": {"type": "string", "description": "The current status of this task",
                       "enum": ["pending", "processing", "success", "failure"]},
            "input": {"type": ["null", "object"], "description": "The parameters required by task, JSON blob"},
            "result": {"type": ["null", "object"], "description": "The result of current task, JSON blob"},
            "owner": text("An identifier for the owner of this task"),
            "message": text("Human-readable informative message only included when appropriate (usually on failure)"),
            "image_id": text("Image associated with the task"),
            "request_id": text("Human-readable informative request-id"),
            "user_id": text("User associated with the task"),
            "expires_at": {"type": ["null", "string"], "description": "Datetime when this resource would be subject to removal"},
            "created_at": text("Datetime when this resource was created"),
            "updated_at": text("Datetime when this resource was updated"),
            "self": {"type": "string"},
            "schema": {"type": "string"}
        }
    })
}

/// `GET /v2/schemas/task`.
pub async fn task() -> Json<Value> {
    Json(task_schema())
}

/// `GET /v2/schemas/tasks`.
pub async fn tasks() -> Json<Value> {
    Json(collection("tasks", task_schema()))
}

/// `GET /v2/schemas/member`.
pub async fn member() -> Json<Value> {
    Json(member_schema())
}

/// `GET /v2/schemas/members`.
pub async fn members() -> Json<Value> {
    Json(json!({
        "name": "members",
        "properties": {"members": {"type": "array", "items": member_schema()}, "schema": {"type": "string"}},
        "links": [{"rel": "schema", "href": "{schema}"}]
    }))
}

/// The metadefs property schema (Glance's `get_schema_definitions`).
fn metadef_property() -> Value {
    use crate::domain::metadefs::PROPERTY_TYPES;
    json!({
        "type": "object",
        "required": ["title", "type"],
        "properties": {
            "name": {"type": "string", "maxLength": 80},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "operators": {"type": "array", "items": {"type": "string"}},
            "type": {"type": "string", "enum": PROPERTY_TYPES},
            "required": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
            "minimum": {"type": "number"},
            "maximum": {"type": "number"},
            "maxLength": {"type": "integer", "minimum": 0},
            "minLength": {"type": "integer", "minimum": 0},
            "pattern": {"type": "string", "format": "regex"},
            "enum": {"type": "array"},
            "readonly": {"type": "boolean"},
            "default": {},
            "items": {"type": "object", "properties": {"type": {"type": "string", "enum": PROPERTY_TYPES}, "enum": {"type": "array"}}},
            "maxItems": {"type": "integer", "minimum": 0},
            "minItems": {"type": "integer", "minimum": 0},
            "uniqueItems": {"type": "boolean", "default": false},
            "additionalItems": {"type": "boolean"}
        }
    })
}

fn stamps() -> Value {
    json!({
        "created_at": {"type": "string", "readOnly": true, "format": "date-time"},
        "updated_at": {"type": "string", "readOnly": true, "format": "date-time"}
    })
}

fn with_stamps(mut schema: Value) -> Value {
    if let (Some(p), Value::Object(s)) = (schema["properties"].as_object_mut(), stamps()) {
        p.extend(s);
    }
    schema
}

/// One metadefs schema by name, or `None`.
pub fn metadef_schema(name: &str) -> Option<Value> {
    let association = with_stamps(json!({
        "name": "resource_type_association",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 80},
            "prefix": {"type": "string", "maxLength": 80},
            "properties_target": {"type": "string", "maxLength": 80}
        }
    }));
    let object = with_stamps(json!({
        "name": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "maxLength": 80},
            "description": {"type": "string"},
            "required": {"type": "array", "items": {"type": "string"}},
            "properties": {"type": "object", "additionalProperties": metadef_property()},
            "schema": {"type": "string", "readOnly": true},
            "self": {"type": "string", "readOnly": true}
        }
    }));
    let tag = with_stamps(json!({
        "name": "tag", "required": ["name"],
        "properties": {"name": {"type": "string", "maxLength": 80}}
    }));
    let mut property = metadef_property();
    property["name"] = json!("property");
    let namespace = with_stamps(json!({
        "name": "namespace",
        "required": ["namespace"],
        "properties": {
            "namespace": {"type": "string", "maxLength": 80, "description": "The unique namespace text."},
            "display_name": {"type": "string", "maxLength": 80},
            "description": {"type": "string", "maxLength": 500},
            "visibility": {"type": "string", "enum": ["public", "private"]},
            "protected": {"type": "boolean"},
            "owner": {"type": "string", "maxLength": 255},
            "schema": {"type": "string", "readOnly": true},
            "self": {"type": "string", "readOnly": true},
            "resource_type_associations": {"type": "array", "items": association},
            "properties": {"type": "object", "additionalProperties": metadef_property()},
            "objects": {"type": "array", "items": object},
            "tags": {"type": "array", "items": tag}
        },
        "additionalProperties": false
    }));
    let list = |plural: &str, item: Value| {
        json!({
            "name": plural,
            "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"}, {"rel": "describedby", "href": "{schema}"}],
            "properties": {
                plural: {"type": "array", "items": item},
                "first": {"type": "string"}, "next": {"type": "string"}, "schema": {"type": "string"}
            }
        })
    };
    Some(match name {
        "namespace" => namespace,
        "namespaces" => list("namespaces", namespace),
        "resource_type" => association,
        "resource_types" => list("resource_type_associations", association),
        "object" => object,
        "objects" => list("objects", object),
        "property" => property,
        "properties" => {
            json!({"name": "properties", "properties": {"properties": {"type": "object", "additionalProperties": metadef_property()}}})
        }
        "tag" => tag,
        "tags" => list("tags", tag),
        _ => return None,
    })
}

/// `GET /v2/schemas/metadefs/{name}`.
pub async fn metadefs(
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<Json<Value>, super::error::GlanceError> {
    metadef_schema(&name)
        .map(Json)
        .ok_or_else(|| super::error::GlanceError::not_found("The resource could not be found."))
}
