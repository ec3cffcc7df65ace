//! Unit tests of the NDJSON and CSV record readers: lines, encodings, errors.

use super::*;

fn lines(input: &[u8]) -> Vec<(u64, Result<RawCase, String>)> {
    Records::ndjson(input).map(|r| r.unwrap()).map(|r| (r.line, r.raw)).collect()
}

#[test]
fn ndjson_handles_bom_crlf_blank_lines_and_a_cut_last_line() {
    let input = b"\xEF\xBB\xBF{\"id\":\"A\",\"severity\":2}\r\n\r\n{\"id\":\"B\",\"tags\":[\"x\"]}\n{\"id\":\"C\"";
    let got = lines(input);
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].1.as_ref().unwrap().severity.as_deref(), Some("2"));
    assert_eq!(got[1].0, 3);
    assert_eq!(got[1].1.as_ref().unwrap().tags, Some(vec!["x".to_string()]));
    assert!(got[2].1.as_ref().unwrap_err().contains("cut short"), "{:?}", got[2]);
}

#[test]
fn ndjson_names_what_is_wrong() {
    let got = lines(b"[1]\n{\"id\":true}\n{\"tags\":[1]}\n\xFF\n{\"x\":1}\n");
    let errs: Vec<String> = got.into_iter().map(|(_, r)| r.unwrap_err()).collect();
    assert!(errs[0].contains("expected a JSON object"), "{errs:?}");
    assert!(errs[1].contains("id must be text"), "{errs:?}");
    assert!(errs[2].contains("tags must be strings"), "{errs:?}");
    assert!(errs[3].contains("not valid UTF-8"), "{errs:?}");
    assert!(errs[4].contains("unknown field \"x\""), "{errs:?}");
}

#[test]
fn csv_reads_quoted_fields_and_counts_lines() {
    let input = "\u{feff}id,customer,severity,tier,tags\r\nA,\"Acme, Inc.\",2,premium,a;b\r\nB,Beta,3\r\n";
    let recs: Vec<Record> = Records::csv(input.as_bytes()).unwrap().map(|r| r.unwrap()).collect();
    let a = recs[0].raw.as_ref().unwrap();
    assert_eq!(a.customer.as_deref(), Some("Acme, Inc."));
    assert_eq!(a.tags, Some(vec!["a".to_string(), "b".to_string()]));
    assert_eq!(recs[1].line, 3);
    assert!(recs[1].raw.as_ref().unwrap_err().contains("has 3 fields, the header has 5"));
}

#[test]
fn crlf_becomes_lf_even_across_reads_of_one_byte() {
    use std::io::Read;
    let input: &[u8] = b"a\r\nb\rc\r\r\n\r";
    let (mut r, _) = LfOnly::new(std::io::BufReader::with_capacity(1, input));
    let mut got = Vec::new();
    let mut one = [0u8; 1];
    while r.read(&mut one).unwrap() == 1 {
        got.push(one[0]);
    }
    assert_eq!(got, b"a\nb\nc\n\n\n");
}

proptest::proptest! {
    #[test]
    fn lf_only_makes_every_line_end_a_line_feed(
        input in proptest::collection::vec(proptest::sample::select(vec![b'\r', b'\n', b'a']), 0..64),
        cap in 1usize..5,
        chunk in 1usize..5,
    ) {
        use std::io::Read;
        let (mut r, _) = LfOnly::new(std::io::BufReader::with_capacity(cap, input.as_slice()));
        let mut got = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 { break; }
            got.extend_from_slice(&buf[..n]);
        }
        let want = String::from_utf8(input.clone()).unwrap().replace("\r\n", "\n").replace('\r', "\n");
        proptest::prop_assert_eq!(String::from_utf8(got).unwrap(), want);
    }
}

/// The first item of a CSV input, which must be an error; and that nothing follows it.
fn csv_error(input: &[u8]) -> String {
    let mut recs = Records::csv(input).unwrap();
    let err = recs.next().unwrap().unwrap_err().to_string();
    assert!(recs.next().is_none(), "reading goes on after {err}");
    err
}

#[test]
fn a_bad_csv_header_refuses_the_file() {
    let err = csv_error(b"id,customer,severity,colour\nA,b,2,x\n");
    assert!(err.starts_with("line 1: unknown field \"colour\""), "{err}");
    let err = csv_error(b"id,customer,severity\n");
    assert!(err.starts_with("line 1: the header has no \"tier\" column"), "{err}");
    let err = csv_error(b"");
    assert!(err.starts_with("line 1: the file is empty"), "{err}");
    let err = csv_error(b"\n\nid,customer,colour\n");
    assert!(err.starts_with("line 3: unknown field"), "{err}");
    let err = csv_error(format!("id,{},tier\n", "x".repeat(5000)).as_bytes());
    assert!(err.len() < 1000, "{err}");
}

#[test]
fn a_csv_line_over_the_limit_is_named_by_its_number() {
    let mut input = b"id,customer,severity,tier\nA,Acme,2,premium\r\n\nB,".to_vec();
    input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
    input.extend(b"\nC,Acme,2,premium\n");
    let mut recs = Records::csv(input.as_slice()).unwrap();
    assert_eq!(recs.next().unwrap().unwrap().line, 2);
    let err = recs.next().unwrap().unwrap_err().to_string();
    assert!(err.starts_with("line 4: the line is longer than 1 MiB"), "{err}");
    assert!(recs.next().is_none());
}

#[test]
fn ndjson_read_errors_name_the_line() {
    struct Failing(u8);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::other("the disk is gone"));
            }
            self.0 -= 1;
            buf[..2].copy_from_slice(b"{\n");
            Ok(2)
        }
    }
    let mut recs = Records::ndjson(std::io::BufReader::new(Failing(2)));
    assert_eq!(recs.next().unwrap().unwrap().line, 1);
    assert_eq!(recs.next().unwrap().unwrap().line, 2);
    let err = recs.next().unwrap().unwrap_err();
    assert_eq!(err.to_string(), "line 3: the disk is gone");
    assert!(recs.next().is_none());
}

#[test]
fn a_csv_that_ends_inside_a_quoted_field_is_refused_at_its_line() {
    let head = "id,customer,severity,tier,title\n";
    let read = |body: &str| -> Vec<Result<u64, String>> {
        let input = format!("{head}{body}");
        Records::csv(std::io::BufReader::with_capacity(3, input.as_bytes()))
            .unwrap()
            .map(|r| r.map(|r| r.line).map_err(|e| e.to_string()))
            .collect()
    };
    let cut = read("A,C,2,premium,ok\nB,C,2,premium,\"Checkout returns 500, since");
    assert_eq!(cut[0], Ok(2));
    assert_eq!(
        cut[1],
        Err("line 3: the file ends inside a quoted field: a closing quote is missing, or the file was cut short".into())
    );
    // Closed quotes, doubled quotes, a quote inside an unquoted field, a field over two lines:
    // all whole, with or without a last line end.
    for body in [
        "A,C,2,premium,\"Checkout \"\"x\"\" fails, often\"",
        "A,C,2,premium,27\" monitor",
        "A,C,2,premium,\"two\nlines\"\n",
        "A,C,2,premium,\"\"",
    ] {
        assert_eq!(read(body), vec![Ok(2)], "{body:?}");
    }
}
