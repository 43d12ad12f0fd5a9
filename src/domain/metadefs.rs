//! Metadata definitions (Glance's metadefs): namespaces, their resource-type associations,
//! properties, objects and tags; the field rules Glance applies to each, the property schema
//! (types and constraints) with a checker for values, who may read and write them, and the
//! one-namespace-per-file JSON format operators load with `glimpse metadefs load`.

use crate::domain::policy::{Actor, Decision};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Longest namespace, object, tag, resource type, prefix and display name.
pub const MAX_NAME: usize = 80;
/// Longest namespace description.
pub const MAX_DESCRIPTION: usize = 500;
/// Resource types every installation knows.
pub const SEEDED_RESOURCE_TYPES: [&str; 6] = [
    "OS::Glance::Image",
    "OS::Cinder::Volume",
    "OS::Nova::Flavor",
    "OS::Nova::Aggregate",
    "OS::Nova::Server",
    "OS::Trove::Instance",
];
/// The JSON types a property may have.
pub const PROPERTY_TYPES: [&str; 7] = [
    "array", "boolean", "integer", "number", "object", "string", "null",
];
/// Keys a property definition may carry (Glance's property schema).
const PROPERTY_KEYS: [&str; 20] = [
    "name",
    "title",
    "description",
    "type",
    "operators",
    "default",
    "readonly",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "additionalItems",
    "required",
    "hypervisor_type",
];

/// A namespace's own fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Namespace {
    /// Unique name.
    pub namespace: String,
    /// Name to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `public` or `private` (visible to the owner project and admins only).
    #[serde(default = "private")]
    pub visibility: String,
    /// Protected namespaces (and what they hold) cannot be deleted.
    #[serde(default)]
    pub protected: bool,
    /// Owner project id (or, in catalog files, a name such as "admin").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

fn private() -> String {
    "private".into()
}

/// A namespace's association with a resource type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Association {
    /// Resource type name, e.g. `OS::Glance::Image`.
    pub name: String,
    /// Prefix added to the namespace's property names for this resource type (with its separator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// Where the properties go on the resource, e.g. `image`, `metadata`, `scheduler_hints`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties_target: Option<String>,
}

/// An object: a named group of properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Object {
    /// Name, unique in the namespace.
    pub name: String,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Names of its required properties.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required: Vec<String>,
    /// Its properties, by name.
    #[serde(default)]
    pub properties: Map<String, Value>,
}

/// A tag name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// The tag.
    pub name: String,
}

/// One namespace file, as Glance's `etc/metadefs/*.json` and `export_metadefs` write them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamespaceFile {
    /// The namespace's fields.
    #[serde(flatten)]
    pub namespace: Namespace,
    /// Its resource-type associations.
    #[serde(default)]
    pub resource_type_associations: Vec<Association>,
    /// Its properties, by name.
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// Its objects.
    #[serde(default)]
    pub objects: Vec<Object>,
    /// Its tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// A field that breaks Glance's rules; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid(msg: impl Into<String>) -> Invalid {
    Invalid(msg.into())
}

/// Checks a name-like field: 1 to `max` characters.
pub fn check_name(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    let n = value.chars().count();
    if n == 0 {
        return Err(invalid(format!("'{field}' must not be empty")));
    }
    if n > max {
        return Err(invalid(format!(
            "'{field}' is too long: {n} characters, at most {max}"
        )));
    }
    Ok(())
}

impl Namespace {
    /// Checks every field.
    pub fn check(&self) -> Result<(), Invalid> {
        check_name("namespace", &self.namespace, MAX_NAME)?;
        if let Some(d) = &self.display_name {
            if d.chars().count() > MAX_NAME {
                return Err(invalid(format!(
                    "'display_name' is longer than {MAX_NAME} characters"
                )));
            }
        }
        if let Some(d) = &self.description {
            if d.chars().count() > MAX_DESCRIPTION {
                return Err(invalid(format!(
                    "'description' is longer than {MAX_DESCRIPTION} characters"
                )));
            }
        }
        if !["public", "private"].contains(&self.visibility.as_str()) {
            return Err(invalid(format!(
                "'visibility' must be public or private, not {:?}",
                self.visibility
            )));
        }
        if self.owner.as_ref().is_some_and(|o| o.chars().count() > 255) {
            return Err(invalid("'owner' is longer than 255 characters"));
        }
        Ok(())
    }
}

impl Association {
    /// Checks every field.
    pub fn check(&self) -> Result<(), Invalid> {
        check_name("name", &self.name, MAX_NAME)?;
        for (field, v) in [
            ("prefix", &self.prefix),
            ("properties_target", &self.properties_target),
        ] {
            if v.as_ref().is_some_and(|v| v.chars().count() > MAX_NAME) {
                return Err(invalid(format!(
                    "'{field}' is longer than {MAX_NAME} characters"
                )));
            }
        }
        Ok(())
    }
}

impl Object {
    /// The object's definition without its name, as stored and as edited.
    pub fn body(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Some(m) = v.as_object_mut() {
            m.remove("name");
        }
        v
    }

    /// Checks the name, the properties and that required names exist.
    pub fn check(&self) -> Result<(), Invalid> {
        check_name("name", &self.name, MAX_NAME)?;
        for (name, p) in &self.properties {
            check_property(name, p)?;
        }
        if let Some(r) = self
            .required
            .iter()
            .find(|r| !self.properties.contains_key(*r))
        {
            return Err(invalid(format!(
                "'required' names {r:?}, which is not one of the object's properties"
            )));
        }
        Ok(())
    }
}

/// The prefix a resource type's properties carry for a namespace (`hw_` for images, say): the
/// association's `prefix`, or none when the namespace is not associated with it.
pub fn prefix_for(associations: &[Association], resource_type: &str) -> String {
    associations
        .iter()
        .find(|a| a.name == resource_type)
        .and_then(|a| a.prefix.clone())
        .unwrap_or_default()
}

impl NamespaceFile {
    /// The namespace as `resource_type` sees it: every property (the objects' too) named with the
    /// association's prefix.
    pub fn prefixed_for(mut self, resource_type: &str) -> NamespaceFile {
        let prefix = prefix_for(&self.resource_type_associations, resource_type);
        let prefixed = |props: Map<String, Value>| -> Map<String, Value> {
            props
                .into_iter()
                .map(|(k, v)| (format!("{prefix}{k}"), v))
                .collect()
        };
        self.properties = prefixed(std::mem::take(&mut self.properties));
        for o in &mut self.objects {
            o.properties = prefixed(std::mem::take(&mut o.properties));
        }
        self
    }

    /// What is accepted but worth a warning: defaults their own definitions would refuse.
    pub fn warnings(&self) -> Vec<String> {
        let objects = self
            .objects
            .iter()
            .flat_map(|o| o.properties.iter().map(move |p| (Some(&o.name), p)));
        self.properties
            .iter()
            .map(|p| (None, p))
            .chain(objects)
            .filter_map(|(object, (name, def))| {
                let why = default_problem(name, def)?;
                Some(match object {
                    Some(o) => format!("object {o:?}: {why}"),
                    None => why,
                })
            })
            .collect()
    }

    /// Checks the namespace and everything in it.
    pub fn check(&self) -> Result<(), Invalid> {
        self.namespace.check()?;
        for a in &self.resource_type_associations {
            a.check()?;
        }
        for (name, p) in &self.properties {
            check_property(name, p)?;
        }
        let mut seen = std::collections::BTreeSet::new();
        for o in &self.objects {
            o.check()?;
            if !seen.insert(&o.name) {
                return Err(invalid(format!("object {:?} is defined twice", o.name)));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for t in &self.tags {
            check_name("tags.name", &t.name, MAX_NAME)?;
            if !seen.insert(&t.name) {
                return Err(invalid(format!("tag {:?} is given twice", t.name)));
            }
        }
        Ok(())
    }
}

fn non_negative_int(p: &Map<String, Value>, key: &str, at: &str) -> Result<Option<u64>, Invalid> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| invalid(format!("'{at}.{key}' must be a whole number >= 0"))),
    }
}

/// Checks a property definition against Glance's property schema: `title` and `type` required,
/// known keys only, constraints of the right kind and consistent with each other.
pub fn check_property(name: &str, def: &Value) -> Result<(), Invalid> {
    check_name("name", name, MAX_NAME)?;
    let at = format!("properties.{name}");
    let p = def
        .as_object()
        .ok_or_else(|| invalid(format!("'{at}' must be an object")))?;
    if let Some(k) = p.keys().find(|k| !PROPERTY_KEYS.contains(&k.as_str())) {
        return Err(invalid(format!("'{at}' has an unknown key {k:?}")));
    }
    match p.get("title") {
        Some(Value::String(t)) if !t.is_empty() => {}
        _ => return Err(invalid(format!("'{at}.title' is required"))),
    }
    let kind = match p.get("type") {
        Some(Value::String(t)) if PROPERTY_TYPES.contains(&t.as_str()) => t.as_str(),
        Some(other) => {
            return Err(invalid(format!(
                "'{at}.type' must be one of {PROPERTY_TYPES:?}, not {other}"
            )))
        }
        None => return Err(invalid(format!("'{at}.type' is required"))),
    };
    if let Some(e) = p.get("enum") {
        let list = e
            .as_array()
            .ok_or_else(|| invalid(format!("'{at}.enum' must be a list")))?;
        for v in list {
            check_type(kind, v).map_err(|why| invalid(format!("'{at}.enum' value {v}: {why}")))?;
        }
    }
    for key in ["minimum", "maximum"] {
        if p.get(key).is_some_and(|v| !v.is_number()) {
            return Err(invalid(format!("'{at}.{key}' must be a number")));
        }
    }
    if let (Some(lo), Some(hi)) = (
        p.get("minimum").and_then(Value::as_f64),
        p.get("maximum").and_then(Value::as_f64),
    ) {
        if lo > hi {
            return Err(invalid(format!(
                "'{at}.minimum' is greater than its maximum"
            )));
        }
    }
    let min_len = non_negative_int(p, "minLength", &at)?;
    let max_len = non_negative_int(p, "maxLength", &at)?;
    if min_len.zip(max_len).is_some_and(|(lo, hi)| lo > hi) {
        return Err(invalid(format!(
            "'{at}.minLength' is greater than its maxLength"
        )));
    }
    let min_items = non_negative_int(p, "minItems", &at)?;
    let max_items = non_negative_int(p, "maxItems", &at)?;
    if min_items.zip(max_items).is_some_and(|(lo, hi)| lo > hi) {
        return Err(invalid(format!(
            "'{at}.minItems' is greater than its maxItems"
        )));
    }
    if p.get("pattern").is_some_and(|v| !v.is_string()) {
        return Err(invalid(format!("'{at}.pattern' must be a string")));
    }
    for key in ["readonly", "uniqueItems", "additionalItems"] {
        if p.get(key).is_some_and(|v| !v.is_boolean()) {
            return Err(invalid(format!("'{at}.{key}' must be true or false")));
        }
    }
    if let Some(ops) = p.get("operators") {
        let ok = ops.as_array().is_some_and(|a| {
            a.iter()
                .all(|o| o.as_str().is_some_and(|s| s.starts_with('<')))
        });
        if !ok {
            return Err(invalid(format!(
                "'{at}.operators' must be a list such as [\"<or>\", \"<all-in>\"]"
            )));
        }
    }
    if let Some(items) = p.get("items") {
        let items = items
            .as_object()
            .ok_or_else(|| invalid(format!("'{at}.items' must be an object")))?;
        if let Some(t) = items.get("type") {
            if !t.as_str().is_some_and(|t| PROPERTY_TYPES.contains(&t)) {
                return Err(invalid(format!("'{at}.items.type' is not a known type")));
            }
        }
        if items.get("enum").is_some_and(|e| !e.is_array()) {
            return Err(invalid(format!("'{at}.items.enum' must be a list")));
        }
    }
    Ok(())
}

/// A property's `default` that its own definition would refuse (e.g. not among its `enum`).
/// Glance stores such definitions (its shipped `software-databases.json` has one), so this is a
/// warning for the log and the editor, never a reason to refuse the definition.
pub fn default_problem(name: &str, def: &Value) -> Option<String> {
    let d = def.get("default")?;
    check_value(def, d)
        .err()
        .map(|why| format!("'properties.{name}.default' {d}: {why}"))
}

fn check_type(kind: &str, v: &Value) -> Result<(), String> {
    let ok = match kind {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("is not of type {kind}"))
    }
}

/// Checks a value against a property definition (type, enum, bounds, lengths, items). Pattern
/// checks are left to the caller that has a regex engine.
pub fn check_value(def: &Value, v: &Value) -> Result<(), String> {
    let kind = def.get("type").and_then(Value::as_str).unwrap_or("string");
    check_type(kind, v)?;
    if let Some(list) = def.get("enum").and_then(Value::as_array) {
        if !list.contains(v) {
            let names: Vec<String> = list.iter().map(|x| x.to_string()).collect();
            return Err(format!("must be one of {}", names.join(", ")));
        }
    }
    if let Some(n) = v.as_f64() {
        if let Some(lo) = def.get("minimum").and_then(Value::as_f64) {
            if n < lo {
                return Err(format!("must be at least {lo}"));
            }
        }
        if let Some(hi) = def.get("maximum").and_then(Value::as_f64) {
            if n > hi {
                return Err(format!("must be at most {hi}"));
            }
        }
    }
    if let Some(s) = v.as_str() {
        let n = s.chars().count() as u64;
        if let Some(lo) = def.get("minLength").and_then(Value::as_u64) {
            if n < lo {
                return Err(format!("must have at least {lo} characters"));
            }
        }
        if let Some(hi) = def.get("maxLength").and_then(Value::as_u64) {
            if n > hi {
                return Err(format!("must have at most {hi} characters"));
            }
        }
    }
    if let Some(items) = v.as_array() {
        let n = items.len() as u64;
        if def
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|lo| n < lo)
        {
            return Err("has too few items".into());
        }
        if def
            .get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|hi| n > hi)
        {
            return Err("has too many items".into());
        }
        if let Some(item_def) = def.get("items") {
            for i in items {
                check_value(item_def, i)?;
            }
        }
    }
    Ok(())
}

/// An array property's stored value, as Horizon writes it: `"<op> v1,v2"` (the operator only
/// when the definition has operators). Returns (operator, items).
pub fn parse_array_value(raw: &str) -> (Option<String>, Vec<String>) {
    let raw = raw.trim();
    let (op, rest) = match raw.strip_prefix('<').and_then(|r| r.split_once('>')) {
        Some((op, rest)) => (Some(format!("<{op}>")), rest),
        None => (None, raw),
    };
    let items = rest
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    (op, items)
}

/// The stored form of an array value (see [`parse_array_value`]).
pub fn format_array_value(op: Option<&str>, items: &[String]) -> String {
    match op {
        Some(op) => format!("{op} {}", items.join(",")),
        None => items.join(","),
    }
}

/// Checks an array value given as stored text: a known operator when the definition has
/// operators, then the items against the definition.
pub fn check_array_text(def: &Value, raw: &str) -> Result<(), String> {
    let (op, items) = parse_array_value(raw);
    if let Some(ops) = def.get("operators").and_then(Value::as_array) {
        let known: Vec<&str> = ops.iter().filter_map(Value::as_str).collect();
        match op.as_deref() {
            Some(o) if known.contains(&o) => {}
            _ => return Err(format!("needs one of the operators {}", known.join(", "))),
        }
    }
    let v = Value::Array(items.into_iter().map(Value::String).collect());
    check_value(def, &v)
}

/// Who may read a namespace: public ones everyone, private ones their owner project and admins.
pub fn can_see_namespace(actor: &Actor, ns: &Namespace) -> Decision {
    if ns.visibility == "public"
        || actor.is_admin()
        || ns.owner.as_deref() == Some(actor.project_id.as_str())
    {
        Decision::Allow
    } else {
        Decision::Hidden
    }
}

/// Writes (create, update, delete of namespaces and everything in them) are for admins, as in
/// Glance's default policy.
pub fn can_write_metadefs(actor: &Actor) -> Decision {
    if actor.is_admin() {
        Decision::Allow
    } else {
        Decision::Forbidden("Only administrators can change metadata definitions.".into())
    }
}

/// A protected namespace and what it holds refuse deletion.
pub fn can_delete_in(ns: &Namespace, what: &str) -> Decision {
    if ns.protected {
        Decision::Forbidden(format!(
            "Namespace {} is protected: unprotect it before deleting {what}.",
            ns.namespace
        ))
    } else {
        Decision::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn property_definitions_follow_glances_schema() {
        let ok =
            json!({"title": "Cores", "type": "integer", "minimum": 1, "maximum": 8, "default": 2});
        assert_eq!(check_property("cores", &ok), Ok(()));
        let cases = [
            (
                json!({"type": "string"}),
                "'properties.p.title' is required",
            ),
            (json!({"title": "P"}), "'properties.p.type' is required"),
            (json!({"title": "P", "type": "text"}), "must be one of"),
            (
                json!({"title": "P", "type": "string", "colour": 1}),
                "unknown key \"colour\"",
            ),
            (
                json!({"title": "P", "type": "integer", "enum": [1, "two"]}),
                "'properties.p.enum' value \"two\"",
            ),
            (
                json!({"title": "P", "type": "string", "minLength": 5, "maxLength": 2}),
                "minLength' is greater",
            ),
            (
                json!({"title": "P", "type": "string", "minLength": -1}),
                "'properties.p.minLength' must be a whole number",
            ),
            (
                json!({"title": "P", "type": "array", "operators": ["or"]}),
                "'properties.p.operators'",
            ),
        ];
        for (def, want) in cases {
            let got = check_property("p", &def).unwrap_err().0;
            assert!(got.contains(want), "{def}: {got}");
        }
    }

    #[test]
    fn a_default_its_definition_refuses_is_a_warning_not_an_error() {
        // As in Glance's software-databases.json: the default is not one of the enum values.
        let edition = json!({"title": "Edition", "type": "string", "enum": ["SE", "EE"], "default": "Express"});
        let cores = json!({"title": "P", "type": "integer", "maximum": 3, "default": 9});
        assert_eq!(check_property("edition", &edition), Ok(()));
        assert_eq!(check_property("p", &cores), Ok(()));
        assert_eq!(
            default_problem("p", &cores).as_deref(),
            Some("'properties.p.default' 9: must be at most 3")
        );
        assert_eq!(
            default_problem(
                "ok",
                &json!({"title": "T", "type": "integer", "default": 2})
            ),
            None
        );
        let doc: NamespaceFile = serde_json::from_value(json!({
            "namespace": "OS::Software::DBMS",
            "properties": {"p": cores},
            "objects": [{"name": "Oracle", "properties": {"edition": edition}}]
        }))
        .unwrap();
        assert_eq!(doc.check(), Ok(()));
        assert_eq!(
            doc.warnings(),
            vec![
                "'properties.p.default' 9: must be at most 3".to_string(),
                "object \"Oracle\": 'properties.edition.default' \"Express\": must be one of \"SE\", \"EE\"".to_string(),
            ]
        );
    }

    #[test]
    fn values_are_checked_against_their_definition() {
        let def = json!({"title": "F", "type": "string", "enum": ["small", "large"]});
        assert_eq!(check_value(&def, &json!("small")), Ok(()));
        assert_eq!(
            check_value(&def, &json!("tiny")).unwrap_err(),
            "must be one of \"small\", \"large\""
        );
        let text = json!({"title": "L", "type": "string", "minLength": 2, "maxLength": 3});
        assert!(check_value(&text, &json!("a"))
            .unwrap_err()
            .contains("at least 2"));
        assert!(check_value(&text, &json!("abcd"))
            .unwrap_err()
            .contains("at most 3"));
        assert!(check_value(&json!({"type": "integer"}), &json!(1.5))
            .unwrap_err()
            .contains("integer"));
    }

    #[test]
    fn array_values_carry_their_operator() {
        let def = json!({"title": "Z", "type": "array", "operators": ["<in>", "<or>"],
                         "items": {"type": "string", "enum": ["a", "b", "c"]}, "maxItems": 2});
        assert_eq!(
            parse_array_value("<or> a, c"),
            (Some("<or>".into()), vec!["a".into(), "c".into()])
        );
        assert_eq!(
            format_array_value(Some("<in>"), &["a".into(), "b".into()]),
            "<in> a,b"
        );
        assert_eq!(check_array_text(&def, "<or> a,c"), Ok(()));
        assert!(check_array_text(&def, "a,c")
            .unwrap_err()
            .contains("operators <in>, <or>"));
        assert!(check_array_text(&def, "<all-in> a")
            .unwrap_err()
            .contains("operators"));
        assert!(check_array_text(&def, "<in> a,d")
            .unwrap_err()
            .contains("must be one of"));
        assert!(check_array_text(&def, "<in> a,b,c")
            .unwrap_err()
            .contains("too many"));
        let plain = json!({"title": "T", "type": "array"});
        assert_eq!(check_array_text(&plain, "x,y"), Ok(()));
    }

    #[test]
    fn namespace_files_and_access() {
        let doc: NamespaceFile = serde_json::from_value(json!({
            "namespace": "N", "objects": [{"name": "O", "required": ["x"], "properties": {"x": {"title": "X", "type": "string"}}}],
            "tags": [{"name": "t"}, {"name": "t"}]
        }))
        .unwrap();
        assert_eq!(doc.namespace.visibility, "private");
        assert_eq!(doc.check().unwrap_err().0, "tag \"t\" is given twice");
        let o = &doc.objects[0];
        assert_eq!(o.body()["required"], json!(["x"]));
        assert!(o.body().get("name").is_none());
        assert!(Namespace {
            namespace: "x".repeat(81),
            ..doc.namespace.clone()
        }
        .check()
        .is_err());
        let locked = Namespace {
            protected: true,
            ..doc.namespace.clone()
        };
        assert!(!can_delete_in(&locked, "it").is_allowed());
        assert!(can_delete_in(&doc.namespace, "it").is_allowed());
    }
}
