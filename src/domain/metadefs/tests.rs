//! Namespace files, property definitions and values, and access rules.

use super::*;
use crate::domain::reason::NamespacePart;
use serde_json::json;

#[test]
fn property_definitions_follow_glances_schema() {
    let ok = json!({"title": "Cores", "type": "integer", "minimum": 1, "maximum": 8, "default": 2});
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
        let got = check_property("p", &def).unwrap_err().to_string();
        assert!(got.contains(want), "{def}: {got}");
    }
}

#[test]
fn a_default_its_definition_refuses_is_a_warning_not_an_error() {
    // As in Glance's software-databases.json: the default is not one of the enum values.
    let edition =
        json!({"title": "Edition", "type": "string", "enum": ["SE", "EE"], "default": "Express"});
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
        check_value(&def, &json!("tiny")).unwrap_err().to_string(),
        "must be one of \"small\", \"large\""
    );
    let text = json!({"title": "L", "type": "string", "minLength": 2, "maxLength": 3});
    assert!(check_value(&text, &json!("a"))
        .unwrap_err()
        .to_string()
        .contains("at least 2"));
    assert!(check_value(&text, &json!("abcd"))
        .unwrap_err()
        .to_string()
        .contains("at most 3"));
    assert!(check_value(&json!({"type": "integer"}), &json!(1.5))
        .unwrap_err()
        .to_string()
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
        .to_string()
        .contains("operators <in>, <or>"));
    assert!(check_array_text(&def, "<all-in> a")
        .unwrap_err()
        .to_string()
        .contains("operators"));
    assert!(check_array_text(&def, "<in> a,d")
        .unwrap_err()
        .to_string()
        .contains("must be one of"));
    assert!(check_array_text(&def, "<in> a,b,c")
        .unwrap_err()
        .to_string()
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
    assert_eq!(doc.namespace.visibility, NamespaceVisibility::Private);
    assert_eq!(
        doc.check().unwrap_err().to_string(),
        "tag \"t\" is given twice"
    );
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
    assert!(!can_delete_in(&locked, NamespacePart::Itself).is_allowed());
    assert!(can_delete_in(&doc.namespace, NamespacePart::Itself).is_allowed());
}

#[test]
fn namespace_visibility_is_typed() {
    let ns: Namespace =
        serde_json::from_str(r#"{"namespace": "a", "visibility": "public"}"#).unwrap();
    assert_eq!(ns.visibility, NamespaceVisibility::Public);
    assert_eq!(serde_json::to_value(ns).unwrap()["visibility"], "public");
    let bad = serde_json::from_str::<Namespace>(r#"{"namespace": "a", "visibility": "shared"}"#)
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("'visibility' must be public or private"),
        "{bad}"
    );
}
