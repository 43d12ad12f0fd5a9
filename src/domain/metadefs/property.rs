//! Property definitions: the JSON-schema subset Glance's metadefs use (types, enums, bounds,
//! arrays), checked when a definition is stored and when a value is set on an image (the
//! Update Metadata editor runs the same checks in the browser).

use super::*;

pub(super) fn non_negative_int(
    p: &Map<String, Value>,
    key: &str,
    at: &str,
) -> Result<Option<u64>, Invalid> {
    match p.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| Invalid::NotWholeNumber(format!("{at}.{key}"))),
    }
}

/// Checks a property definition against Glance's property schema: `title` and `type` required,
/// known keys only, constraints of the right kind and consistent with each other.
pub fn check_property(name: &str, def: &Value) -> Result<(), Invalid> {
    check_name("name", name, MAX_NAME)?;
    let at = format!("properties.{name}");
    let p = def
        .as_object()
        .ok_or_else(|| Invalid::NotAnObject(at.clone()))?;
    if let Some(k) = p.keys().find(|k| !PROPERTY_KEYS.contains(&k.as_str())) {
        return Err(Invalid::UnknownKey { at, key: k.clone() });
    }
    match p.get("title") {
        Some(Value::String(t)) if !t.is_empty() => {}
        _ => return Err(Invalid::Required(format!("{at}.title"))),
    }
    let kind = match p.get("type") {
        Some(Value::String(t)) if PROPERTY_TYPES.contains(&t.as_str()) => t.as_str(),
        Some(other) => {
            return Err(Invalid::BadType {
                at: format!("{at}.type"),
                found: other.to_string(),
            })
        }
        None => return Err(Invalid::Required(format!("{at}.type"))),
    };
    if let Some(e) = p.get("enum") {
        let list = e
            .as_array()
            .ok_or_else(|| Invalid::NotAList(format!("{at}.enum")))?;
        for v in list {
            check_type(kind, v).map_err(|problem| Invalid::EnumValue {
                at: format!("{at}.enum"),
                value: v.to_string(),
                problem,
            })?;
        }
    }
    for key in ["minimum", "maximum"] {
        if p.get(key).is_some_and(|v| !v.is_number()) {
            return Err(Invalid::NotANumber(format!("{at}.{key}")));
        }
    }
    if let (Some(lo), Some(hi)) = (
        p.get("minimum").and_then(Value::as_f64),
        p.get("maximum").and_then(Value::as_f64),
    ) {
        if lo > hi {
            return Err(bounds(&at, "minimum", "maximum"));
        }
    }
    let min_len = non_negative_int(p, "minLength", &at)?;
    let max_len = non_negative_int(p, "maxLength", &at)?;
    if min_len.zip(max_len).is_some_and(|(lo, hi)| lo > hi) {
        return Err(bounds(&at, "minLength", "maxLength"));
    }
    let min_items = non_negative_int(p, "minItems", &at)?;
    let max_items = non_negative_int(p, "maxItems", &at)?;
    if min_items.zip(max_items).is_some_and(|(lo, hi)| lo > hi) {
        return Err(bounds(&at, "minItems", "maxItems"));
    }
    if p.get("pattern").is_some_and(|v| !v.is_string()) {
        return Err(Invalid::NotAString(format!("{at}.pattern")));
    }
    for key in ["readonly", "uniqueItems", "additionalItems"] {
        if p.get(key).is_some_and(|v| !v.is_boolean()) {
            return Err(Invalid::NotABoolean(format!("{at}.{key}")));
        }
    }
    if let Some(ops) = p.get("operators") {
        let ok = ops.as_array().is_some_and(|a| {
            a.iter()
                .all(|o| o.as_str().is_some_and(|s| s.starts_with('<')))
        });
        if !ok {
            return Err(Invalid::BadOperators(format!("{at}.operators")));
        }
    }
    if let Some(items) = p.get("items") {
        let items = items
            .as_object()
            .ok_or_else(|| Invalid::NotAnObject(format!("{at}.items")))?;
        if let Some(t) = items.get("type") {
            if !t.as_str().is_some_and(|t| PROPERTY_TYPES.contains(&t)) {
                return Err(Invalid::UnknownType(format!("{at}.items.type")));
            }
        }
        if items.get("enum").is_some_and(|e| !e.is_array()) {
            return Err(Invalid::NotAList(format!("{at}.items.enum")));
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

fn bounds(at: &str, low: &str, high: &str) -> Invalid {
    Invalid::Bounds {
        at: at.into(),
        low: low.into(),
        high: high.into(),
    }
}

pub(super) fn check_type(kind: &str, v: &Value) -> Result<(), ValueProblem> {
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
        Err(ValueProblem::NotOfType(kind.into()))
    }
}

/// Checks a value against a property definition (type, enum, bounds, lengths, items). Pattern
/// checks are left to the caller that has a regex engine.
pub fn check_value(def: &Value, v: &Value) -> Result<(), ValueProblem> {
    let kind = def.get("type").and_then(Value::as_str).unwrap_or("string");
    check_type(kind, v)?;
    if let Some(list) = def.get("enum").and_then(Value::as_array) {
        if !list.contains(v) {
            let names: Vec<String> = list.iter().map(|x| x.to_string()).collect();
            return Err(ValueProblem::NotOneOf(names));
        }
    }
    if let Some(n) = v.as_f64() {
        if let Some(lo) = def.get("minimum").and_then(Value::as_f64) {
            if n < lo {
                return Err(ValueProblem::AtLeast(lo.to_string()));
            }
        }
        if let Some(hi) = def.get("maximum").and_then(Value::as_f64) {
            if n > hi {
                return Err(ValueProblem::AtMost(hi.to_string()));
            }
        }
    }
    if let Some(s) = v.as_str() {
        let n = s.chars().count() as u64;
        if let Some(lo) = def.get("minLength").and_then(Value::as_u64) {
            if n < lo {
                return Err(ValueProblem::MinChars(lo));
            }
        }
        if let Some(hi) = def.get("maxLength").and_then(Value::as_u64) {
            if n > hi {
                return Err(ValueProblem::MaxChars(hi));
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
            return Err(ValueProblem::TooFewItems);
        }
        if def
            .get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|hi| n > hi)
        {
            return Err(ValueProblem::TooManyItems);
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
pub fn check_array_text(def: &Value, raw: &str) -> Result<(), ValueProblem> {
    let (op, items) = parse_array_value(raw);
    if let Some(ops) = def.get("operators").and_then(Value::as_array) {
        let known: Vec<&str> = ops.iter().filter_map(Value::as_str).collect();
        match op.as_deref() {
            Some(o) if known.contains(&o) => {}
            _ => {
                return Err(ValueProblem::NeedsOperator(
                    known.iter().map(|o| o.to_string()).collect(),
                ))
            }
        }
    }
    let v = Value::Array(items.into_iter().map(Value::String).collect());
    check_value(def, &v)
}
