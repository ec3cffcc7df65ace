//! A statement whose values SQLite reads where they lie: rusqlite copies every
//! text it binds (a copy, an allocation and a free per value), which was a fifth
//! of an import's writing thread. Here each run binds borrowed values, steps and
//! lets them go again before it returns, so nothing outlives the borrow.

use std::ffi::c_int;
use std::marker::PhantomData;
use std::ptr;

use rusqlite::{Connection, ffi};

/// A value to bind: borrowed text, an integer or NULL.
#[derive(Clone, Copy, Debug)]
pub enum Val<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(s: &'a str) -> Self {
        Val::Text(s)
    }
}

impl<'a> From<&'a String> for Val<'a> {
    fn from(s: &'a String) -> Self {
        Val::Text(s)
    }
}

impl From<i64> for Val<'_> {
    fn from(n: i64) -> Self {
        Val::Int(n)
    }
}

/// A prepared statement of `conn`, finalized when dropped.
pub struct Stmt<'c> {
    raw: *mut ffi::sqlite3_stmt,
    db: *mut ffi::sqlite3,
    params: usize,
    _conn: PhantomData<&'c Connection>,
}

/// The connection's last error as rusqlite words it.
fn failure(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    // SAFETY: `db` is the open connection the statement belongs to; the message it
    // returns is read (copied) before anything else is done on the connection.
    let message = unsafe {
        let m = ffi::sqlite3_errmsg(db);
        (!m.is_null()).then(|| std::ffi::CStr::from_ptr(m).to_string_lossy().into_owned())
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), message)
}

impl<'c> Stmt<'c> {
    /// Prepare `sql` (one statement) on `conn`.
    pub fn prepare(conn: &'c Connection, sql: &str) -> rusqlite::Result<Self> {
        let len = c_int::try_from(sql.len()).map_err(|_| rusqlite::Error::InvalidQuery)?;
        // SAFETY: the handle is only used while `conn` is borrowed (the lifetime 'c);
        // the text is passed with its length, so it needs no terminating NUL.
        unsafe {
            let db = conn.handle();
            let mut raw = ptr::null_mut();
            let flags = ffi::SQLITE_PREPARE_PERSISTENT;
            let rc = ffi::sqlite3_prepare_v3(db, sql.as_ptr().cast(), len, flags, &mut raw, ptr::null_mut());
            if rc != ffi::SQLITE_OK {
                return Err(failure(db, rc));
            }
            if raw.is_null() {
                return Err(rusqlite::Error::InvalidQuery);
            }
            let params = ffi::sqlite3_bind_parameter_count(raw) as usize;
            Ok(Stmt { raw, db, params, _conn: PhantomData })
        }
    }

    /// Bind `values` to parameters 1, 2, ... (all of them), run the statement to
    /// its end and unbind them.
    pub fn run(&mut self, values: &[Val<'_>]) -> rusqlite::Result<()> {
        if values.len() != self.params {
            return Err(rusqlite::Error::InvalidParameterCount(values.len(), self.params));
        }
        let bound = self.bind(values).and_then(|()| self.step());
        // SAFETY: the statement is alive; resetting and clearing drop every reference to
        // the borrowed values before they can go.
        unsafe {
            ffi::sqlite3_reset(self.raw);
            ffi::sqlite3_clear_bindings(self.raw);
        }
        bound
    }

    fn bind(&mut self, values: &[Val<'_>]) -> rusqlite::Result<()> {
        for (i, v) in values.iter().enumerate() {
            let n = (i + 1) as c_int;
            // SAFETY: SQLITE_STATIC: SQLite reads the text in place until the bindings are
            // cleared, which `run` does before the borrow of `values` ends.
            let rc = unsafe {
                match *v {
                    // An empty text points at a static "" (an empty String's pointer dangles).
                    Val::Text(s) => ffi::sqlite3_bind_text64(
                        self.raw,
                        n,
                        if s.is_empty() { "".as_ptr() } else { s.as_ptr() }.cast(),
                        s.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    Val::Int(x) => ffi::sqlite3_bind_int64(self.raw, n, x),
                    Val::Null => ffi::sqlite3_bind_null(self.raw, n),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(failure(self.db, rc));
            }
        }
        Ok(())
    }

    fn step(&mut self) -> rusqlite::Result<()> {
        // SAFETY: the statement is alive and every parameter is bound.
        let rc = unsafe { ffi::sqlite3_step(self.raw) };
        match rc {
            ffi::SQLITE_DONE => Ok(()),
            ffi::SQLITE_ROW => Err(rusqlite::Error::ExecuteReturnedResults),
            // The statement's own error code (with prepare_v3, step returns it directly).
            _ => Err(failure(self.db, rc)),
        }
    }
}

impl Drop for Stmt<'_> {
    fn drop(&mut self) {
        // SAFETY: finalized once, here; the connection outlives the statement ('c).
        unsafe {
            ffi::sqlite3_finalize(self.raw);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (a TEXT PRIMARY KEY, b INTEGER, c TEXT)").unwrap();
        c
    }

    #[test]
    fn values_are_written_as_bound_and_let_go() {
        let c = conn();
        {
            let mut s = Stmt::prepare(&c, "INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3), (?4, ?5, ?6)").unwrap();
            for k in 0..3 {
                let (a, b) = (format!("x{k}"), format!("y{k}"));
                s.run(&[Val::from(&a), Val::Int(k), Val::Null, Val::from(&b), Val::Int(-k), Val::Text("é\u{0}z")])
                    .unwrap();
            }
        }
        let rows: Vec<(String, i64, Option<String>)> = c
            .prepare("SELECT a, b, c FROM t ORDER BY a")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0], ("x0".to_string(), 0, None));
        assert_eq!(rows[3], ("y0".to_string(), 0, Some("é\u{0}z".to_string())));
        assert_eq!(rows[5], ("y2".to_string(), -2, Some("é\u{0}z".to_string())));
    }

    #[test]
    fn a_failing_run_names_the_constraint_and_the_statement_runs_again() {
        let c = conn();
        let mut s = Stmt::prepare(&c, "INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3)").unwrap();
        s.run(&[Val::Text("k"), Val::Int(1), Val::Null]).unwrap();
        let e = s.run(&[Val::Text("k"), Val::Int(2), Val::Null]).unwrap_err();
        assert_eq!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::ConstraintViolation), "{e}");
        assert!(e.to_string().contains("UNIQUE constraint failed: t.a"), "{e}");
        s.run(&[Val::Text("l"), Val::Int(3), Val::Null]).unwrap();
        let e = s.run(&[Val::Text("m")]).unwrap_err();
        assert!(matches!(e, rusqlite::Error::InvalidParameterCount(1, 3)), "{e}");
        assert!(Stmt::prepare(&c, "INSERT INTO nowhere VALUES (?1)").is_err());
    }
}
