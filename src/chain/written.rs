//! A case-added event's data written straight in the canonical form the chain
//! hashes: what `canonical_data` makes of its JSON, without writing the JSON
//! first and reading it back (an import writes one per case, millions of them).

use super::write_str;
use crate::events::CaseAdded;
use crate::time::push_rfc3339;

/// The data of `added` in canonical form: the same text as
/// `canonical_data(&serde_json::to_string(added)?)`, its members in sorted order.
pub fn case_added(added: &CaseAdded) -> String {
    let c = &added.case;
    let mut out = Vec::with_capacity(256 + c.title.len());
    out.extend_from_slice(b"{\"closed_at\":");
    opt_time(&mut out, c.closed_at);
    out.extend_from_slice(b",\"customer\":");
    write_str(&c.customer, &mut out);
    out.extend_from_slice(b",\"first_response_at\":");
    opt_time(&mut out, c.first_response_at);
    out.extend_from_slice(b",\"id\":");
    write_str(&c.id, &mut out);
    if let Some(from) = &added.imported_from {
        out.extend_from_slice(b",\"imported_from\":{\"line\":");
        out.extend_from_slice(from.line.to_string().as_bytes());
        out.extend_from_slice(b",\"source\":");
        write_str(&from.source, &mut out);
        out.push(b'}');
    }
    out.extend_from_slice(b",\"opened_at\":");
    time(&mut out, c.opened_at);
    if !added.pauses.is_empty() {
        out.extend_from_slice(b",\"pauses\":[");
        for (i, p) in added.pauses.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"{\"ended_at\":" } else { b",{\"ended_at\":" });
            opt_time(&mut out, p.end);
            out.extend_from_slice(b",\"started_at\":");
            time(&mut out, p.start);
            out.push(b'}');
        }
        out.push(b']');
    }
    out.extend_from_slice(b",\"priority\":");
    write_str(c.priority.as_str(), &mut out);
    out.extend_from_slice(b",\"severity\":");
    out.extend_from_slice(c.severity.to_string().as_bytes());
    out.extend_from_slice(b",\"status\":");
    write_str(c.status.as_str(), &mut out);
    out.extend_from_slice(b",\"tags\":[");
    for (i, t) in c.tags.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(t, &mut out);
    }
    out.extend_from_slice(b"],\"tier\":");
    write_str(&c.tier, &mut out);
    out.extend_from_slice(b",\"title\":");
    write_str(&c.title, &mut out);
    out.extend_from_slice(b",\"waiting_since\":");
    opt_time(&mut out, c.waiting_since);
    out.push(b'}');
    // Only whole strings and ASCII punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

fn time(out: &mut Vec<u8>, t: chrono::DateTime<chrono::Utc>) {
    out.push(b'"');
    push_rfc3339(out, t);
    out.push(b'"');
}

fn opt_time(out: &mut Vec<u8>, t: Option<chrono::DateTime<chrono::Utc>>) {
    match t {
        Some(t) => time(out, t),
        None => out.extend_from_slice(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::ImportedFrom;
    use crate::model::{Case, CaseStatus, Pause, Priority};
    use chrono::{DateTime, TimeZone, Utc};
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 ,.-]{0,12}",
            // Every control character, the quote, the backslash and DEL, often.
            "[\\x00-\\x22\\x5c\\x7fa-z]{0,8}",
            any::<String>(),
            Just("quote \" backslash \\ tab \t nl \n del \u{7f} e\u{301} \u{2028} 😀".to_string()),
        ]
    }

    fn time() -> impl Strategy<Value = DateTime<Utc>> {
        // From before the common era to after 9999: the years written digit by digit and the others.
        (-70_000_000_000i64..300_000_000_000).prop_map(at)
    }

    prop_compose! {
        fn added()(
            id in text(), customer in text(), title in text(), tier in text(), severity in 0u32..100_000,
            tags in proptest::collection::vec(text(), 0..4), opened in time(),
            times in proptest::collection::vec(proptest::option::of(time()), 3),
            open in any::<bool>(), high in any::<bool>(),
            pauses in proptest::collection::vec((time(), proptest::option::of(time())), 0..3),
            from in proptest::option::of((text(), any::<u64>())),
        ) -> CaseAdded {
            let case = Case {
                id, customer, severity, tier, title, opened_at: opened,
                priority: if high { Priority::High } else { Priority::Normal },
                tags,
                status: if open { CaseStatus::Open } else { CaseStatus::Closed },
                waiting_since: times[0], first_response_at: times[1], closed_at: times[2],
            };
            CaseAdded {
                case,
                pauses: pauses.into_iter().map(|(start, end)| Pause { start, end }).collect(),
                imported_from: from.map(|(source, line)| ImportedFrom { source, line }),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Written straight, the same text as the event's JSON in canonical form.
        #[test]
        fn the_same_as_the_json_made_canonical(a in added()) {
            let json = serde_json::to_string(&a).unwrap();
            prop_assert_eq!(case_added(&a), super::super::canonical_data(&json).unwrap());
        }
    }
}
