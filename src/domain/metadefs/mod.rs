//! Metadata definitions (Glance's metadefs): namespaces, their resource-type associations,
//! properties, objects and tags; the field rules Glance applies to each, the property schema
//! (types and constraints) with a checker for values, who may read and write them, and the
//! one-namespace-per-file JSON format operators load with `glimpse metadefs load`.

use crate::domain::ids::ProjectId;
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
    #[serde(default)]
    pub visibility: NamespaceVisibility,
    /// Protected namespaces (and what they hold) cannot be deleted.
    #[serde(default)]
    pub protected: bool,
    /// The owner project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<NamespaceOwner>,
}

/// A namespace's owner: a project id, or in catalog files a project name such as "admin" (Glance
/// keeps any string of up to 255 characters there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NamespaceOwner(String);

impl NamespaceOwner {
    /// Owned by `project`.
    pub fn project(project: &ProjectId) -> NamespaceOwner {
        NamespaceOwner(project.to_string())
    }

    /// As stored (validated when it was written).
    pub fn from_stored(owner: String) -> NamespaceOwner {
        NamespaceOwner(owner)
    }

    /// Whether `project` owns the namespace.
    pub fn is(&self, project: &ProjectId) -> bool {
        self.0 == project.as_str()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for NamespaceOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who sees a namespace: everyone, or its owner project and admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum NamespaceVisibility {
    /// Everyone.
    Public,
    /// The owner project and admins (Glance's default).
    #[default]
    Private,
}

impl NamespaceVisibility {
    /// Glance's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NamespaceVisibility::Public => "public",
            NamespaceVisibility::Private => "private",
        }
    }
}

impl TryFrom<String> for NamespaceVisibility {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "public" => Ok(NamespaceVisibility::Public),
            "private" => Ok(NamespaceVisibility::Private),
            _ => Err(format!("'visibility' must be public or private, not {s:?}")),
        }
    }
}

impl From<NamespaceVisibility> for String {
    fn from(v: NamespaceVisibility) -> String {
        v.as_str().into()
    }
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

/// A definition that breaks Glance's rules (typed, so the dashboard words it in the user's
/// language; `Display` gives the API's words). `at` is a field's path, such as
/// `properties.cpu.minimum`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Invalid {
    /// An empty name.
    #[error("'{field}' must not be empty")]
    Empty { field: String },
    /// A name over its limit.
    #[error("'{field}' is too long: {n} characters, at most {max}")]
    TooLong { field: String, n: usize, max: usize },
    /// Another field over its limit.
    #[error("'{field}' is longer than {max} characters")]
    LongerThan { field: String, max: usize },
    /// `required` names a property the object lacks.
    #[error("'required' names {0:?}, which is not one of the object's properties")]
    RequiredUnknown(String),
    /// Two objects of one name.
    #[error("object {0:?} is defined twice")]
    ObjectTwice(String),
    /// Two tags of one name.
    #[error("tag {0:?} is given twice")]
    TagTwice(String),
    /// A count that is not a whole number >= 0.
    #[error("'{0}' must be a whole number >= 0")]
    NotWholeNumber(String),
    /// Not a JSON object.
    #[error("'{0}' must be an object")]
    NotAnObject(String),
    /// A key Glance's property schema lacks.
    #[error("'{at}' has an unknown key {key:?}")]
    UnknownKey { at: String, key: String },
    /// A required field is missing.
    #[error("'{0}' is required")]
    Required(String),
    /// A type that is not one of Glance's.
    #[error("'{at}' must be one of {:?}, not {found}", PROPERTY_TYPES)]
    BadType { at: String, found: String },
    /// Not a JSON list.
    #[error("'{0}' must be a list")]
    NotAList(String),
    /// An `enum` value its own definition refuses.
    #[error("'{at}' value {value}: {problem}")]
    EnumValue {
        at: String,
        value: String,
        problem: ValueProblem,
    },
    /// Not a number.
    #[error("'{0}' must be a number")]
    NotANumber(String),
    /// A lower bound above its upper bound (`low`, `high`: the two keys).
    #[error("'{at}.{low}' is greater than its {high}")]
    Bounds {
        at: String,
        low: String,
        high: String,
    },
    /// Not a string.
    #[error("'{0}' must be a string")]
    NotAString(String),
    /// Not true or false.
    #[error("'{0}' must be true or false")]
    NotABoolean(String),
    /// Operators that are not a list of `<op>` words.
    #[error("'{0}' must be a list such as [\"<or>\", \"<all-in>\"]")]
    BadOperators(String),
    /// An item type that is not one of Glance's.
    #[error("'{0}' is not a known type")]
    UnknownType(String),
}

/// Why a value does not fit its property definition (typed as [`Invalid`] is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ValueProblem {
    /// The wrong JSON type (`kind` is the definition's type).
    #[error("is not of type {0}")]
    NotOfType(String),
    /// Not among the definition's `enum` (the allowed values, as JSON).
    #[error("must be one of {}", .0.join(", "))]
    NotOneOf(Vec<String>),
    /// Below `minimum`.
    #[error("must be at least {0}")]
    AtLeast(String),
    /// Above `maximum`.
    #[error("must be at most {0}")]
    AtMost(String),
    /// Shorter than `minLength`.
    #[error("must have at least {0} characters")]
    MinChars(u64),
    /// Longer than `maxLength`.
    #[error("must have at most {0} characters")]
    MaxChars(u64),
    /// Fewer items than `minItems`.
    #[error("has too few items")]
    TooFewItems,
    /// More items than `maxItems`.
    #[error("has too many items")]
    TooManyItems,
    /// An array value without one of the definition's operators.
    #[error("needs one of the operators {}", .0.join(", "))]
    NeedsOperator(Vec<String>),
    /// A form's text that is not a whole number.
    #[error("must be a whole number")]
    NotWhole,
    /// A form's text that is not a number.
    #[error("must be a number")]
    NotNumeric,
    /// A form's text that is not true or false.
    #[error("must be true or false")]
    NotTrueOrFalse,
}

/// Checks a name-like field: 1 to `max` characters.
pub fn check_name(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    let n = value.chars().count();
    if n == 0 {
        return Err(Invalid::Empty {
            field: field.into(),
        });
    }
    if n > max {
        return Err(Invalid::TooLong {
            field: field.into(),
            n,
            max,
        });
    }
    Ok(())
}

impl Namespace {
    /// Checks every field.
    pub fn check(&self) -> Result<(), Invalid> {
        check_name("namespace", &self.namespace, MAX_NAME)?;
        if let Some(d) = &self.display_name {
            if d.chars().count() > MAX_NAME {
                return Err(Invalid::LongerThan {
                    field: "display_name".into(),
                    max: MAX_NAME,
                });
            }
        }
        if let Some(d) = &self.description {
            if d.chars().count() > MAX_DESCRIPTION {
                return Err(Invalid::LongerThan {
                    field: "description".into(),
                    max: MAX_DESCRIPTION,
                });
            }
        }
        if self
            .owner
            .as_ref()
            .is_some_and(|o| o.0.chars().count() > 255)
        {
            return Err(Invalid::LongerThan {
                field: "owner".into(),
                max: 255,
            });
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
                return Err(Invalid::LongerThan {
                    field: field.into(),
                    max: MAX_NAME,
                });
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
            return Err(Invalid::RequiredUnknown(r.clone()));
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
                return Err(Invalid::ObjectTwice(o.name.clone()));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for t in &self.tags {
            check_name("tags.name", &t.name, MAX_NAME)?;
            if !seen.insert(&t.name) {
                return Err(Invalid::TagTwice(t.name.clone()));
            }
        }
        Ok(())
    }
}

mod access;
mod property;
#[cfg(test)]
mod tests;

pub use access::*;
pub use property::*;
