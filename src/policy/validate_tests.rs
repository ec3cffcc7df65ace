//! Unit tests of policy validation: the built-in policy, and errors named where they are.

use super::*;
use crate::policy::Span;

#[test]
fn the_built_in_policy_is_valid() {
    let p = parse(crate::policy::BUILT_IN, "policy.toml").unwrap();
    assert_eq!(p.levels.len(), 4);
    assert_eq!(p.severities[&2].wait["premium"], Span::clock_minutes(240));
    assert_eq!(p.severities[&4].wait["standard"], Span::clock_minutes(24 * 60));
    assert!(!p.severities[&1].escalable);
    assert!(p.destinations["security"].immediate);
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

fn err(text: &str) -> String {
    format!("{:#}", parse(text, "p.toml").unwrap_err())
}

#[test]
fn errors_name_line_and_column() {
    let bad = crate::policy::BUILT_IN.replace("wait = { premium = \"4h clock\"", "wiat = { premium = \"4h clock\"");
    let e = err(&bad);
    assert!(e.contains(&format!("p.toml:{}:1: unknown field `wiat`", line_of(&bad, "wiat"))), "{e}");
    let bad = crate::policy::BUILT_IN.replace("\"8h clock\", standard = \"16h clock\"", "\"8h clock\"");
    let e = err(&bad);
    assert!(e.contains("severity 3 has no wait window for tier \"standard\""), "{e}");
    assert!(e.contains(&format!("p.toml:{}:", line_of(&bad, "[severities.3]"))), "{e}");
    let bad = crate::policy::BUILT_IN.replace("[levels.3]", "[levels.5]");
    assert!(err(&bad).contains("level 3 is missing"));
    let bad = crate::policy::BUILT_IN
        .replace("\"troubleshooting\", \"customer-context\"", "\"troubleshooting\", \"context-customer\"");
    assert!(err(&bad).contains("unknown field \"context-customer\""));
    let bad =
        crate::policy::BUILT_IN.replace("\"16h clock\", standard = \"24h clock\"", "\"16h\", standard = \"24h clock\"");
    assert!(err(&bad).contains("invalid duration \"16h\""));
    let bad = crate::policy::BUILT_IN.replace("timezone = \"UTC\"", "timezone = \"Mars/Olympus\"");
    assert!(err(&bad).contains("unknown time zone \"Mars/Olympus\""));
}

#[test]
fn a_duplicate_key_and_no_working_days_are_named_where_they_are() {
    let bad = crate::policy::BUILT_IN.replacen("label = \"Lack of progress\"", "label = \"A\"\nlabel = \"B\"", 1);
    let want = format!(
        "p.toml:{}:1: duplicate key `label` in [reasons.lack-of-progress]: give each key once",
        line_of(&bad, "label = \"B\"")
    );
    assert!(err(&bad).contains(&want), "{}", err(&bad));
    let bad = format!("{}\n[tiers.premium]\nlabel = \"Again\"\n", crate::policy::BUILT_IN);
    assert!(
        err(&bad).contains(": the table [tiers.premium] is defined twice: define each table once"),
        "{}",
        err(&bad)
    );
    let bad = crate::policy::BUILT_IN.replacen("review = \"4h business\"", "review = \"0m business\"", 1);
    assert!(err(&bad).contains("level 1's review window is 0m business: nobody could review in time"), "{}", err(&bad));
    let bad = crate::policy::BUILT_IN.replacen("update_every = \"8h business\"", "update_every = \"0h business\"", 1);
    assert!(
        err(&bad).contains("level 1's update_every is 0m business: every touch-point would be overdue"),
        "{}",
        err(&bad)
    );
    let bad = crate::policy::BUILT_IN
        .replace("working_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]", "working_days = []");
    let e = err(&bad);
    let want =
        format!("p.toml:{}:1: business durations are used, and working_days is empty", line_of(&bad, "working_days"));
    assert!(e.contains(&want), "{e}");
}

#[test]
fn the_account_dri_fallback_names_a_role_the_policy_defines() {
    let bad = crate::policy::BUILT_IN.replace("\"role:regional-managers\"  #", "\"role:regional-manager\"  #");
    let e = err(&bad);
    let line = line_of(&bad, "dri_fallback");
    assert!(
        e.contains(&format!("p.toml:{line}:16: accounts.dri_fallback \"role:regional-manager\" names unknown role")),
        "{e}"
    );
    assert!(e.contains("(roles: escalation-managers, regional-managers)"), "{e}");
    let named = crate::policy::BUILT_IN.replace("\"role:regional-managers\"  #", "\"dana\"  #");
    assert!(parse(&named, "p.toml").is_ok());
}

#[test]
fn a_threshold_out_of_range_is_named_where_it_is_set() {
    let bad = crate::policy::BUILT_IN.replace("sla_at_risk_percent = 75", "sla_at_risk_percent = 175");
    let line = line_of(&bad, "sla_at_risk_percent");
    assert!(err(&bad).contains(&format!("p.toml:{line}:23: signals.sla_at_risk_percent is 175: give a percentage")));
    let bad = crate::policy::BUILT_IN.replace("emergency_severity = 1 ", "emergency_severity = 7 ");
    let line = line_of(&bad, "emergency_severity");
    let e = err(&bad);
    assert!(
        e.contains(&format!(
            "p.toml:{line}:22: accounts.emergency_severity 7 is not one of the policy's severities (1, 2, 3, 4)"
        )),
        "{e}"
    );
}

#[test]
fn an_empty_list_of_a_levels_deciders_is_refused() {
    let bad = crate::policy::BUILT_IN.replace("# deciders = [\"role:vp-support\"]", "deciders = []");
    let e = err(&bad);
    assert!(
        e.contains("level 4 has deciders = []: name who decides it, or leave deciders out for [decisions] deciders"),
        "{e}"
    );
}

#[test]
fn holidays_are_dates_quoted_or_not() {
    let text = crate::policy::BUILT_IN.replacen("holidays = []", "holidays = [2026-10-26, \"2026-11-01\"]", 1);
    let p = parse(&text, "p.toml").unwrap();
    let days: Vec<String> = p.calendar.holidays.iter().map(|d| d.to_string()).collect();
    assert_eq!(days, ["2026-10-26", "2026-11-01"]);
    let bad = crate::policy::BUILT_IN.replacen("holidays = []", "holidays = [5]", 1);
    assert!(err(&bad).contains("invalid type: integer `5`, expected a date like \"2026-12-25\""), "{}", err(&bad));
    let bad = crate::policy::BUILT_IN.replacen("holidays = []", "holidays = [2026-10-26T09:00:00]", 1);
    assert!(err(&bad).contains("holiday \"2026-10-26T09:00:00\" is not a date"), "{}", err(&bad));
}

#[test]
fn business_durations_need_the_policys_own_calendar() {
    let text = crate::policy::BUILT_IN;
    let start = text.find("\n[calendar]").unwrap();
    let end = start + 1 + text[start + 1..].find("\n[").unwrap();
    let without = format!("{}{}", &text[..start], &text[end..]);
    assert!(
        err(&without).contains("business durations are used, and the policy has no [calendar]: add one"),
        "{}",
        err(&without)
    );
    // Counted in clock time only, the default calendar is never read.
    let clock = without.replace(" business\"", " clock\"");
    assert!(parse(&clock, "p.toml").is_ok(), "{}", err(&clock));
    let fallout = clock.replace("fallout_window = \"2d clock\"", "fallout_window = \"16h business\"");
    assert!(err(&fallout).contains("the policy has no [calendar]"), "{}", err(&fallout));
}

#[test]
fn a_decider_named_like_a_misspelling_of_someone_the_policy_names_is_refused() {
    let with = |name: &str| {
        crate::policy::BUILT_IN.replacen("[levels.3]\n", &format!("[levels.3]\ndeciders = [\"{name}\"]\n"), 1)
            + "\n[people.ingrid]\nhandle = \"@ingrid\"\n"
    };
    assert!(parse(&with("Ingrid"), "p.toml").is_ok(), "{}", err(&with("Ingrid")));
    let e = err(&with("ingird"));
    assert!(
        e.contains("level 3 is decided by \"ingird\", which the policy names nowhere else: did you mean \"ingrid\"?"),
        "{e}"
    );
    // Another name altogether is someone the policy need not list (people are listed for their handles).
    assert!(parse(&with("vp-dana"), "p.toml").is_ok(), "{}", err(&with("vp-dana")));
    let edits = crate::policy::people::edits;
    assert_eq!((edits("ingird", "ingrid"), edits("dana", "vp-dana"), edits("", "ab")), (2, 3, 2));
}

#[test]
fn a_negative_duration_and_working_hours_in_a_list_say_what_is_accepted() {
    let bad = crate::policy::BUILT_IN.replacen("review = \"4h business\"", "review = \"-2h clock\"", 1);
    assert!(err(&bad).contains("invalid duration \"-2h clock\": a duration is not negative"), "{}", err(&bad));
    let hours = "working_hours = { start = \"09:00\", end = \"17:00\" }";
    let bad = crate::policy::BUILT_IN.replacen(hours, "working_hours = [\"08:00\"]", 1);
    assert!(err(&bad).contains("expected working hours like { start = \"09:00\", end = \"17:00\" }"), "{}", err(&bad));
}
