//! Unit tests of record checking: fields, times, pauses, one-line text.

use super::*;

fn policy() -> Policy {
    Policy::parse(crate::policy::BUILT_IN, "policy.toml").expect("built-in policy")
}

fn raw() -> RawCase {
    RawCase {
        id: Some("C-1".into()),
        customer: Some("Acme".into()),
        severity: Some("2".into()),
        tier: Some("premium".into()),
        opened_at: Some("2026-11-20T08:00:00Z".into()),
        tags: Some(vec!["login".into(), "".into(), "login".into(), "eu".into()]),
        ..RawCase::default()
    }
}

#[test]
fn a_good_record_becomes_a_case_with_defaults() {
    let now = crate::time::utc(2026, 11, 23, 12, 0).unwrap();
    let c = validate(raw(), &policy(), now).unwrap();
    assert_eq!(c.tags, vec!["login", "eu"]);
    assert_eq!(c.priority, Priority::Normal);
    assert_eq!(c.status, CaseStatus::Open);
    let mut r = raw();
    r.opened_at = None;
    assert_eq!(validate(r.clone(), &policy(), now).unwrap().opened_at, now);
    // Text taken from the record is trimmed, and an id keyed, like text given by reference.
    let mut r = raw();
    (r.id, r.customer, r.tier) = (Some(" Cafe\u{301}-1 ".into()), Some("\tAcme ".into()), Some(" premium".into()));
    (r.title, r.tags) = (Some(" Login fails\n".into()), Some(vec![" eu ".into(), "EU".into()]));
    let c = validate(r, &policy(), now).unwrap();
    assert_eq!((c.id.as_str(), c.customer.as_str(), c.tier.as_str()), ("Caf\u{e9}-1", "Acme", "premium"));
    assert_eq!((c.title.as_str(), c.tags), ("Login fails", vec!["eu".to_string()]));
}

#[test]
fn each_bad_field_is_named() {
    let now = crate::time::utc(2026, 11, 23, 12, 0).unwrap();
    let p = policy();
    type Edit = fn(&mut RawCase);
    let cases: Vec<(Edit, &str)> = vec![
        (|r| r.id = None, "id is missing"),
        (|r| r.id = Some("-C-1".into()), "starts with '-', which reads as a flag"),
        (|r| r.id = Some("C 1".into()), "holds a space: a case id is one word"),
        (|r| r.customer = Some("  ".into()), "customer is missing"),
        (|r| r.severity = Some("7".into()), "unknown severity \"7\""),
        (|r| r.tier = Some("gold".into()), "unknown tier \"gold\""),
        (|r| r.opened_at = Some("yesterday".into()), "opened_at"),
        (|r| r.opened_at = Some("2027-01-01T00:00:00Z".into()), "in the future"),
        (|r| r.priority = Some("urgent".into()), "unknown priority"),
        (|r| r.status = Some("pending".into()), "unknown case status"),
        (|r| r.title = Some("a\u{7}b".into()), "control characters"),
        (|r| r.customer = Some("Acme\u{7f}".into()), "control characters"),
        (|r| r.title = Some("caf\u{e9}\u{85}au lait".into()), "control characters"),
        (|r| r.waiting_since = Some("2026-11-01T00:00:00Z".into()), "must fall between the case's opening"),
    ];
    for (edit, want) in cases {
        let mut r = raw();
        edit(&mut r);
        let err = validate(r.clone(), &p, now).unwrap_err();
        assert!(err.contains(want), "{err:?} should contain {want:?}");
    }
}

#[test]
fn one_line_fields_are_measured_in_characters() {
    let now = crate::time::utc(2026, 11, 23, 12, 0).unwrap();
    let max = crate::app::MAX_ONE_LINE;
    let mut r = raw();
    r.title = Some("\u{e9}".repeat(max));
    assert!(validate(r.clone(), &policy(), now).is_ok());
    r.title = Some("\u{e9}".repeat(max + 1));
    let err = validate(r.clone(), &policy(), now).unwrap_err();
    assert!(err.contains(&format!("{} characters long", max + 1)), "{err}");
    r.title = Some("e".repeat(max + 1));
    assert!(validate(r.clone(), &policy(), now).is_err());
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let mut r = RawCase::default();
    assert!(r.set("colour", "red".into()).unwrap_err().contains("unknown field \"colour\""));
    r.set("tags", "a;b".into()).unwrap();
    assert_eq!(r.tags, Some(vec!["a".to_string(), "b".to_string()]));
}

#[test]
fn a_pause_that_ends_before_it_starts_is_named_so() {
    let (now, p) = (crate::time::utc(2026, 11, 23, 12, 0).unwrap(), policy());
    let case = validate(raw(), &p, now).unwrap();
    let backwards = r#"[{"started_at":"2026-11-21T08:00:00Z","ended_at":"2026-11-21T07:00:00Z"}]"#;
    let err = pauses(Some(backwards), &case, &p, now).unwrap_err();
    assert_eq!(err, "the pause from 2026-11-21 08:00 UTC ends before it starts (2026-11-21 07:00 UTC)");
    let early = r#"[{"started_at":"2026-11-19T08:00:00Z","ended_at":"2026-11-21T07:00:00Z"}]"#;
    let err = pauses(Some(early), &case, &p, now).unwrap_err();
    assert!(err.contains("must fall between the case's opening (2026-11-20 08:00 UTC) and now"), "{err}");
}

#[test]
fn an_open_record_with_a_closing_time_is_refused() {
    let (now, p) = (crate::time::utc(2026, 11, 23, 12, 0).unwrap(), policy());
    let mut r = raw();
    r.closed_at = Some("2026-11-21T08:00:00Z".into());
    let err = checked(r.clone(), &p, now).unwrap_err();
    assert_eq!(
        err,
        "closed_at is 2026-11-21T08:00:00Z but the status is open (the default): give status closed, or no closed_at"
    );
    r.status = Some("Open".into());
    assert!(checked(r.clone(), &p, now).unwrap_err().contains("but the status is open: give"));
    r.status = Some("closed".into());
    assert!(checked(r.clone(), &p, now).is_ok());
    // An update that gives only the closing time keeps the status it had.
    r.status = None;
    assert!(open_yet_closed(&r, false).is_ok());
}
