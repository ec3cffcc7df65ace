//! Typed error kinds that the shell maps to exit codes; everything else is anyhow.

use std::fmt;

/// The exit codes escalate promises to scripts. Documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The policy says no: not eligible, refused request or promotion. Exit 1.
    Refused,
    /// Usage error or bad input: unknown case, duplicate id, malformed time, missing value. Exit 2.
    BadInput,
    /// The policy file is invalid. Exit 3.
    Policy,
    /// The ledger cannot be opened, is from a newer version, or a database operation failed. Exit 4.
    Ledger,
    /// A notification could not be delivered (`notify test`, `notify flush`). Exit 6.
    Delivery,
    /// The ledger's event log was altered: its hash chain breaks, or a checkpoint is not extended. Exit 7.
    Altered,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Refused => 1,
            Kind::BadInput => 2,
            Kind::Policy => 3,
            Kind::Ledger => 4,
            Kind::Delivery => 6,
            Kind::Altered => 7,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Refused => "refused",
            Kind::BadInput => "bad-input",
            Kind::Policy => "invalid-policy",
            Kind::Ledger => "ledger",
            Kind::Delivery => "delivery",
            Kind::Altered => "altered",
        }
    }
}

/// Exit code for failures that are none of the kinds above (I/O on output, bugs).
pub const EXIT_OTHER: u8 = 5;

/// An error whose kind the shell must know.
#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

fn make(kind: Kind, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Error { kind, message: message.into() })
}

pub fn refused(message: impl Into<String>) -> anyhow::Error {
    make(Kind::Refused, message)
}

pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
    make(Kind::BadInput, message)
}

pub fn policy(message: impl Into<String>) -> anyhow::Error {
    make(Kind::Policy, message)
}

pub fn ledger(message: impl Into<String>) -> anyhow::Error {
    make(Kind::Ledger, message)
}

pub fn delivery(message: impl Into<String>) -> anyhow::Error {
    make(Kind::Delivery, message)
}

pub fn altered(message: impl Into<String>) -> anyhow::Error {
    make(Kind::Altered, message)
}

/// The kind of an error chain: the first typed error found; the storage
/// layer's errors are ledger failures.
pub fn kind_of(err: &anyhow::Error) -> Option<Kind> {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<Error>() {
            return Some(e.kind);
        }
        if let Some(e) = cause.downcast_ref::<crate::ledger::StoreError>() {
            return Some(match e {
                crate::ledger::StoreError::OutOfRange(_) | crate::ledger::StoreError::BadLocation(_) => Kind::BadInput,
                _ => Kind::Ledger,
            });
        }
    }
    None
}

pub fn exit_code_of(err: &anyhow::Error) -> u8 {
    kind_of(err).map_or(EXIT_OTHER, Kind::exit_code)
}
