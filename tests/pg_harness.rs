//! Self-test of the throwaway PostgreSQL harness (tests/common/pg.rs).
mod common;

use std::time::Instant;

use common::pg;

#[test]
fn shared_server_starts_and_hands_out_distinct_databases() {
    let t = Instant::now();
    let server = pg::server();
    eprintln!("pg::server() ready in {:?}", t.elapsed());
    assert!(std::ptr::eq(server, pg::server()), "one server per process");
    assert!(server.socket_dir().join(format!(".s.PGSQL.{}", server.port())).exists());

    let (a, b) = (server.create_db(), server.create_db());
    assert_ne!(a, b);
    assert_eq!(server.psql(&a, "SELECT current_database(), current_user"), format!("{a}|postgres"));
    assert_eq!(pg::dump(&server.url(&a)), "<no tables>");

    server
        .psql(&b, "CREATE TABLE cases (id text PRIMARY KEY, n int); INSERT INTO cases VALUES ('c2', NULL), ('c1', 1)");
    assert_eq!(server.psql(&b, "SELECT * FROM cases ORDER BY id"), "c1|1\nc2|");
    assert_eq!(pg::dump(&server.url(&b)), "cases: (c1,1)\ncases: (c2,)\n");
    assert_eq!(pg::dump(&server.url("no_such_db")), "<no database>");
}

#[test]
fn tcp_needs_the_password() {
    let server = pg::server();
    let db = server.create_db();
    let mut c =
        postgres::Client::connect(&server.tcp_url(&db, true), postgres::NoTls).expect("password login over TCP");
    assert_eq!(c.query_one("SELECT 1 + 1", &[]).expect("query").get::<_, i32>(0), 2);

    let err = postgres::Client::connect(&server.tcp_url(&db, false), postgres::NoTls).err();
    assert!(err.is_some(), "TCP without a password must be refused");
}

#[test]
fn own_server_stops_and_starts_again() {
    let t = Instant::now();
    let own = pg::OwnServer::start();
    eprintln!("OwnServer::start() ready in {:?}", t.elapsed());
    assert_ne!(own.port(), pg::server().port());
    let db = own.create_db();
    let mut before = own.client(&db);
    before.batch_execute("CREATE TABLE pauses (id int); INSERT INTO pauses VALUES (7)").expect("write");

    own.stop();
    assert!(before.simple_query("SELECT 1").is_err(), "the old connection is gone");
    assert!(postgres::Client::connect(&own.url(&db), postgres::NoTls).is_err(), "stopped server refuses");

    own.start_again();
    assert_eq!(own.psql(&db, "SELECT id FROM pauses"), "7");
}
