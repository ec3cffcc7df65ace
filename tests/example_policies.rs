//! The example policies under examples/policies/: each one loads, and behaves
//! as the source it is modelled on says (000: portal escalations reviewed by a
//! Senior Support Engineer, P0 by phone; 001/002: the wait table, the outage
//! alias and four levels; 003/004: critical cases at once, ownership and
//! touch-points, packages per destination, security immediate). In every
//! policy a more severe case waits no longer than a less severe one.

mod common;
use common::Env;
use serde_json::Value;

const ONE_LEVEL: &str = "one-level-review.toml";
const FOUR_LEVELS: &str = "four-levels.toml";
const PACKAGES: &str = "packages-and-accounts.toml";

fn policy_path(file: &str) -> String {
    common::repo().join("examples").join("policies").join(file).display().to_string()
}

/// The harness with `--policy <example>` in front of every command.
struct Example {
    env: Env,
    policy: String,
}

impl Example {
    fn new(file: &str) -> Example {
        Example { env: Env::new(), policy: policy_path(file) }
    }

    fn at(&mut self, now: &str) -> &mut Example {
        self.env.at(now);
        self
    }

    fn args<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec!["--policy", self.policy.as_str()];
        all.extend_from_slice(args);
        all
    }

    fn ok(&self, args: &[&str]) -> String {
        self.env.ok(&self.args(args))
    }

    fn expect(&self, code: i32, args: &[&str]) -> (String, String) {
        self.env.expect(code, &self.args(args))
    }

    fn json(&self, args: &[&str]) -> Value {
        self.env.json(&self.args(args))
    }

    /// Run as another actor and expect `code`; returns (stdout, stderr).
    fn expect_as(&self, actor: &str, code: i32, args: &[&str]) -> (String, String) {
        let all = self.args(args);
        let out = self.env.cmd().env("ESCALATE_ACTOR", actor).args(&all).output().expect("run escalate");
        let (stdout, stderr) =
            (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
        assert_eq!(out.status.code(), Some(code), "{actor}: escalate {all:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        (stdout, stderr)
    }

    fn case(&self, id: &str, severity: u32, tier: &str, opened: &str) {
        let sev = severity.to_string();
        self.ok(&["case", "add", id, "--customer", "Acme", "--severity", &sev, "--tier", tier, "--opened-at", opened]);
    }

    fn show(&self) -> Value {
        self.json(&["policy", "show"])
    }
}

fn keys(v: &Value, key: &str) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x[key].as_str().unwrap().to_string()).collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn rule<'a>(check: &'a Value, name: &str) -> &'a Value {
    check["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == name)
        .unwrap_or_else(|| panic!("no {name}: {check}"))
}

fn severity(show: &Value, n: u64) -> &Value {
    show["severities"].as_array().unwrap().iter().find(|s| s["severity"] == n).unwrap()
}

fn destination<'a>(show: &'a Value, key: &str) -> &'a Value {
    show["destinations"].as_array().unwrap().iter().find(|d| d["key"] == key).unwrap()
}

/// Every example policy file, and the default policy.
fn every_policy() -> Vec<String> {
    let mut all: Vec<String> = [ONE_LEVEL, FOUR_LEVELS, PACKAGES].iter().map(|f| policy_path(f)).collect();
    all.push(common::repo().join("policy.toml").display().to_string());
    all
}

#[test]
fn every_example_policy_passes_policy_check_and_names_its_source_not_a_seed_number() {
    for (file, source, levels, destinations) in [
        (ONE_LEVEL, "Armory Support's \"Escalating a Case\" guide", 1, 1),
        (FOUR_LEVELS, "the \"Escalating Support Cases\" articles of\n# Khoros and of Lithium", 4, 1),
        (PACKAGES, "\"Converting a Support Emergency into an Account Escalation\"", 2, 5),
    ] {
        let path = policy_path(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let opening: String = text.lines().take_while(|l| l.starts_with('#')).collect::<Vec<_>>().join("\n");
        assert!(opening.starts_with("# Example policy modelled on"), "{file} must open by naming its source");
        assert!(opening.contains(source), "{file} must name {source}:\n{opening}");
        assert!(opening.contains("cannot express"), "{file} must say what the format cannot express");
        assert_ne!(text, std::fs::read_to_string(common::repo().join("policy.toml")).unwrap());
        // Its comments and description say what a source is, not which numbered document.
        for (n, line) in text.lines().enumerate() {
            let words = line.to_ascii_lowercase();
            let numbered =
                words.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w.len() == 3 && w.starts_with("00"));
            let is_name = line.starts_with("name = ");
            assert!(!words.contains("seed") && (is_name || !numbered), "{file}:{}: {line}", n + 1);
        }

        let ex = Example::new(file);
        let out = ex.env.ok(&["policy", "check", &path]);
        assert!(out.starts_with(&format!("ok: {path} is a valid policy")), "{out}");
        let v = ex.json(&["policy", "check"]);
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["origin"], path.as_str());
        assert_eq!(v["levels"], levels, "{file}: {v}");
        assert_eq!(v["destinations"], destinations, "{file}: {v}");
        let shown = ex.ok(&["policy", "show"]);
        assert!(shown.contains(&path), "{shown}");
    }
}

/// When a case of `severity` opened at `opened` may first be escalated, as far
/// as its wait window goes; None when the severity is not escalable.
fn wait_ends(env: &Env, policy: &str, id: &str, severity: u64, tier: &str, opened: &str) -> Option<String> {
    let sev = severity.to_string();
    let add = ["--policy", policy, "case", "add", id, "--customer", "Acme", "--severity", &sev, "--tier", tier];
    env.ok(&[&add[..], &["--opened-at", opened]].concat());
    let v = env.json(&["--policy", policy, "check", id]);
    if rule(&v, "severity")["passed"] == false {
        return None;
    }
    let wait = rule(&v, "wait-window");
    Some(if wait["passed"] == true { opened.to_string() } else { wait["passes_at"].as_str().unwrap().to_string() })
}

#[test]
fn no_severity_waits_longer_than_a_less_severe_one_in_any_policy() {
    // Severity 1 is the most severe. A case opened at the start of a working
    // day, per tier: the more severe case may go no later than the less severe.
    let opened = "2026-11-23T09:00:00Z"; // a Monday
    for policy in every_policy() {
        let mut env = Env::new();
        env.at(opened);
        let show = env.json(&["--policy", &policy, "policy", "show"]);
        let severities: Vec<u64> =
            show["severities"].as_array().unwrap().iter().map(|s| s["severity"].as_u64().unwrap()).collect();
        for tier in keys(&show["tiers"], "key") {
            let ends: Vec<(u64, String)> = severities
                .iter()
                .filter_map(|s| {
                    let id = format!("W-{s}-{tier}");
                    wait_ends(&env, &policy, &id, *s, &tier, opened).map(|end| (*s, end))
                })
                .collect();
            assert!(!ends.is_empty(), "{policy}: tier {tier} escalates nothing");
            for pair in ends.windows(2) {
                let ((more, a), (less, b)) = (&pair[0], &pair[1]);
                assert!(more < less, "{policy}: severities in order");
                assert!(
                    a <= b,
                    "{policy}, tier {tier}: severity {more} waits until {a}, longer than the less severe {less} (until {b})"
                );
            }
        }
    }
}

// Seed 000: three reasons, one level, P0 by phone, no wait before a request.

#[test]
fn one_level_is_encoded_as_written() {
    let p = Example::new(ONE_LEVEL).show();
    assert_eq!(p["name"], "one-level-review");
    assert_eq!(keys(&p["reasons"], "key"), ["executive-visibility", "lack-of-progress", "customer-deadline"]);
    assert_eq!(keys(&p["severities"], "label"), ["P0", "P1", "P2", "P3"]);
    let p0 = severity(&p, 1);
    assert_eq!(p0["escalable"], false);
    assert!(p0["redirect"].as_str().unwrap().contains("by phone"), "{p0}");
    for n in 2..=4 {
        let s = severity(&p, n);
        assert_eq!(s["wait"]["service-agreement"], "0m clock", "{s}");
        assert_eq!(s["wait"]["no-service-agreement"], "0m clock", "{s}");
    }
    let levels = p["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 1);
    assert_eq!(levels[0]["reviewer"], "Senior Support Engineer");
    assert_eq!(levels[0]["update_every"], Value::Null);
    assert_eq!(keys(&p["destinations"], "key"), ["support"]);
    assert_eq!(destination(&p, "support")["fields"], serde_json::json!([]));
}

#[test]
fn one_level_p1_to_p3_may_be_escalated_at_once_and_p0_goes_by_phone() {
    let mut ex = Example::new(ONE_LEVEL);
    ex.at("2026-11-23T10:00:00Z");
    ex.case("A-1", 2, "service-agreement", "2026-11-23T10:00:00Z");
    ex.case("A-2", 4, "no-service-agreement", "2026-11-23T10:00:00Z");
    for id in ["A-1", "A-2"] {
        let v = ex.json(&["check", id]);
        assert_eq!(v["eligible"], true, "no wait in seed 000, even at the opening minute: {v}");
        assert_eq!(v["eligible_at"], "2026-11-23T10:00:00Z");
        ex.ok(&["check", id, "--reason", "customer-deadline"]);
    }
    // Reasons outside the seed's three are not accepted.
    let (_, err) = ex.expect(2, &["check", "A-1", "--reason", "time-constraint"]);
    assert!(err.contains("accepted: executive-visibility, lack-of-progress, customer-deadline"), "{err}");

    // The case grows into a P0: it is escalated by phone instead.
    ex.at("2026-11-23T11:00:00Z");
    ex.ok(&["case", "update", "A-1", "--severity", "1"]);
    let (out, _) = ex.expect(1, &["check", "A-1"]);
    assert!(out.contains("Waiting alone does not change that: see the rules that fail"), "{out}");
    let v = ex.json(&["check", "A-1"]);
    assert_eq!(v["eligible_at"], Value::Null);
    let sev = rule(&v, "severity");
    assert_eq!(sev["passed"], false);
    assert!(sev["detail"].as_str().unwrap().contains("severity 1 (P0) is not escalated"), "{sev}");
    assert!(sev["detail"].as_str().unwrap().contains("by phone"), "{sev}");
    ex.expect(1, &["request", "A-1", "--reason", "lack-of-progress", "--to", "support", "--description", "Down"]);
}

#[test]
fn one_level_a_senior_support_engineer_reviews_and_there_is_no_higher_level() {
    let mut ex = Example::new(ONE_LEVEL);
    ex.at("2026-11-23T10:00:00Z");
    ex.case("A-1", 3, "service-agreement", "2026-11-23T09:00:00Z");
    // The two mandatory fields: reason and description; no package fields.
    let (_, err) = ex.expect(2, &["request", "A-1", "--to", "support"]);
    assert!(err.contains("--reason KEY (one of: executive-visibility, lack-of-progress, customer-deadline)"), "{err}");
    assert!(err.contains("--description TEXT"), "{err}");
    assert!(!err.contains("--field"), "{err}");

    let v = ex.json(&[
        "request",
        "A-1",
        "--reason",
        "executive-visibility",
        "--to",
        "support",
        "--description",
        "The customer's CTO follows this case daily",
    ]);
    assert_eq!(v["level"], 1, "{v}");
    assert_eq!(v["level_name"], "Senior Support Engineer review");
    assert_eq!(strings(&v["audience"]), ["Armory Support Team"]);
    assert_eq!(v["reviewer"], "Senior Support Engineer");
    assert_eq!(v["review_due_at"], "2026-11-24T10:00:00Z", "one business day from Monday 10:00");

    let (_, err) = ex.expect(1, &["promote", "A-1", "--why", "No answer yet"]);
    assert!(err.contains("already at the top level, 1 (Senior Support Engineer review)"), "{err}");

    // Declined requests say why.
    let (_, err) = ex.expect_as("sse", 2, &["decide", "A-1", "reject"]);
    assert!(err.contains("a rejection needs --note"), "{err}");
    ex.expect_as("sse", 0, &["decide", "A-1", "reject", "--note", "Not viable: no business deadline"]);
    ex.at("2026-11-25T10:00:00Z");
    ex.expect(1, &["promote", "A-1", "--why", "Still unhappy"]);
    let due = ex.json(&["due"]);
    assert_eq!(due, serde_json::json!([]), "a rejected top level offers no promotion: {due}");
}

// Seeds 001 and 002: the wait table, the outage alias, four levels.

/// (severity, tier, hours) from the "When can I escalate?" table of 001 and 002.
const TABLE: &[(u32, &str, i64)] = &[
    (2, "premium", 4),
    (2, "non-premium", 8),
    (3, "premium", 8),
    (3, "non-premium", 16),
    (4, "premium", 16),
    (4, "non-premium", 24),
];

/// Friday 2026-11-27 20:00 UTC plus an offset: every wait runs into the weekend.
fn friday_evening_plus(minutes: i64) -> String {
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-27T20:00:00Z").unwrap();
    (base + chrono::Duration::minutes(minutes)).to_rfc3339().replace("+00:00", "Z")
}

#[test]
fn four_levels_wait_table_holds_to_the_minute_in_clock_hours() {
    let mut ex = Example::new(FOUR_LEVELS);
    let p = ex.show();
    assert_eq!(keys(&p["tiers"], "key"), ["premium", "non-premium"]);
    for (sev, tier, hours) in TABLE {
        assert_eq!(severity(&p, u64::from(*sev))["wait"][*tier], format!("{hours}h clock"), "{sev} {tier}");
    }

    ex.at(&friday_evening_plus(0));
    for (sev, tier, _) in TABLE {
        ex.case(&format!("K-{sev}-{tier}"), *sev, tier, &friday_evening_plus(0));
    }
    for (sev, tier, hours) in TABLE {
        let id = format!("K-{sev}-{tier}");
        ex.at(&friday_evening_plus(hours * 60 - 1));
        let v = ex.json(&["check", &id]);
        assert_eq!(v["eligible"], false, "{id} one minute early: {v}");
        assert_eq!(v["eligible_at"], friday_evening_plus(hours * 60), "{id}: clock hours, weekend included");
        ex.expect(1, &["check", &id]);
        ex.at(&friday_evening_plus(hours * 60));
        ex.ok(&["check", &id]);
    }
}

#[test]
fn four_levels_severity_1_goes_to_the_outage_alias_and_only_the_seed_reasons_count() {
    let mut ex = Example::new(FOUR_LEVELS);
    ex.at("2026-11-23T12:00:00Z");
    ex.case("K-1", 1, "premium", "2026-11-20T08:00:00Z");
    ex.case("K-2", 2, "non-premium", "2026-11-20T08:00:00Z");
    let v = ex.json(&["check", "K-1"]);
    assert_eq!(v["eligible"], false);
    assert_eq!(v["eligible_at"], Value::Null, "no amount of waiting makes an outage escalable: {v}");
    let detail = rule(&v, "severity")["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("outage@lithium.com"), "{detail}");
    assert!(detail.contains("24/7/365"), "{detail}");
    ex.expect(1, &["check", "K-1"]);

    assert_eq!(
        keys(&ex.show()["reasons"], "key"),
        ["time-constraint", "impaired-function", "first-response-missed", "unresponsive"]
    );
    ex.ok(&["check", "K-2", "--reason", "first-response-missed"]);
    // Seed 000's reasons, which the default policy also has, are not 001's.
    let (_, err) = ex.expect(2, &["check", "K-2", "--reason", "executive-visibility"]);
    assert!(err.contains("unknown reason \"executive-visibility\""), "{err}");
}

#[test]
fn four_levels_a_missed_first_response_must_really_be_late() {
    let mut ex = Example::new(FOUR_LEVELS);
    ex.at("2026-11-23T16:00:00Z");
    // Severity 2, non-premium: the first-response target is 4h clock, as in the built-in policy.
    let add = |id: &str, responded: &str| {
        let a = ["case", "add", id, "--customer", "Acme", "--severity", "2", "--tier", "non-premium"];
        ex.ok(&[&a[..], &["--opened-at", "2026-11-23T08:00:00Z", "--first-response", responded]].concat());
    };
    add("K-1", "2026-11-23T08:05:00Z");
    add("K-2", "2026-11-23T12:05:00Z");
    let request =
        |id| ["request", id, "--reason", "first-response-missed", "--to", "case-portal", "--description", "x"];
    let (_, err) = ex.expect(1, &request("K-1"));
    assert_eq!(
        err,
        "error: case K-1 may not be escalated now:\n  reason: first-response-missed does not apply: \
         the first response came 2026-11-23 08:05 UTC within the 4h clock target\n"
    );
    ex.ok(&request("K-2"));
}

#[test]
fn four_levels_promotion_widens_the_audience_level_by_level() {
    let mut ex = Example::new(FOUR_LEVELS);
    ex.at("2026-11-23T12:00:00Z"); // a Monday
    ex.case("K-1", 3, "non-premium", "2026-11-19T09:00:00Z");
    let v = ex.json(&[
        "request",
        "K-1",
        "--reason",
        "time-constraint",
        "--to",
        "case-portal",
        "--description",
        "SSL certificate expires on Friday",
    ]);
    assert_eq!(v["level"], 1);
    assert_eq!(strings(&v["audience"]), ["Escalation Managers (senior support engineers, team leads and managers)"]);
    assert_eq!(v["reviewer"], "Escalation Manager");
    assert_eq!(v["review_due_at"], "2026-11-23T16:00:00Z", "4 business hours");

    // Unsatisfied with the progress: once the review window has passed.
    ex.at("2026-11-23T15:59:00Z");
    ex.expect(1, &["promote", "K-1", "--why", "No reply"]);
    ex.at("2026-11-23T16:00:00Z");
    let v = ex.json(&["promote", "K-1", "--why", "No reply within 4 business hours"]);
    assert_eq!(v["level"], 2);
    assert_eq!(v["level_name"], "Support Management and CSM");
    let audience = strings(&v["audience"]);
    assert_eq!(audience.len(), 3, "{audience:?}");
    assert!(audience.iter().any(|a| a.contains("Support Management (senior managers and directors)")));
    assert!(audience.iter().any(|a| a.contains("Customer Success Manager (CSM)")));
    assert_eq!(v["reviewer"], "Escalation Manager", "the Escalation Managers still review level 2");
    assert_eq!(v["review_due_at"], "2026-11-24T12:00:00Z", "1 business hour Monday, 3 on Tuesday");

    // Unsatisfied with the decision: as soon as it is decided.
    ex.at("2026-11-24T10:00:00Z");
    ex.expect_as("erin", 0, &["decide", "K-1", "reject", "--note", "Working as designed"]);
    let (out, _) = ex.expect(0, &["promote", "K-1", "--why", "We disagree with the decision"]);
    // Read as prose: lines are fitted to the terminal's width.
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(out.contains("to level 3 (Regional Senior Management)"), "{out}");
    assert!(out.contains("Regional Senior Management (Senior Director of Global Technical Support)"), "{out}");
    assert!(out.contains("Regional Senior Management reviews it by 2026-11-24 14:00 UTC"), "{out}");
    assert!(out.contains("A full root-cause analysis follows"), "002: a full analysis at level 3: {out}");

    ex.at("2026-11-24T14:00:00Z");
    let (out, _) = ex.expect(0, &["promote", "K-1", "--why", "Still no plan"]);
    assert!(out.contains("to level 4 (VP of Support)"), "{out}");
    assert!(out.contains("VP of Support reviews it by 2026-11-25 10:00 UTC"), "{out}");
    assert!(out.contains("A full root-cause analysis follows"), "001: a full root-cause analysis at level 4: {out}");
    let v = ex.json(&["list"]);
    let audience = strings(&v[0]["audience"]);
    assert_eq!(audience.len(), 5, "{audience:?}");
    assert!(audience[4].starts_with("VP of Support"), "{audience:?}");

    ex.at("2026-11-26T14:00:00Z");
    let (_, err) = ex.expect(1, &["promote", "K-1", "--why", "Higher"]);
    assert!(err.contains("already at the top level, 4 (VP of Support)"), "{err}");
}

#[test]
fn four_levels_level_2_has_no_root_cause_analysis_and_no_update_cadence() {
    let mut ex = Example::new(FOUR_LEVELS);
    let p = ex.show();
    let rca: Vec<bool> = p["levels"].as_array().unwrap().iter().map(|l| l["root_cause_analysis"] == true).collect();
    assert_eq!(rca, [false, false, true, true]);
    assert!(p["levels"].as_array().unwrap().iter().all(|l| l["update_every"].is_null()), "{p}");

    ex.at("2026-11-23T12:00:00Z");
    ex.case("K-1", 2, "premium", "2026-11-23T08:00:00Z");
    ex.ok(&["request", "K-1", "--reason", "unresponsive", "--to", "case-portal", "--description", "No update"]);
    ex.at("2026-11-23T16:00:00Z");
    let (out, _) = ex.expect(0, &["promote", "K-1", "--why", "No reply"]);
    assert!(out.contains("to level 2 (Support Management and CSM)"), "{out}");
    assert!(!out.contains("root-cause"), "{out}");
    // No cadence in the seeds: only the review is due, no customer touch-point.
    let due = ex.json(&["due", "--within", "1w"]);
    let kinds: Vec<&str> = due.as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["review"], "{due}");
}

// Seeds 003 and 004: destinations and packages, security immediate, the
// critical cases at once, ownership and touch-points.

#[test]
fn packages_destinations_carry_the_seed_packages() {
    let p = Example::new(PACKAGES).show();
    assert_eq!(keys(&p["destinations"], "key"), ["l2", "engineering", "product", "security", "leadership"]);
    let fields = |key: &str| strings(&destination(&p, key)["fields"]);
    assert_eq!(fields("l2"), ["summary", "troubleshooting", "customer-context"]);
    assert_eq!(
        fields("engineering"),
        ["summary", "narrative", "reproduction", "expected", "observed", "environment", "impact", "actions-taken"]
    );
    assert_eq!(fields("product"), ["use-case", "impact", "frequency"]);
    assert_eq!(fields("security"), ["observations", "affected", "containment", "urgency"]);
    assert_eq!(fields("leadership"), ["context", "revenue-exposure", "actions-taken", "decision-needed", "deadline"]);
    let immediate: Vec<String> = p["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["immediate"] == true)
        .map(|d| d["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(immediate, ["security"]);
    assert_eq!(keys(&p["severities"], "label"), ["Critical", "High", "Medium"]);
    for n in 1..=3 {
        assert_eq!(severity(&p, n)["wait"]["any"], "0m clock", "critical issues need immediate action: {p}");
    }
    assert_eq!(severity(&p, 1)["escalable"], true);
    for level in p["levels"].as_array().unwrap() {
        assert_eq!(level["update_every"], "3h clock", "{level}");
    }
    assert!(keys(&p["reasons"], "key").contains(&"emergency-unresolved".to_string()));
    assert_eq!(strings(&p["calendar"]["working_days"]).len(), 7, "on-call around the clock");

    // Every package is complete, and nothing outside it is accepted.
    let mut ex = Example::new(PACKAGES);
    ex.at("2026-11-23T12:00:00Z");
    ex.case("G-1", 2, "any", "2026-11-23T12:00:00Z");
    let (_, err) = ex.expect(2, &["request", "G-1", "--reason", "business-stakes", "--to", "leadership"]);
    for f in ["context", "revenue-exposure", "actions-taken", "decision-needed", "deadline"] {
        assert!(err.contains(&format!("--field {f}=...")), "{f}: {err}");
    }
    let (_, err) = ex.expect(
        2,
        &["request", "G-1", "--reason", "business-stakes", "--to", "product", "--field", "competitive-context=none"],
    );
    assert!(err.contains("not part of the product package (fields: use-case, impact, frequency)"), "{err}");
}

#[test]
fn packages_a_critical_case_may_be_escalated_at_once() {
    let mut ex = Example::new(PACKAGES);
    ex.at("2026-11-28T01:00:00Z"); // a Saturday: emergencies run around the clock
    ex.case("G-1", 1, "any", "2026-11-28T01:00:00Z");
    ex.case("G-2", 3, "any", "2026-11-28T01:00:00Z");
    // Critical demands immediate action; High and Medium: the criteria decide, not the clock.
    let v = ex.json(&["check", "G-1", "--to", "engineering", "--reason", "technical-barrier"]);
    assert_eq!(v["eligible"], true, "{v}");
    assert_eq!(rule(&v, "severity")["passed"], true, "a critical case is escalated, not redirected: {v}");
    ex.ok(&["check", "G-2", "--reason", "recurring-pattern"]);
    // An emergency unresolved after 3 hours becomes an account escalation: the
    // requester judges the 3 hours, the reason says so.
    let help = ex.show()["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "emergency-unresolved")
        .map(|r| r["help"].as_str().unwrap().to_string())
        .unwrap();
    assert!(help.contains("more than 3 hours"), "{help}");
    ex.ok(&["check", "G-1", "--to", "engineering", "--reason", "emergency-unresolved"]);
}

#[test]
fn packages_security_routes_immediately_and_skips_the_levels() {
    let mut ex = Example::new(PACKAGES);
    ex.at("2026-11-28T01:00:00Z");
    ex.case("G-1", 1, "any", "2026-11-28T01:00:00Z");
    let v = ex.json(&["check", "G-1", "--to", "security"]);
    assert_eq!(v["eligible"], true, "{v}");
    assert!(rule(&v, "wait-window")["detail"].as_str().unwrap().contains("routes immediately"), "{v}");

    let (_, err) = ex.expect(2, &["request", "G-1", "--reason", "widespread-harm", "--to", "security"]);
    for f in ["observations", "affected", "containment", "urgency"] {
        assert!(err.contains(&format!("--field {f}=...")), "{f}: {err}");
    }
    let v = ex.json(&[
        "request",
        "G-1",
        "--reason",
        "widespread-harm",
        "--to",
        "security",
        "--description",
        "Tokens visible in public logs",
        "--field",
        "observations=API tokens printed in job logs",
        "--field",
        "affected=Acme's public projects",
        "--field",
        "containment=Logs hidden, tokens revoked",
        "--field",
        "urgency=Critical: active exposure",
    ]);
    assert_eq!(v["routed_immediately"], true, "{v}");
    assert_eq!(strings(&v["audience"]), ["Security team"]);
    assert_eq!(v["reviewer"], "Security team");
    let (_, err) = ex.expect(1, &["promote", "G-1", "--why", "Faster"]);
    assert!(err.contains("skip the level progression"), "{err}");
    // The report counts it past the levels, not at level 1.
    let r = ex.json(&["report"]);
    let highest = &r["by_highest_level"][0];
    assert_eq!((highest["key"].as_str(), highest["count"].as_u64()), (Some("routed-immediately"), Some(1)), "{r}");
    assert_eq!(highest["label"], "Routed immediately, past the levels");
}

#[test]
fn packages_the_escalation_is_owned_handed_over_and_kept_in_touch() {
    let mut ex = Example::new(PACKAGES);
    ex.at("2026-11-28T04:00:00Z");
    ex.case("G-1", 1, "any", "2026-11-28T01:00:00Z");
    let v = ex.json(&[
        "request",
        "G-1",
        "--reason",
        "emergency-unresolved",
        "--to",
        "engineering",
        "--description",
        "Emergency running 3 hours after the upgrade, no resolution in sight",
        "--field",
        "summary=Pipelines stuck after upgrade",
        "--field",
        "narrative=Since 01:00 every pipeline is pending",
        "--field",
        "reproduction=Push any commit",
        "--field",
        "expected=Pipeline starts",
        "--field",
        "observed=Pipeline pending forever",
        "--field",
        "environment=Self-managed 17.5",
        "--field",
        "impact=All 900 developers blocked",
        "--field",
        "actions-taken=Restarted runners -> no change",
    ]);
    assert_eq!(v["level_name"], "Escalation DRI");
    assert!(strings(&v["audience"]).iter().any(|a| a.contains("Escalation DRI")), "{v}");
    assert_eq!(v["review_due_at"], "2026-11-28T05:00:00Z");

    // Without a promised touch-point the customer hears from us every 3 hours.
    ex.at("2026-11-28T06:59:00Z");
    let due = ex.json(&["due"]);
    let touch = due.as_array().unwrap().iter().find(|d| d["kind"] == "touch-point").expect("a touch-point");
    assert_eq!(touch["due_at"], "2026-11-28T07:00:00Z", "{due}");
    assert_eq!(touch["overdue"], false);
    ex.at("2026-11-28T07:01:00Z");
    let (out, _) = ex.expect(1, &["due", "--overdue"]);
    assert!(out.contains("touch-point"), "{out}");

    // No response from the DRI: the Support Manager On-call opens it.
    ex.ok(&["promote", "G-1", "--why", "No response from the CSM"]);
    let v = ex.json(&["list"]);
    assert_eq!(v[0]["level"], 2);
    assert_eq!(v[0]["reviewer"], "Support Manager On-call");
    assert!(strings(&v[0]["audience"]).contains(&"Customer Success (account escalation)".to_string()), "{v}");

    // End of shift: hand over; the next engineer promises the next touch-point.
    ex.ok(&["handoff", "G-1", "--to", "lee", "--note", "Runner fleet rebuilt; DB team on the call"]);
    ex.expect_as("lee", 0, &["update", "G-1", "--note", "Next call at 10:00", "--next", "2026-11-28T10:00:00Z"]);
    let (out, _) = ex.expect(0, &["show", "G-1"]);
    assert!(out.starts_with("Latest handoff from alice to lee"), "{out}");
    ex.at("2026-11-28T10:01:00Z");
    let due = ex.json(&["due", "--overdue"]);
    let touch = due.as_array().unwrap().iter().find(|d| d["kind"] == "touch-point").expect("the promised one");
    assert_eq!(touch["due_at"], "2026-11-28T10:00:00Z");
    assert_eq!(touch["detail"], "promised customer touch-point");

    // A touch-point promised for the evening does not put off the 3-hourly update.
    let (out, _) = ex.expect_as("lee", 0, &["update", "G-1", "--note", "Call held", "--next", "2026-11-28T20:00:00Z"]);
    assert!(out.contains("Level 2 asks for a customer update every 3h clock: the next is due by 2026-11-28 13:01 UTC (in 3h), before the promised time."), "{out}");
    ex.at("2026-11-28T13:02:00Z");
    let due = ex.json(&["due", "--overdue"]);
    let touch = due.as_array().unwrap().iter().find(|d| d["kind"] == "touch-point").expect("the cadence's");
    assert_eq!(touch["due_at"], "2026-11-28T13:01:00Z", "{due}");
    assert_eq!(
        touch["detail"],
        "customer update every 3h clock at level 2; the touch-point promised for 2026-11-28 20:00 UTC is later"
    );

    // It closes once the Escalation DRI, its owner, agrees.
    ex.expect_as("lee", 0, &["assign", "G-1", "--to", "kim", "--note", "Kim is the CSM, the Escalation DRI"]);
    ex.expect_as("lee", 1, &["close", "G-1", "--note", "Resolved"]);
    ex.expect_as("kim", 0, &["close", "G-1", "--note", "The DRI agrees: resolved"]);
}

#[test]
fn four_levels_the_vp_alone_decides_level_4_and_each_kind_of_channel_is_shown() {
    let mut ex = Example::new(FOUR_LEVELS);
    ex.at("2026-11-23T12:00:00Z"); // a Monday
    ex.case("K-1", 3, "non-premium", "2026-11-19T09:00:00Z");
    let request = ["request", "K-1", "--reason", "time-constraint", "--to", "case-portal", "--description", "Cut-over"];
    ex.ok(&request);
    // Each level's review window (4 business hours) passes before the next promotion.
    for (at, level) in [("2026-11-23T16:00:00Z", 2), ("2026-11-24T12:00:00Z", 3), ("2026-11-24T16:00:00Z", 4)] {
        ex.at(at);
        let v = ex.json(&["promote", "K-1", "--why", "No progress"]);
        assert_eq!(v["level"], level, "{v}");
    }
    let (_, err) = ex.expect_as("rita", 1, &["decide", "K-1", "approve"]);
    assert!(err.contains("role:vp-support (dana)"), "{err}");
    ex.expect_as("dana", 0, &["decide", "K-1", "approve"]);
    let shown = ex.show();
    let channels = &shown["notifications"]["channels"];
    assert_eq!(keys(channels, "kind"), ["slack", "teams", "webhook", "pagerduty", "command"]);
    assert_eq!(channels[0]["delivers"], "the webhook URL in environment variable ESCALATION_MANAGERS_SLACK_URL");
}
