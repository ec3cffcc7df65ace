//! The storage layer's own error: what went wrong in the ledger, mapped by the
//! shell to exit code 4. Messages never carry a password.

use std::fmt;

/// A failure of the ledger: opening, reading, writing or committing.
#[derive(Debug)]
pub enum StoreError {
    /// The database said no (a query, a constraint, a lost connection).
    Db(String),
    /// A stored value could not be read back (which table, row and column).
    Data(String),
    /// A row with this key exists already (a unique constraint).
    Duplicate(String),
    /// The ledger cannot be opened or used as it is (version, ownership, location).
    Unusable(String),
    /// A value the ledger cannot store (an instant past the year 9999): bad input, not a failure.
    OutOfRange(String),
    /// A ledger location that cannot be one (a malformed URL): bad input.
    BadLocation(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Db(m)
            | StoreError::Data(m)
            | StoreError::Unusable(m)
            | StoreError::OutOfRange(m)
            | StoreError::BadLocation(m) => f.write_str(m),
            StoreError::Duplicate(key) => write!(f, "{key} exists already"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, _) = &e
            && f.code == rusqlite::ErrorCode::ConstraintViolation
            && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
        {
            return StoreError::Duplicate(format!("a row ({e})"));
        }
        StoreError::Db(e.to_string())
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
            return StoreError::Duplicate(format!("a row ({})", super::postgres::describe(&e)));
        }
        if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) {
            return StoreError::Db(
                "another command has held what this one needs (the case, its account, or a ledger an import is \
                 filling) for 10 seconds: nothing was written; try again once it is done"
                    .into(),
            );
        }
        StoreError::Db(super::postgres::describe(&e))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Data(format!("a stored JSON value: {e}"))
    }
}
