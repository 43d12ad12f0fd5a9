//! Operator overrides of the image policy: a policy file maps Glance rule names to oslo.policy
//! expressions (`role:admin or (role:member and project_id:%(owner)s)`, `rule:name`, `@`, `!`,
//! `not`, `'public':%(visibility)s`). Parsed and checked when the server starts: an unknown rule
//! name or a bad expression is an error then, never a silent allow.

use crate::domain::identity::Role;
use crate::domain::image::Image;
use crate::domain::policy::{Actor, Membership};
use std::collections::HashMap;

/// The Glance policy rules an operator may override, by their Glance names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `add_image`
    AddImage,
    /// `get_image`
    GetImage,
    /// `get_images`
    GetImages,
    /// `modify_image`
    ModifyImage,
    /// `delete_image`
    DeleteImage,
    /// `upload_image`
    UploadImage,
    /// `download_image`
    DownloadImage,
    /// `deactivate`
    Deactivate,
    /// `reactivate`
    Reactivate,
    /// `publicize_image`
    PublicizeImage,
    /// `communitize_image`
    CommunitizeImage,
    /// `add_member`
    AddMember,
    /// `delete_member`
    DeleteMember,
    /// `get_member`
    GetMember,
    /// `get_members`
    GetMembers,
    /// `modify_member`
    ModifyMember,
    /// `context_is_admin`
    ContextIsAdmin,
    /// `delete_image_location` (remove one store's copy)
    DeleteImageLocation,
    /// `copy_image` (import with copy-image)
    CopyImage,
    /// `tasks_api_access` (the admin task list)
    TasksApiAccess,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 20] = [
        Rule::AddImage,
        Rule::GetImage,
        Rule::GetImages,
        Rule::ModifyImage,
        Rule::DeleteImage,
        Rule::UploadImage,
        Rule::DownloadImage,
        Rule::Deactivate,
        Rule::Reactivate,
        Rule::PublicizeImage,
        Rule::CommunitizeImage,
        Rule::AddMember,
        Rule::DeleteMember,
        Rule::GetMember,
        Rule::GetMembers,
        Rule::ModifyMember,
        Rule::ContextIsAdmin,
        Rule::DeleteImageLocation,
        Rule::CopyImage,
        Rule::TasksApiAccess,
    ];

    /// Glance's name for the rule.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::AddImage => "add_image",
            Rule::GetImage => "get_image",
            Rule::GetImages => "get_images",
            Rule::ModifyImage => "modify_image",
            Rule::DeleteImage => "delete_image",
            Rule::DeleteImageLocation => "delete_image_location",
            Rule::UploadImage => "upload_image",
            Rule::DownloadImage => "download_image",
            Rule::Deactivate => "deactivate",
            Rule::Reactivate => "reactivate",
            Rule::PublicizeImage => "publicize_image",
            Rule::CommunitizeImage => "communitize_image",
            Rule::AddMember => "add_member",
            Rule::DeleteMember => "delete_member",
            Rule::GetMember => "get_member",
            Rule::GetMembers => "get_members",
            Rule::ModifyMember => "modify_member",
            Rule::ContextIsAdmin => "context_is_admin",
            Rule::CopyImage => "copy_image",
            Rule::TasksApiAccess => "tasks_api_access",
        }
    }

    /// The rule Glance names `name`.
    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `@` or the empty rule: always.
    Always,
    /// `!`: never.
    Never,
    /// `role:NAME`.
    Role(String),
    /// `rule:NAME`.
    Rule(String),
    /// `is_admin:True|False`.
    IsAdmin(bool),
    /// `project_id:%(attr)s` / `user_id:…`: a caller attribute equals a target attribute.
    CallerIs(String, String),
    /// `'literal':%(attr)s`: a target attribute equals a literal.
    TargetIs(String, String),
    /// not …
    Not(Box<Expr>),
    /// … and …
    And(Vec<Expr>),
    /// … or …
    Or(Vec<Expr>),
}

/// What an expression is checked against.
pub struct Target<'a> {
    /// The caller.
    pub actor: &'a Actor,
    /// The image, when the rule is about one.
    pub image: Option<&'a Image>,
    /// The caller's membership in it.
    pub membership: Membership,
}

/// The overrides, by rule name.
#[derive(Debug, Clone, Default)]
pub struct PolicyOverrides {
    rules: HashMap<String, Expr>,
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut in_target = false;
    for c in s.chars() {
        match c {
            // `%(attr)s` is one token: its parentheses do not group.
            '(' if cur.ends_with('%') => {
                in_target = true;
                cur.push(c);
            }
            ')' if in_target => {
                in_target = false;
                cur.push(c);
            }
            '\'' | '"' => {
                quoted = !quoted;
                cur.push('\'');
            }
            '(' | ')' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct Parser {
    toks: Vec<String>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.pos).map(String::as_str)
    }
    fn next(&mut self) -> Option<String> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some("or") {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap()
        } else {
            Expr::Or(parts)
        })
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.not()?];
        while self.peek() == Some("and") {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap()
        } else {
            Expr::And(parts)
        })
    }
    fn not(&mut self) -> Result<Expr, String> {
        if self.peek() == Some("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<Expr, String> {
        let t = self.next().ok_or("the expression ends too early")?;
        match t.as_str() {
            "(" => {
                let e = self.or()?;
                if self.next().as_deref() != Some(")") {
                    return Err("a '(' is not closed".into());
                }
                Ok(e)
            }
            "@" => Ok(Expr::Always),
            "!" => Ok(Expr::Never),
            _ => check(&t),
        }
    }
}

fn target_attr(s: &str) -> Option<String> {
    let inner = s.strip_prefix("%(")?.strip_suffix(")s")?;
    matches!(
        inner,
        "owner" | "project_id" | "visibility" | "member_status" | "protected"
    )
    .then(|| inner.to_string())
}

fn check(t: &str) -> Result<Expr, String> {
    let (left, right) = t
        .split_once(':')
        .ok_or_else(|| format!("'{t}' is not a check (kind:value)"))?;
    match left {
        "role" => Ok(Expr::Role(right.to_ascii_lowercase())),
        "rule" => Ok(Expr::Rule(right.to_string())),
        "is_admin" => match right {
            "True" | "true" => Ok(Expr::IsAdmin(true)),
            "False" | "false" => Ok(Expr::IsAdmin(false)),
            _ => Err(format!("is_admin takes True or False, not '{right}'")),
        },
        "project_id" | "user_id" => {
            let attr =
                target_attr(right).ok_or_else(|| format!("unknown target '{right}' in '{t}'"))?;
            Ok(Expr::CallerIs(left.to_string(), attr))
        }
        l if l.starts_with('\'') && l.ends_with('\'') && l.len() >= 2 => {
            let attr =
                target_attr(right).ok_or_else(|| format!("unknown target '{right}' in '{t}'"))?;
            Ok(Expr::TargetIs(l[1..l.len() - 1].to_string(), attr))
        }
        _ => Err(format!("unknown check '{t}'")),
    }
}

/// Parses one expression (the empty string means "always").
pub fn parse(s: &str) -> Result<Expr, String> {
    let toks = tokens(s);
    if toks.is_empty() {
        return Ok(Expr::Always);
    }
    let mut p = Parser { toks, pos: 0 };
    let e = p.or()?;
    if let Some(extra) = p.peek() {
        return Err(format!("unexpected '{extra}'"));
    }
    Ok(e)
}

impl PolicyOverrides {
    /// Parses a policy file: one `"rule": "expression"` (or `rule: expression`) per line, `#`
    /// comments. Keys must be Glance rule names, or helper rules referenced by another rule.
    pub fn parse_file(text: &str) -> Result<PolicyOverrides, String> {
        Self::parse_file_with(text, &[])
    }

    /// The same, where `also_used` names rules something else refers to (the property protection
    /// file's policies), so the file may define them.
    pub fn parse_file_with(text: &str, also_used: &[String]) -> Result<PolicyOverrides, String> {
        let mut rules = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line == "---" {
                continue;
            }
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| format!("line {}: expected 'rule: expression'", n + 1))?;
            let unquote = |s: &str| s.trim().trim_matches('"').trim_matches('\'').to_string();
            let (k, v) = (unquote(k), unquote(v));
            let e = parse(&v).map_err(|e| format!("line {}: rule '{k}': {e}", n + 1))?;
            rules.insert(k, e);
        }
        let o = PolicyOverrides { rules };
        for name in o.rules.keys() {
            if Rule::parse(name).is_none()
                && !o.referenced(name)
                && !also_used.iter().any(|u| u == name)
            {
                return Err(format!(
                    "unknown rule '{name}': known rules are {}",
                    Rule::ALL.map(Rule::as_str).join(", ")
                ));
            }
        }
        for (name, e) in &o.rules {
            o.check_refs(name, e, 0)?;
        }
        Ok(o)
    }

    fn referenced(&self, name: &str) -> bool {
        fn refs(e: &Expr, name: &str) -> bool {
            match e {
                Expr::Rule(r) => r == name,
                Expr::Not(x) => refs(x, name),
                Expr::And(v) | Expr::Or(v) => v.iter().any(|x| refs(x, name)),
                _ => false,
            }
        }
        self.rules.values().any(|e| refs(e, name))
    }

    fn check_refs(&self, name: &str, e: &Expr, depth: usize) -> Result<(), String> {
        if depth > 16 {
            return Err(format!("rule '{name}' refers to itself"));
        }
        match e {
            Expr::Rule(r) => match self.rules.get(r) {
                Some(inner) => self.check_refs(name, inner, depth + 1),
                None => Err(format!(
                    "rule '{name}' refers to 'rule:{r}', which the file does not define"
                )),
            },
            Expr::Not(x) => self.check_refs(name, x, depth),
            Expr::And(v) | Expr::Or(v) => {
                v.iter().try_for_each(|x| self.check_refs(name, x, depth))
            }
            _ => Ok(()),
        }
    }

    /// The override of `rule`, evaluated; `None` when the file does not override it.
    pub fn decide(&self, rule: Rule, t: &Target) -> Option<bool> {
        self.rules.get(rule.as_str()).map(|e| self.eval(e, t))
    }

    /// Whether the file overrides nothing.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether the file defines a rule called `name`.
    pub fn defines(&self, name: &str) -> bool {
        self.rules.contains_key(name)
    }

    /// The rule the file calls `name`, evaluated; `None` when it does not define one.
    pub fn check_named(&self, name: &str, t: &Target) -> Option<bool> {
        self.rules.get(name).map(|e| self.eval(e, t))
    }

    /// Evaluates an expression, its `rule:` references resolved in this file.
    pub fn eval(&self, e: &Expr, t: &Target) -> bool {
        match e {
            Expr::Always => true,
            Expr::Never => false,
            Expr::Role(r) => Role::parse(r).is_some_and(|r| t.actor.has_role(r)),
            Expr::Rule(r) => self.rules.get(r).is_some_and(|x| self.eval(x, t)),
            Expr::IsAdmin(b) => t.actor.is_admin() == *b,
            Expr::CallerIs(who, attr) => {
                let caller = if who == "user_id" {
                    t.actor.user_id.as_str()
                } else {
                    t.actor.project_id.as_str()
                };
                attr_value(t, attr).is_some_and(|v| v == caller)
            }
            Expr::TargetIs(lit, attr) => attr_value(t, attr).is_some_and(|v| v == *lit),
            Expr::Not(x) => !self.eval(x, t),
            Expr::And(v) => v.iter().all(|x| self.eval(x, t)),
            Expr::Or(v) => v.iter().any(|x| self.eval(x, t)),
        }
    }
}

fn attr_value(t: &Target, attr: &str) -> Option<String> {
    let img = t.image?;
    match attr {
        "owner" | "project_id" => img.owner.as_ref().map(|o| o.to_string()),
        "visibility" => Some(img.visibility.as_str().to_string()),
        "protected" => Some(if img.protected { "True" } else { "False" }.to_string()),
        "member_status" => Some(
            match t.membership {
                Membership::Accepted => "accepted",
                Membership::Pending => "pending",
                Membership::Rejected => "rejected",
                Membership::None => "",
            }
            .to_string(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ImageId, ProjectId};
    use crate::domain::image::{ImageStatus, Visibility};

    fn actor(role: Role) -> Actor {
        Actor::random_with(&[role])
    }

    fn image(owner: &ProjectId, vis: Visibility) -> Image {
        let mut img = Image::queued(ImageId::random(), Some(owner.clone()), String::new());
        img.status = ImageStatus::Active;
        img.visibility = vis;
        img
    }

    #[test]
    fn expressions_evaluate_against_caller_and_target() {
        let file = r#"
# Only admins delete; owners' members modify public images only.
"delete_image": "role:admin"
"modify_image": "rule:owner_member and 'public':%(visibility)s"
"owner_member": "role:member and project_id:%(owner)s"
"publicize_image": "!"
"download_image": "not role:reader or role:member"
"#;
        let o = PolicyOverrides::parse_file(file).unwrap();
        let m = actor(Role::Member);
        let own_public = image(&m.project_id, Visibility::Public);
        let own_private = image(&m.project_id, Visibility::Private);
        let t = |i| Target {
            actor: &m,
            image: Some(i),
            membership: Membership::None,
        };
        assert_eq!(o.decide(Rule::DeleteImage, &t(&own_public)), Some(false));
        assert_eq!(o.decide(Rule::ModifyImage, &t(&own_public)), Some(true));
        assert_eq!(o.decide(Rule::ModifyImage, &t(&own_private)), Some(false));
        assert_eq!(o.decide(Rule::PublicizeImage, &t(&own_public)), Some(false));
        assert_eq!(o.decide(Rule::DownloadImage, &t(&own_public)), Some(true));
        assert_eq!(
            o.decide(Rule::GetImage, &t(&own_public)),
            None,
            "not overridden"
        );
        let a = actor(Role::Admin);
        assert_eq!(
            o.decide(
                Rule::DeleteImage,
                &Target {
                    actor: &a,
                    image: Some(&own_public),
                    membership: Membership::None
                }
            ),
            Some(true)
        );
    }

    #[test]
    fn bad_files_are_refused() {
        for (file, why) in [
            ("modfy_image: role:admin", "unknown rule"),
            ("modify_image: rule:nowhere", "does not define"),
            ("modify_image: role:admin and", "ends too early"),
            ("modify_image: (role:admin", "not closed"),
            ("modify_image: project_id:%(secret)s", "unknown target"),
            ("modify_image: wibble", "not a check"),
            (
                "modify_image: rule:a\na: rule:modify_image",
                "refers to itself",
            ),
            ("just text", "expected"),
        ] {
            let e = PolicyOverrides::parse_file(file).unwrap_err();
            assert!(e.contains(why), "{file}: {e}");
        }
        assert!(PolicyOverrides::parse_file("# nothing\n\n")
            .unwrap()
            .is_empty());
        assert_eq!(parse("").unwrap(), Expr::Always);
    }
}
