//! The `[people]` table: who holds which roles, and the chat handle that
//! mentions them; and the `[oncall]` table: the roles an on-call roster names.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// `[people.NAME]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    /// The roles this person holds, as `role:NAME` in deciders names them.
    #[serde(default)]
    pub roles: Vec<Spanned<String>>,
    /// A chat handle that mentions this person in messages (such as "@dana").
    #[serde(default)]
    pub handle: Option<String>,
    /// The person's own notification channels (told when their request is rejected,
    /// when they become the owner, when what they own is overdue).
    #[serde(default)]
    pub channels: Vec<Spanned<String>>,
}

/// A person the policy names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub name: String,
    pub roles: Vec<String>,
    pub handle: Option<String>,
}

/// `[oncall]` as written: the roles of the on-call roster, key to label, and
/// which of them is the manager a handoff names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOnCall {
    #[serde(default)]
    pub roles: IndexMap<String, String>,
    #[serde(default)]
    pub manager: Option<Spanned<String>>,
}

impl Default for RawOnCall {
    fn default() -> Self {
        let roles = [("support-engineer", "Support engineer on call"), ("support-manager", "Support manager on call")];
        RawOnCall {
            roles: roles.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            manager: Some(Spanned::new(0..0, "support-manager".to_string())),
        }
    }
}

/// The on-call roster's roles (key to label) and the manager's role.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OnCall {
    pub roles: IndexMap<String, String>,
    pub manager: Option<String>,
}

/// The people, and every role with its members: those listed under `[roles]`
/// and those whose `[people]` entry names the role.
pub fn build(
    raw: &IndexMap<String, RawPerson>,
    roles: &IndexMap<String, Vec<String>>,
    problem: &mut dyn FnMut(std::ops::Range<usize>, String),
) -> (IndexMap<String, Person>, IndexMap<String, Vec<String>>) {
    let mut all = roles.clone();
    let mut people = IndexMap::new();
    for (name, p) in raw {
        let mut held = Vec::new();
        for r in &p.roles {
            let role = r.get_ref().trim();
            let role = role.strip_prefix("role:").unwrap_or(role);
            if role.is_empty() || !role.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                problem(
                    r.span(),
                    format!("person {name:?} holds role {role:?}: a role may hold only letters, digits, '-' and '_'"),
                );
                continue;
            }
            let members = all.entry(role.to_string()).or_default();
            if !members.iter().any(|m| crate::model::same_actor(m, name)) {
                members.push(name.clone());
            }
            held.push(role.to_string());
        }
        let handle = p.handle.as_ref().map(|h| h.trim().to_string()).filter(|h| !h.is_empty());
        people.insert(name.clone(), Person { name: name.clone(), roles: held, handle });
    }
    (people, all)
}

/// The on-call roles, checked: the manager's role must be one of them.
pub fn build_oncall(raw: &RawOnCall, problem: &mut dyn FnMut(std::ops::Range<usize>, String)) -> OnCall {
    for key in raw.roles.keys() {
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            problem(0..0, format!("oncall role key {key:?} may hold only letters, digits, '-' and '_'"));
        }
    }
    let manager = raw.manager.as_ref().map(|m| (m.span(), m.get_ref().trim().to_string()));
    if let Some((span, m)) = &manager
        && !raw.roles.contains_key(m)
    {
        let keys = raw.roles.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
        problem(span.clone(), format!("oncall.manager {m:?} is not one of the on-call roles ({keys})"));
    }
    OnCall { roles: raw.roles.clone(), manager: manager.map(|(_, m)| m) }
}

/// Actor names or "role:NAME" entries, each role defined under [roles].
pub(super) fn deciders(
    p: &mut super::problems::Problems,
    list: &[Spanned<String>],
    what: &str,
    roles: &IndexMap<String, Vec<String>>,
) -> Vec<super::Decider> {
    let mut out = Vec::new();
    for d in list {
        let name = d.get_ref().trim();
        match name.strip_prefix("role:") {
            Some(role) if roles.contains_key(role) => out.push(super::Decider::Role(role.to_string())),
            Some(role) => p.at(
                d.span(),
                format!(
                    "{what} {name:?} names unknown role {role:?}: define it under [roles] or give it to someone under [people] (roles: {})",
                    super::Policy::keys(roles)
                ),
            ),
            None if name.is_empty() => p.at(d.span(), format!("a {what} is an actor name or \"role:NAME\", not empty")),
            None => out.push(super::Decider::Actor(name.to_string())),
        }
    }
    out
}

/// Whose list of deciders is read, for the problems it may have.
pub(super) struct DecidersOf<'a> {
    /// An entry, as named in a problem: "levels.4.deciders entry".
    pub what: &'a str,
    /// "level 4", "destination \"security\"".
    pub whose: &'a str,
    /// What the deciders decide: "it", "escalations sent there".
    pub decides: &'a str,
    /// Who decides without the list: "[decisions] deciders".
    pub otherwise: &'a str,
    /// The table the list is in, where an empty list is said to be.
    pub table: std::ops::Range<usize>,
    /// The people the policy names elsewhere (lowercase): a decider's name a letter
    /// or two from one of them is taken for a misspelling.
    pub named: &'a [String],
}

/// The people a policy names: under [people], as members of its roles, as the
/// deciders of [decisions] and in [ownership] take_over.
pub(super) fn named(raw: &super::raw::RawPolicy, roles: &IndexMap<String, Vec<String>>) -> Vec<String> {
    let listed = raw.decisions.deciders.iter().chain(&raw.ownership.take_over).map(|d| d.get_ref());
    let listed = listed.filter(|d| !d.starts_with("role:"));
    let mut all: Vec<String> =
        raw.people.keys().chain(roles.values().flatten()).chain(listed).map(|n| n.to_lowercase()).collect();
    all.sort();
    all.dedup();
    all
}

/// The name of `named` that `name` looks like a misspelling of: not it, but a
/// letter or two away (for names of four letters or more).
fn misspelt<'n>(name: &str, named: &'n [String]) -> Option<&'n String> {
    let name = name.to_lowercase();
    if name.chars().count() < 4 || named.contains(&name) {
        return None;
    }
    named.iter().filter(|n| n.chars().count() >= 4).find(|n| edits(&name, n) <= 2)
}

/// The edit distance of two short names (insertions, deletions, substitutions).
pub(super) fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = here;
        }
    }
    row[b.len()]
}

/// Deciders someone holds, as `deciders` reads them: an empty list (which would let
/// anyone decide) and a role nobody holds are problems. None when the list is empty.
pub(super) fn held_deciders(
    p: &mut super::problems::Problems,
    list: &[Spanned<String>],
    of: &DecidersOf,
    roles: &IndexMap<String, Vec<String>>,
) -> Option<Vec<super::Decider>> {
    let DecidersOf { what, whose, decides, otherwise, .. } = of;
    if list.is_empty() {
        p.at(
            of.table.clone(),
            format!("{whose} has deciders = []: name who decides {decides}, or leave deciders out for {otherwise}"),
        );
        return None;
    }
    let mut out = Vec::new();
    for at in list {
        for d in deciders(p, std::slice::from_ref(at), what, roles) {
            if let super::Decider::Role(r) = &d
                && roles.get(r).is_none_or(Vec::is_empty)
            {
                p.at(
                    at.span(),
                    format!(
                        "{whose} is decided by role {r:?}, which nobody holds: name its members under [roles] or \
                         give someone `roles = [\"{r}\"]` under [people]"
                    ),
                );
            }
            if let super::Decider::Actor(name) = &d
                && let Some(like) = misspelt(name, of.named)
            {
                p.at(
                    at.span(),
                    format!(
                        "{whose} is decided by {name:?}, which the policy names nowhere else: did you mean {like:?}? \
                         (a misspelt name would let nobody decide)"
                    ),
                );
            }
            out.push(d);
        }
    }
    Some(out)
}
