//! Property protections (Glance's `property_protection_file`): which roles, or which policy
//! rules, may create, read, update and delete the image properties whose keys match each section's
//! regular expression. Sections are tried in file order and the first match decides; a key no
//! section matches is refused everything. Parsed and checked when the server starts.

use crate::domain::identity::Role;
use crate::domain::policy::{Actor, Membership};
use crate::domain::policy_rules::{Expr, PolicyOverrides, Target};
use serde::{Deserialize, Serialize};

/// What is done to a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PropertyOp {
    /// Add a key the image does not have.
    Create,
    /// See the key and its value.
    Read,
    /// Change the value of a key the image has.
    Update,
    /// Remove a key the image has.
    Delete,
}

impl PropertyOp {
    /// Every operation, in the file's order.
    pub const ALL: [PropertyOp; 4] = [
        PropertyOp::Create,
        PropertyOp::Read,
        PropertyOp::Update,
        PropertyOp::Delete,
    ];

    /// The operation's name in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            PropertyOp::Create => "create",
            PropertyOp::Read => "read",
            PropertyOp::Update => "update",
            PropertyOp::Delete => "delete",
        }
    }
}

/// How the file names who may do an operation (`property_protection_rule_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RuleFormat {
    /// Comma-separated role names.
    #[default]
    Roles,
    /// One policy rule name (defined in the policy file, or `default` / `context_is_admin`).
    Policies,
}

/// Who may do one operation.
#[derive(Debug, Clone, PartialEq)]
enum Who {
    /// `@`: everyone.
    Everyone,
    /// `!` or an empty value: nobody.
    Nobody,
    /// Any of these roles (lower-cased; names Glimpse has no role for match nobody).
    Roles(Vec<String>),
    /// The policy rule of this name.
    Policy(String),
}

#[derive(Debug, Clone)]
struct Section {
    pattern: regex::Regex,
    /// Create, read, update, delete.
    ops: [Who; 4],
}

/// The parsed file.
#[derive(Debug, Clone)]
pub struct PropertyProtections {
    sections: Vec<Section>,
}

/// Keys Glimpse itself writes (`os_glance_*`), open to everyone whatever the file says, as
/// Glance injects an `[os_glance.*]` section ahead of the operator's.
fn internal(key: &str) -> bool {
    key.starts_with("os_glance")
}

impl PropertyProtections {
    /// Parses a protection file (INI: `[regex]` sections with `create`, `read`, `update` and
    /// `delete`, `#` and `;` comments). Errors name the line.
    pub fn parse(text: &str, format: RuleFormat) -> Result<PropertyProtections, String> {
        struct Raw {
            line: usize,
            name: String,
            ops: [Option<String>; 4],
        }
        let mut raw: Vec<Raw> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let n = n + 1;
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
                continue;
            }
            if let Some(name) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                if raw.iter().any(|r| r.name == name) {
                    return Err(format!("line {n}: section [{name}] appears twice"));
                }
                raw.push(Raw {
                    line: n,
                    name: name.to_string(),
                    ops: Default::default(),
                });
                continue;
            }
            let Some(section) = raw.last_mut() else {
                return Err(format!("line {n}: '{t}' comes before any [section]"));
            };
            let (k, v) = t
                .split_once(['=', ':'])
                .ok_or_else(|| format!("line {n}: expected 'operation = who', got '{t}'"))?;
            let k = k.trim().to_ascii_lowercase();
            let op = PropertyOp::ALL
                .iter()
                .position(|o| o.as_str() == k)
                .ok_or_else(|| {
                    format!(
                        "line {n}: unknown operation '{k}' in [{}]: use create, read, update and delete",
                        section.name
                    )
                })?;
            if section.ops[op].is_some() {
                return Err(format!("line {n}: '{k}' given twice in [{}]", section.name));
            }
            section.ops[op] = Some(v.trim().to_string());
        }
        let mut sections = Vec::new();
        for r in raw {
            // Glance injects its own section for these keys and drops the operator's.
            if r.name.starts_with("os_glance") {
                continue;
            }
            let pattern = regex::Regex::new(&r.name).map_err(|e| {
                format!(
                    "line {}: [{}] is not a regular expression: {e}",
                    r.line, r.name
                )
            })?;
            let mut ops: [Who; 4] = std::array::from_fn(|_| Who::Nobody);
            for (i, v) in r.ops.into_iter().enumerate() {
                let op = PropertyOp::ALL[i].as_str();
                let v = v.ok_or_else(|| {
                    format!(
                        "line {}: [{}] does not say who may {op} (each section needs create, read, update and delete)",
                        r.line, r.name
                    )
                })?;
                ops[i] = who(&v, format)
                    .map_err(|e| format!("line {}: [{}] {op}: {e}", r.line, r.name))?;
            }
            sections.push(Section { pattern, ops });
        }
        Ok(PropertyProtections { sections })
    }

    /// The policy rule names the file refers to (the policy file must define them, except
    /// `default` and `context_is_admin`, which have Glance's defaults).
    pub fn policy_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .sections
            .iter()
            .flat_map(|s| s.ops.iter())
            .filter_map(|w| match w {
                Who::Policy(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Checks that every policy name resolves in `overrides` or is a built-in one.
    pub fn check_policies(&self, overrides: &PolicyOverrides) -> Result<(), String> {
        for name in self.policy_names() {
            if builtin(&name).is_none() && !overrides.defines(&name) {
                return Err(format!(
                    "the property protection file names policy rule '{name}', which the policy file does not define"
                ));
            }
        }
        Ok(())
    }

    /// Whether `actor` may do `op` on the property `key` (policies evaluated with `overrides`).
    pub fn allows(
        &self,
        key: &str,
        op: PropertyOp,
        actor: &Actor,
        overrides: &PolicyOverrides,
    ) -> bool {
        if internal(key) {
            return true;
        }
        let Some(section) = self.sections.iter().find(|s| s.pattern.is_match(key)) else {
            return false;
        };
        match &section.ops[op as usize] {
            Who::Everyone => true,
            Who::Nobody => false,
            Who::Roles(roles) => roles
                .iter()
                .any(|r| Role::parse(r).is_some_and(|r| actor.has_role(r))),
            Who::Policy(name) => {
                let target = Target {
                    actor,
                    image: None,
                    membership: Membership::None,
                };
                match builtin(name) {
                    Some(e) if !overrides.defines(name) => overrides.eval(&e, &target),
                    _ => overrides.check_named(name, &target).unwrap_or(false),
                }
            }
        }
    }
}

/// Glance's defaults for the rules a protection file may name without defining them.
fn builtin(name: &str) -> Option<Expr> {
    match name {
        "default" => Some(Expr::Always),
        "context_is_admin" => Some(Expr::Role("admin".into())),
        _ => None,
    }
}

fn who(v: &str, format: RuleFormat) -> Result<Who, String> {
    if v.is_empty() {
        // Glance warns and lets nobody do it.
        return Ok(Who::Nobody);
    }
    match format {
        RuleFormat::Policies => {
            if v.contains(',') {
                return Err(format!(
                    "'{v}' names several policies; name one (combine them in the policy file)"
                ));
            }
            Ok(match v {
                "@" => Who::Everyone,
                "!" => Who::Nobody,
                _ => Who::Policy(v.to_string()),
            })
        }
        RuleFormat::Roles => {
            let roles: Vec<String> = v
                .split(',')
                .map(|r| r.trim().to_ascii_lowercase())
                .filter(|r| !r.is_empty())
                .collect();
            let all = roles.iter().any(|r| r == "@");
            let none = roles.iter().any(|r| r == "!");
            match (all, none) {
                (true, true) => Err(format!("'{v}': '@' and '!' are mutually exclusive")),
                (true, false) => Ok(Who::Everyone),
                (false, true) => Ok(Who::Nobody),
                (false, false) => Ok(Who::Roles(roles)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor::random_with(&[role])
    }

    /// Glance's `etc/property-protections-roles.conf.sample`, comments removed.
    const ROLES_SAMPLE: &str = "[^x_.*]\ncreate = admin,member,_member_\nread = admin,member,_member_\nupdate = admin,member,_member_\ndelete = admin,member,_member_\n\n[.*]\ncreate = admin\nread = admin\nupdate = admin\ndelete = admin\n";
    /// Glance's `etc/property-protections-policies.conf.sample`, comments removed.
    const POLICIES_SAMPLE: &str = "[^x_.*]\ncreate = default\nread = default\nupdate = default\ndelete = default\n\n[.*]\ncreate = context_is_admin\nread = context_is_admin\nupdate = context_is_admin\ndelete = context_is_admin\n";

    #[test]
    fn the_samples_give_x_keys_to_members_and_the_rest_to_admins() {
        let none = PolicyOverrides::default();
        for (text, format) in [
            (ROLES_SAMPLE, RuleFormat::Roles),
            (POLICIES_SAMPLE, RuleFormat::Policies),
        ] {
            let p = PropertyProtections::parse(text, format).unwrap();
            p.check_policies(&none).unwrap();
            let (admin, member) = (actor(Role::Admin), actor(Role::Member));
            for op in PropertyOp::ALL {
                assert!(
                    p.allows("x_billing", op, &member, &none),
                    "{format:?} {op:?}"
                );
                assert!(p.allows("x_billing", op, &admin, &none));
                assert!(
                    !p.allows("hw_cpu_cores", op, &member, &none),
                    "{format:?} {op:?}"
                );
                assert!(p.allows("hw_cpu_cores", op, &admin, &none));
                assert!(p.allows("os_glance_import_task", op, &member, &none));
            }
            // A reader has no member role: with roles it gets nothing; `default` lets anyone.
            let reader = actor(Role::Reader);
            assert_eq!(
                p.allows("x_billing", PropertyOp::Read, &reader, &none),
                format == RuleFormat::Policies
            );
        }
    }

    #[test]
    fn the_first_matching_section_decides_and_unmatched_keys_are_refused() {
        let text = "[^hw_]\ncreate = !\nread = @\nupdate = admin\ndelete = !\n[^hw_cpu]\ncreate = @\nread = @\nupdate = @\ndelete = @\n[^x_]\ncreate=member\nread=reader\nupdate: member\ndelete =\n";
        let p = PropertyProtections::parse(text, RuleFormat::Roles).unwrap();
        let (m, a) = (actor(Role::Member), actor(Role::Admin));
        let none = PolicyOverrides::default();
        assert!(!p.allows("hw_cpu_cores", PropertyOp::Create, &a, &none));
        assert!(p.allows("hw_cpu_cores", PropertyOp::Read, &m, &none));
        assert!(!p.allows("hw_cpu_cores", PropertyOp::Update, &m, &none));
        assert!(p.allows("hw_cpu_cores", PropertyOp::Update, &a, &none));
        assert!(p.allows("x_a", PropertyOp::Read, &actor(Role::Reader), &none));
        assert!(
            !p.allows("x_a", PropertyOp::Delete, &a, &none),
            "empty: nobody"
        );
        assert!(
            !p.allows("description", PropertyOp::Read, &a, &none),
            "no section"
        );
    }

    #[test]
    fn policies_come_from_the_policy_file() {
        let text = "[^lic_]\ncreate = licensing\nread = @\nupdate = licensing\ndelete = !\n";
        let p = PropertyProtections::parse(text, RuleFormat::Policies).unwrap();
        assert_eq!(p.policy_names(), ["licensing"]);
        let e = p.check_policies(&PolicyOverrides::default()).unwrap_err();
        assert!(e.contains("'licensing'"), "{e}");
        let o =
            PolicyOverrides::parse_file_with("licensing: role:admin\n", &p.policy_names()).unwrap();
        p.check_policies(&o).unwrap();
        assert!(p.allows("lic_x", PropertyOp::Create, &actor(Role::Admin), &o));
        assert!(!p.allows("lic_x", PropertyOp::Create, &actor(Role::Member), &o));
        assert!(p.allows("lic_x", PropertyOp::Read, &actor(Role::Member), &o));
    }

    #[test]
    fn bad_files_stop_the_start_with_the_line() {
        for (text, format, why) in [
            (
                "[x]\ncreate = @\nread = @\nupdate = @\n",
                RuleFormat::Roles,
                "line 1: [x] does not say who may delete",
            ),
            (
                "[x]\ncreate = @\nread = @\nupdate = @\ndelet = @\n",
                RuleFormat::Roles,
                "line 5: unknown operation 'delet'",
            ),
            (
                "[x(]\ncreate = @\nread = @\nupdate = @\ndelete = @\n",
                RuleFormat::Roles,
                "line 1: [x(] is not a regular expression",
            ),
            (
                "[x]\ncreate = @,!\nread = @\nupdate = @\ndelete = @\n",
                RuleFormat::Roles,
                "mutually exclusive",
            ),
            (
                "[x]\ncreate = a,b\nread = @\nupdate = @\ndelete = @\n",
                RuleFormat::Policies,
                "several policies",
            ),
            (
                "create = @\n",
                RuleFormat::Roles,
                "line 1: 'create = @' comes before any [section]",
            ),
            (
                "[x]\ncreate = @\ncreate = @\n",
                RuleFormat::Roles,
                "line 3: 'create' given twice",
            ),
            (
                "[x]\n[x]\n",
                RuleFormat::Roles,
                "line 2: section [x] appears twice",
            ),
        ] {
            let e = PropertyProtections::parse(text, format).unwrap_err();
            assert!(e.contains(why), "{text:?}: {e}");
        }
    }
}
