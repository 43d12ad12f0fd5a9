//! The metadefs API under /image/v2/metadefs, in-process: namespaces, resource types and
//! associations, properties, objects and tags, with Glance's codes for good and bad input, and
//! private and protected namespaces seen from another project.

use crate::support::{Api, TestApp};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

const NS: &str = "/v2/metadefs/namespaces";

async fn status(api: &Api<'_>, method: Method, path: &str, body: Option<Value>) -> StatusCode {
    api.call(method, path, body).await.status
}

#[tokio::test]
async fn the_catalog_and_resource_types_are_there_from_the_start() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let types = api
        .call(Method::GET, "/v2/metadefs/resource_types", None)
        .await
        .json();
    let names: Vec<&str> = types["resource_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for t in [
        "OS::Glance::Image",
        "OS::Cinder::Volume",
        "OS::Nova::Flavor",
    ] {
        assert!(names.contains(&t), "{names:?}");
    }
    let list = api
        .call(
            Method::GET,
            &format!("{NS}?resource_types=OS::Glance::Image&sort_key=namespace&sort_dir=asc"),
            None,
        )
        .await
        .json();
    let found: Vec<&str> = list["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(
        found,
        [
            "Glimpse::ImageSignature",
            "Glimpse::Libvirt::Image",
            "Glimpse::OperatingSystem"
        ]
    );
    let os = api
        .call(Method::GET, &format!("{NS}/Glimpse::OperatingSystem"), None)
        .await
        .json();
    assert_eq!(os["protected"], true);
    assert_eq!(
        os["properties"]["os_type"]["enum"],
        json!(["linux", "windows"])
    );
    assert_eq!(os["schema"], "/v2/schemas/metadefs/namespace");
    // Protected: refused deletion, of it and of what it holds.
    assert_eq!(
        status(
            &api,
            Method::DELETE,
            &format!("{NS}/Glimpse::OperatingSystem"),
            None
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(
            &api,
            Method::DELETE,
            &format!("{NS}/Glimpse::OperatingSystem/properties/os_type"),
            None
        )
        .await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn namespaces_create_list_show_replace_delete() {
    let app = TestApp::new().await;
    let admin = Api::admin(&app).await;
    let member = Api::member(&app, "other", "mia").await;
    let doc = json!({
        "namespace": "Test::Hw", "display_name": "Hardware", "visibility": "public",
        "resource_type_associations": [{"name": "OS::Glance::Image", "prefix": "hw_"}],
        "properties": {"disk_bus": {"title": "Disk bus", "type": "string", "enum": ["virtio", "scsi"]}},
        "objects": [{"name": "Bus", "properties": {"x": {"title": "X", "type": "boolean"}}}],
        "tags": [{"name": "kvm"}]
    });
    let a = admin.call(Method::POST, NS, Some(doc.clone())).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let created = a.json();
    assert_eq!(created["properties"]["disk_bus"]["type"], "string");
    assert_eq!(created["self"], "/v2/metadefs/namespaces/Test::Hw");
    assert_eq!(
        status(&admin, Method::POST, NS, Some(doc.clone())).await,
        StatusCode::CONFLICT
    );
    // Writes are for admins.
    let mut other = doc.clone();
    other["namespace"] = json!("Test::Mine");
    assert_eq!(
        status(&member, Method::POST, NS, Some(other)).await,
        StatusCode::FORBIDDEN
    );
    // Bad input names the field.
    for (bad, field) in [
        (
            json!({"namespace": "x".repeat(81)}),
            "'namespace' is too long",
        ),
        (
            json!({"namespace": "A", "visibility": "secret"}),
            "'visibility' must be public or private",
        ),
        (
            json!({"namespace": "A", "properties": {"p": {"title": "P", "type": "text"}}}),
            "'properties.p.type' must be one of",
        ),
        (
            json!({"namespace": "A", "properties": {"p": {"title": "P", "type": "integer", "minimum": 5, "maximum": 1}}}),
            "'properties.p.minimum' is greater",
        ),
        (json!({"display_name": "no name"}), "namespace"),
    ] {
        let a = admin.call(Method::POST, NS, Some(bad)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
        assert!(a.text().contains(field), "{} lacks {field}", a.text());
    }

    // ?resource_type= shows the properties with that type's prefix; a prefixed name is found.
    let shown = admin
        .call(
            Method::GET,
            &format!("{NS}/Test::Hw?resource_type=OS::Glance::Image"),
            None,
        )
        .await
        .json();
    assert!(shown["properties"]["hw_disk_bus"].is_object(), "{shown}");
    let p = admin
        .call(
            Method::GET,
            &format!("{NS}/Test::Hw/properties/hw_disk_bus?resource_type=OS::Glance::Image"),
            None,
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.json()["name"], "disk_bus");

    // Private namespaces: their owner project and admins only.
    let private = json!({"namespace": "Test::Secret", "visibility": "private"});
    assert_eq!(
        status(&admin, Method::POST, NS, Some(private)).await,
        StatusCode::CREATED
    );
    assert_eq!(
        status(&member, Method::GET, &format!("{NS}/Test::Secret"), None).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(
            &member,
            Method::GET,
            &format!("{NS}/Test::Secret/properties"),
            None
        )
        .await,
        StatusCode::NOT_FOUND
    );
    let seen = member
        .call(Method::GET, &format!("{NS}?limit=100"), None)
        .await
        .json();
    let names: Vec<&str> = seen["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["namespace"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Test::Hw") && !names.contains(&"Test::Secret"),
        "{names:?}"
    );
    assert_eq!(
        status(&member, Method::GET, &format!("{NS}/Test::Hw"), None).await,
        StatusCode::OK
    );
    let private_only = admin
        .call(Method::GET, &format!("{NS}?visibility=private"), None)
        .await
        .json();
    assert_eq!(private_only["namespaces"].as_array().unwrap().len(), 1);
    assert_eq!(
        status(
            &admin,
            Method::GET,
            &format!("{NS}?visibility=secret"),
            None
        )
        .await,
        StatusCode::BAD_REQUEST
    );

    // Paging by marker with next links.
    let mut url = format!("{NS}?limit=2");
    let mut all = vec![];
    loop {
        let page = admin.call(Method::GET, &url, None).await.json();
        all.extend(
            page["namespaces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["namespace"].as_str().unwrap().to_string()),
        );
        match page["next"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    assert_eq!(all.len(), 5, "{all:?}");
    // Glance's default order is newest first; sort_key and sort_dir change it.
    let by = |q: &str| format!("{NS}?{q}");
    let newest = admin.call(Method::GET, &by(""), None).await.json();
    assert_eq!(newest["namespaces"][0]["namespace"], "Test::Secret");
    let named = admin
        .call(
            Method::GET,
            &by("sort_key=namespace&sort_dir=desc&limit=1"),
            None,
        )
        .await
        .json();
    assert_eq!(named["namespaces"][0]["namespace"], "Test::Secret");
    assert!(named["next"]
        .as_str()
        .unwrap()
        .contains("sort_key=namespace"));
    for bad in ["sort_key=colour", "sort_dir=up"] {
        assert_eq!(
            status(&admin, Method::GET, &by(bad), None).await,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    assert_eq!(
        status(&admin, Method::GET, &by("marker=Nope"), None).await,
        StatusCode::NOT_FOUND
    );

    // PUT replaces the fields (here: a rename that keeps the contents); protected refuses delete.
    let put = admin
        .call(
            Method::PUT,
            &format!("{NS}/Test::Hw"),
            Some(json!({"namespace": "Test::Hardware", "visibility": "public", "protected": true})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    assert_eq!(put.json()["display_name"], Value::Null);
    let props = admin
        .call(
            Method::GET,
            &format!("{NS}/Test::Hardware/properties"),
            None,
        )
        .await
        .json();
    assert!(props["properties"]["disk_bus"].is_object());
    assert_eq!(
        status(
            &admin,
            Method::DELETE,
            &format!("{NS}/Test::Hardware"),
            None
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(
            &member,
            Method::DELETE,
            &format!("{NS}/Test::Hardware"),
            None
        )
        .await,
        StatusCode::FORBIDDEN
    );
    admin
        .call(
            Method::PUT,
            &format!("{NS}/Test::Hardware"),
            Some(json!({"namespace": "Test::Hardware", "visibility": "public"})),
        )
        .await;
    assert_eq!(
        status(
            &admin,
            Method::DELETE,
            &format!("{NS}/Test::Hardware"),
            None
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(&admin, Method::GET, &format!("{NS}/Test::Hardware"), None).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn properties_objects_tags_and_associations() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    assert_eq!(
        status(
            &api,
            Method::POST,
            NS,
            Some(json!({"namespace": "T", "visibility": "public"}))
        )
        .await,
        StatusCode::CREATED
    );
    let base = format!("{NS}/T");

    // Properties.
    let prop = json!({"name": "cores", "title": "Cores", "type": "integer", "minimum": 1, "maximum": 64, "default": 2});
    let a = api
        .call(
            Method::POST,
            &format!("{base}/properties"),
            Some(prop.clone()),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(a.json()["maximum"], 64);
    assert_eq!(
        status(
            &api,
            Method::POST,
            &format!("{base}/properties"),
            Some(prop)
        )
        .await,
        StatusCode::CONFLICT
    );
    // A default its definition refuses is stored, as Glance stores it (and warned about in the log).
    let odd = api
        .call(
            Method::POST,
            &format!("{base}/properties"),
            Some(json!({"name": "x", "title": "X", "type": "integer", "default": "two"})),
        )
        .await;
    assert_eq!(odd.status, StatusCode::CREATED, "{}", odd.text());
    assert_eq!(odd.json()["default"], "two");
    let bad = api
        .call(
            Method::POST,
            &format!("{base}/properties"),
            Some(json!({"name": "y", "title": "Y", "type": "integer", "enum": [1, "two"]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("'properties.y.enum'"), "{}", bad.text());
    let put = api
        .call(
            Method::PUT,
            &format!("{base}/properties/cores"),
            Some(json!({"name": "vcpus", "title": "vCPUs", "type": "integer"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text());
    assert_eq!(
        status(&api, Method::GET, &format!("{base}/properties/cores"), None).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.call(Method::GET, &format!("{base}/properties/vcpus"), None)
            .await
            .json()["title"],
        "vCPUs"
    );

    // Objects.
    let obj = json!({"name": "Topology", "description": "CPU layout", "required": ["sockets"],
                     "properties": {"sockets": {"title": "Sockets", "type": "integer"}}});
    let a = api
        .call(Method::POST, &format!("{base}/objects"), Some(obj.clone()))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(
        a.json()["self"],
        "/v2/metadefs/namespaces/T/objects/Topology"
    );
    assert_eq!(
        status(&api, Method::POST, &format!("{base}/objects"), Some(obj)).await,
        StatusCode::CONFLICT
    );
    let missing = api
        .call(
            Method::POST,
            &format!("{base}/objects"),
            Some(json!({"name": "Bad", "required": ["nope"], "properties": {}})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.json()["message"]
            .as_str()
            .unwrap()
            .contains("'required' names \"nope\""),
        "{}",
        missing.text()
    );
    let list = api
        .call(Method::GET, &format!("{base}/objects"), None)
        .await
        .json();
    assert_eq!(
        list["objects"][0]["properties"]["sockets"]["type"],
        "integer"
    );
    assert_eq!(
        status(
            &api,
            Method::DELETE,
            &format!("{base}/objects/Topology"),
            None
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(
            &api,
            Method::DELETE,
            &format!("{base}/objects/Topology"),
            None
        )
        .await,
        StatusCode::NOT_FOUND
    );

    // Tags: POST replaces all, unless X-Openstack-Append; one by one; rename; delete.
    let tags = |names: &[&str]| json!({"tags": names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()});
    assert_eq!(
        status(
            &api,
            Method::POST,
            &format!("{base}/tags"),
            Some(tags(&["a", "b"]))
        )
        .await,
        StatusCode::CREATED
    );
    assert_eq!(
        status(
            &api,
            Method::POST,
            &format!("{base}/tags"),
            Some(tags(&["c"]))
        )
        .await,
        StatusCode::CREATED
    );
    let req = Request::builder()
        .method(Method::POST)
        .uri(format!("/image{base}/tags"))
        .header("x-auth-token", &api.token)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-openstack-append", "true")
        .body(Body::from(tags(&["d"]).to_string()))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::CREATED);
    assert_eq!(
        status(&api, Method::POST, &format!("{base}/tags/e"), None).await,
        StatusCode::CREATED
    );
    assert_eq!(
        status(&api, Method::POST, &format!("{base}/tags/e"), None).await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        status(
            &api,
            Method::PUT,
            &format!("{base}/tags/e"),
            Some(json!({"name": "f"}))
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        status(&api, Method::DELETE, &format!("{base}/tags/c"), None).await,
        StatusCode::NO_CONTENT
    );
    let names: Vec<String> = api
        .call(
            Method::GET,
            &format!("{base}/tags?sort_key=name&sort_dir=asc"),
            None,
        )
        .await
        .json()["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["d", "f"]);
    let page = |q: &'static str| {
        let url = format!("{base}/tags?{q}");
        let api = &api;
        async move {
            api.call(Method::GET, &url, None).await.json()["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(page("sort_key=name&sort_dir=asc&limit=1").await, ["d"]);
    assert_eq!(page("sort_key=name&sort_dir=asc&marker=d").await, ["f"]);
    assert_eq!(page("sort_key=name&sort_dir=desc").await, ["f", "d"]);
    assert_eq!(
        status(
            &api,
            Method::GET,
            &format!("{base}/tags?sort_key=colour"),
            None
        )
        .await,
        StatusCode::BAD_REQUEST
    );

    // Associations: a new resource type is created on the way; duplicates conflict.
    let assoc =
        json!({"name": "Custom::Thing", "prefix": "thing_", "properties_target": "metadata"});
    let a = api
        .call(
            Method::POST,
            &format!("{base}/resource_types"),
            Some(assoc.clone()),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(a.json()["prefix"], "thing_");
    assert_eq!(
        status(
            &api,
            Method::POST,
            &format!("{base}/resource_types"),
            Some(assoc)
        )
        .await,
        StatusCode::CONFLICT
    );
    let types = api
        .call(Method::GET, "/v2/metadefs/resource_types", None)
        .await
        .text();
    assert!(types.contains("Custom::Thing"));
    let listed = api
        .call(Method::GET, &format!("{base}/resource_types"), None)
        .await
        .json();
    assert_eq!(
        listed["resource_type_associations"][0]["properties_target"],
        "metadata"
    );
    assert_eq!(
        status(
            &api,
            Method::DELETE,
            &format!("{base}/resource_types/Custom::Thing"),
            None
        )
        .await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(
            &api,
            Method::DELETE,
            &format!("{base}/resource_types/Custom::Thing"),
            None
        )
        .await,
        StatusCode::NOT_FOUND
    );

    // Bulk deletes.
    assert_eq!(
        status(&api, Method::DELETE, &format!("{base}/properties"), None).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status(&api, Method::DELETE, &format!("{base}/tags"), None).await,
        StatusCode::NO_CONTENT
    );
    let left = api.call(Method::GET, &base, None).await.json();
    assert!(
        left.get("properties").is_none() && left.get("tags").is_none(),
        "{left}"
    );
    assert_eq!(
        status(&api, Method::GET, &format!("{base}/widgets"), None).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn metadefs_schemas() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    for (path, name) in [
        ("namespace", "namespace"),
        ("namespaces", "namespaces"),
        ("resource_type", "resource_type_association"),
        ("resource_types", "resource_type_associations"),
        ("object", "object"),
        ("objects", "objects"),
        ("property", "property"),
        ("properties", "properties"),
        ("tag", "tag"),
        ("tags", "tags"),
    ] {
        let a = api
            .call(Method::GET, &format!("/v2/schemas/metadefs/{path}"), None)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.json()["name"], name, "{path}");
    }
    let ns = api
        .call(Method::GET, "/v2/schemas/metadefs/namespace", None)
        .await
        .json();
    assert_eq!(
        ns["properties"]["visibility"]["enum"],
        json!(["public", "private"])
    );
    assert_eq!(
        status(&api, Method::GET, "/v2/schemas/metadefs/widget", None).await,
        StatusCode::NOT_FOUND
    );
}
