//! A notification receiver on 127.0.0.1 for tests: records each request and
//! answers as told (200, 429, 500, hang, or close the connection).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Ok,
    Status(u16),
    /// Read the request, then say nothing for a long time.
    Hang,
    /// Read the request, then close the connection without answering.
    Close,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

struct State {
    answer: Answer,
    /// Answer with a body, such as Slack's "no_service".
    answer_body: String,
    requests: Vec<Request>,
}

#[derive(Clone)]
pub struct Receiver {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    pub fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local addr").port();
        let state =
            Arc::new(Mutex::new(State { answer: Answer::Ok, answer_body: String::new(), requests: Vec::new() }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, &state));
            }
        });
        Receiver { port, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn answer(&self, a: Answer) {
        self.state.lock().unwrap().answer = a;
    }

    pub fn answer_with(&self, a: Answer, body: &str) {
        let mut s = self.state.lock().unwrap();
        s.answer = a;
        s.answer_body = body.to_string();
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests to one path (one channel).
    pub fn to(&self, path: &str) -> Vec<Request> {
        self.requests().into_iter().filter(|r| r.path == path).collect()
    }

    /// Wait until at least `n` requests arrived (at most 10 s).
    pub fn wait_for(&self, n: usize) {
        for _ in 0..1000 {
            if self.requests().len() >= n {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the receiver got {} requests, expected {n}", self.requests().len());
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (answer, answer_body) = {
        let mut s = state.lock().unwrap();
        s.requests.push(Request { path, headers, body: String::from_utf8_lossy(&body).into_owned() });
        (s.answer, s.answer_body.clone())
    };
    let mut stream = stream;
    let status = match answer {
        Answer::Ok => 200,
        Answer::Status(s) => s,
        Answer::Hang => {
            std::thread::sleep(Duration::from_secs(60));
            return;
        }
        Answer::Close => return,
    };
    let reply = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer_body}",
        answer_body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
}
