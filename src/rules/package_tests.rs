//! Unit tests of the escalation document's rules: screening, values, rating, merging.

use chrono::TimeZone;

use super::*;

fn policy() -> Policy {
    Policy::parse(crate::policy::BUILT_IN, "policy.toml").expect("the built-in policy")
}

fn case(severity: u32) -> Case {
    let opened = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
    Case { severity, title: "Checkout fails".into(), ..Case::open("C-1", opened) }
}

fn esc(dest: &str, fields: &[(&str, &str)]) -> Escalation {
    let at = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
    let fields = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Escalation::new("C-1", dest.into(), "r".into(), "d".into(), fields, "alice", at, None)
}

#[test]
fn a_yes_to_a_screening_check_says_why_not_to_escalate() {
    let mut answers: IndexMap<String, bool> = IndexMap::new();
    answers.insert("coaching".into(), false);
    assert!(screened_out(&answers).is_empty());
    answers.insert("documented-fix".into(), true);
    assert_eq!(screened_out(&answers), ["a documented fix or workaround addresses it: apply it"]);
}

#[test]
fn an_item_shows_its_own_text_then_each_field_that_holds_it_once() {
    let mut e = esc("engineering", &[("impact", "40 customers")]);
    e.package.items.insert("revenue".into(), "30k a day".into());
    assert!(values(&e, "summary").is_empty());
    assert_eq!(values(&e, "revenue"), ["30k a day"]);
    e.fields.insert("revenue-exposure".into(), " 30k a day ".into());
    assert_eq!(values(&e, "revenue"), ["30k a day"], "a text given twice is shown once");
}

#[test]
fn the_rating_comes_from_the_package_then_the_destination_then_the_severity() {
    let p = policy();
    let mut e = esc("l2", &[]);
    assert_eq!(rating(&p, &case(2), &e).0, Rating::High);
    assert_eq!(rating(&p, &case(2), &esc("security", &[])).0, Rating::Critical);
    e.package.items.insert("rating".into(), "medium".into());
    let (r, source) = rating(&p, &case(2), &e);
    assert_eq!((r, source.as_str()), (Rating::Medium, "set on the package"));
}

#[test]
fn steps_lose_their_list_markers_and_merging_checks_items() {
    assert_eq!(strip_marker("  2) Pay with SEPA "), "Pay with SEPA");
    assert_eq!(strip_marker("- Open the cart"), "Open the cart");
    assert_eq!(strip_marker("3.14 is not a marker"), "3.14 is not a marker");
    let mut pkg = Package::default();
    let mut items: IndexMap<String, String> = IndexMap::new();
    items.insert("summary".into(), "Checkout 500s".into());
    assert_eq!(merge(&mut pkg, &items).unwrap(), ["summary"]);
    assert!(merge(&mut pkg, &items).unwrap().is_empty(), "the same value changes nothing");
    items.insert("rating".into(), "urgent".into());
    assert!(merge(&mut pkg, &items).unwrap_err().contains("not critical, high or medium"));
    let mut bad: IndexMap<String, String> = IndexMap::new();
    bad.insert("colour".into(), "red".into());
    assert!(merge(&mut pkg, &bad).is_err());
}
