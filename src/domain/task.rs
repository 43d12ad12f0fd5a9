//! Interoperable import as data (Glance's `api_image_import` tasks): the import methods and the
//! status each needs, an import request as `POST /v2/images/{id}/import` takes it, a task and its
//! status machine (pending -> processing -> success | failure), and the image properties an
//! import shows its progress in.

use crate::domain::image::ImageStatus;
use serde::{Deserialize, Serialize};

/// The image property that locks an image to one running import (its value is the task id).
pub const IMPORT_LOCK: &str = "os_glance_import_task";
/// The image property listing the stores an import is still writing to (comma-separated).
pub const IMPORTING_TO: &str = "os_glance_importing_to_stores";
/// The image property listing the stores an import failed to write to (comma-separated).
pub const FAILED_IMPORT: &str = "os_glance_failed_import";
/// The type Glance gives import tasks.
pub const TASK_TYPE: &str = "api_image_import";
/// How long a finished task is kept (Glance's `task_time_to_live`, 48 hours), in seconds.
pub const TASK_TIME_TO_LIVE: u64 = 48 * 3600;

/// How an import brings the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImportMethod {
    /// Data already staged with `PUT /stage`.
    GlanceDirect,
    /// Fetched from a URL.
    WebDownload,
    /// An active image's data copied into more stores.
    CopyImage,
}

impl ImportMethod {
    /// Every method, in Glance's order.
    pub const ALL: [ImportMethod; 3] = [
        ImportMethod::GlanceDirect,
        ImportMethod::WebDownload,
        ImportMethod::CopyImage,
    ];

    /// Glance's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMethod::GlanceDirect => "glance-direct",
            ImportMethod::WebDownload => "web-download",
            ImportMethod::CopyImage => "copy-image",
        }
    }

    /// The method Glance names `name`.
    pub fn parse(name: &str) -> Option<ImportMethod> {
        ImportMethod::ALL.into_iter().find(|m| m.as_str() == name)
    }

    /// The status an image must be in for this method.
    pub fn needs_status(self) -> ImageStatus {
        match self {
            ImportMethod::GlanceDirect => ImageStatus::Uploading,
            ImportMethod::WebDownload => ImageStatus::Queued,
            ImportMethod::CopyImage => ImageStatus::Active,
        }
    }

    /// Whether the image is `importing` while the task runs (copy-image leaves it `active`).
    pub fn sets_importing(self) -> bool {
        self != ImportMethod::CopyImage
    }
}

/// An import as asked for, checked for shape (not yet against the image).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRequest {
    /// The method.
    pub method: ImportMethod,
    /// web-download's source.
    pub uri: Option<String>,
    /// The stores to write to (empty: the default store, or every store with `all_stores`).
    pub stores: Vec<String>,
    /// Every store.
    pub all_stores: bool,
    /// Whether one store failing fails the import.
    pub all_stores_must_succeed: bool,
}

impl ImportRequest {
    /// Reads the body of `POST /import` the way Glance's deserializer does; the error is the
    /// 400's explanation.
    pub fn from_json(body: &serde_json::Value) -> Result<ImportRequest, String> {
        let method = body
            .get("method")
            .and_then(|m| m.as_object())
            .ok_or("Import request requires a 'method' field.")?;
        let name = method
            .get("name")
            .and_then(|n| n.as_str())
            .ok_or("Import request requires a 'name' field.")?;
        let method_kind = ImportMethod::parse(name)
            .ok_or_else(|| format!("Unknown import method name '{name}'."))?;
        let flag = |key: &str, default: bool| -> Result<bool, String> {
            match body.get(key) {
                None | Some(serde_json::Value::Null) => Ok(default),
                Some(serde_json::Value::Bool(b)) => Ok(*b),
                Some(other) => Err(format!("'{key}' must be boolean value only, not {other}")),
            }
        };
        let stores = match body.get("stores") {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|s| s.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or("'stores' must be a list of store identifiers.")?,
            Some(_) => return Err("'stores' must be a list of store identifiers.".into()),
        };
        let uri = match method.get("uri") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(u)) => Some(u.clone()),
            Some(_) => return Err("'uri' must be a string.".into()),
        };
        if method_kind == ImportMethod::WebDownload && uri.as_deref().is_none_or(str::is_empty) {
            return Err("Import method web-download requires a 'uri'.".into());
        }
        Ok(ImportRequest {
            method: method_kind,
            uri,
            stores,
            all_stores: flag("all_stores", false)?,
            all_stores_must_succeed: flag("all_stores_must_succeed", true)?,
        })
    }
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskStatus {
    /// Waiting for a node to run it.
    Pending,
    /// A node runs it.
    Processing,
    /// Finished well.
    Success,
    /// Finished badly; the message says why.
    Failure,
}

impl TaskStatus {
    /// Glance's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Processing => "processing",
            TaskStatus::Success => "success",
            TaskStatus::Failure => "failure",
        }
    }

    /// The status Glance names `s`.
    pub fn parse(s: &str) -> Option<TaskStatus> {
        [
            TaskStatus::Pending,
            TaskStatus::Processing,
            TaskStatus::Success,
            TaskStatus::Failure,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// Whether the task is over.
    pub fn is_final(self) -> bool {
        matches!(self, TaskStatus::Success | TaskStatus::Failure)
    }

    /// Whether a task may move from `self` to `to` (Glance's task state machine; a node taking
    /// over a dead node's task runs it again, processing -> processing).
    pub fn may_become(self, to: TaskStatus) -> bool {
        use TaskStatus::*;
        matches!(
            (self, to),
            (Pending, Processing)
                | (Pending, Failure)
                | (Processing, Processing)
                | (Processing, Success)
                | (Processing, Failure)
        )
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A task, as the API and the dashboard show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Its id (a UUID).
    pub id: String,
    /// `api_image_import`.
    pub kind: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// What was asked (JSON).
    pub input: serde_json::Value,
    /// What came of it (JSON), when it is over.
    pub result: Option<serde_json::Value>,
    /// Why it failed, or what it did.
    pub message: String,
    /// The project it runs for.
    pub owner: String,
    /// The user who asked.
    pub user_id: String,
    /// The request that created it.
    pub request_id: String,
    /// The image it imports into.
    pub image_id: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
    /// When it will be removed, once over.
    pub expires_at: Option<String>,
}

impl Task {
    /// The import method its input names.
    pub fn method(&self) -> Option<ImportMethod> {
        self.input
            .pointer("/import_req/method/name")
            .and_then(|n| n.as_str())
            .and_then(ImportMethod::parse)
    }

    /// web-download's source, as given.
    pub fn uri(&self) -> Option<&str> {
        self.input
            .pointer("/import_req/method/uri")
            .and_then(|n| n.as_str())
    }

    /// The task as shown to someone who may see the image but does not own it: web-download's
    /// source loses its query string and fragment, where a signed URL keeps its secret.
    pub fn redacted(mut self) -> Task {
        if let Some(serde_json::Value::String(uri)) =
            self.input.pointer_mut("/import_req/method/uri")
        {
            if let Some(cut) = uri.find(['?', '#']) {
                uri.truncate(cut);
                uri.push_str("?…");
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_are_read_as_glance_reads_them() {
        let r = ImportRequest::from_json(
            &json!({"method": {"name": "web-download", "uri": "http://x/y.img"}}),
        )
        .unwrap();
        assert_eq!(r.method, ImportMethod::WebDownload);
        assert_eq!(r.uri.as_deref(), Some("http://x/y.img"));
        assert!(r.all_stores_must_succeed && !r.all_stores && r.stores.is_empty());
        let r = ImportRequest::from_json(&json!({"method": {"name": "copy-image"},
            "stores": ["a", "b"], "all_stores_must_succeed": false}))
        .unwrap();
        assert_eq!(r.stores, vec!["a", "b"]);
        assert!(!r.all_stores_must_succeed);
        for (bad, why) in [
            (json!({}), "'method'"),
            (json!({"method": {}}), "'name'"),
            (
                json!({"method": {"name": "glance-download-ish"}}),
                "Unknown import method",
            ),
            (
                json!({"method": {"name": "web-download"}}),
                "requires a 'uri'",
            ),
            (
                json!({"method": {"name": "copy-image"}, "all_stores": "yes"}),
                "boolean",
            ),
            (
                json!({"method": {"name": "copy-image"}, "stores": "a"}),
                "list",
            ),
        ] {
            let e = ImportRequest::from_json(&bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn methods_need_their_status() {
        assert_eq!(
            ImportMethod::GlanceDirect.needs_status(),
            ImageStatus::Uploading
        );
        assert_eq!(
            ImportMethod::WebDownload.needs_status(),
            ImageStatus::Queued
        );
        assert_eq!(ImportMethod::CopyImage.needs_status(), ImageStatus::Active);
        assert!(!ImportMethod::CopyImage.sets_importing());
        for m in ImportMethod::ALL {
            assert_eq!(ImportMethod::parse(m.as_str()), Some(m));
        }
    }

    #[test]
    fn redaction_keeps_the_source_but_not_its_query() {
        let t = |uri: &str| Task {
            id: "t".into(),
            kind: TASK_TYPE.into(),
            status: TaskStatus::Success,
            input: json!({"import_req": {"method": {"name": "web-download", "uri": uri}}}),
            result: None,
            message: String::new(),
            owner: "p".into(),
            user_id: "u".into(),
            request_id: String::new(),
            image_id: None,
            created_at: String::new(),
            updated_at: String::new(),
            expires_at: None,
        };
        let r = t("https://s3.example/b/img.qcow2?X-Amz-Signature=secret#x").redacted();
        assert_eq!(r.uri(), Some("https://s3.example/b/img.qcow2?…"));
        assert_eq!(
            t("https://example.org/a.img").redacted().uri(),
            Some("https://example.org/a.img")
        );
    }

    #[test]
    fn finished_tasks_stay_finished() {
        use TaskStatus::*;
        for from in [Success, Failure] {
            for to in [Pending, Processing, Success, Failure] {
                assert!(!from.may_become(to), "{from} -> {to}");
            }
        }
        assert!(Pending.may_become(Processing) && Processing.may_become(Success));
        assert!(
            !Pending.may_become(Success),
            "a task runs before it succeeds"
        );
        assert!(!Processing.may_become(Pending));
    }
}
