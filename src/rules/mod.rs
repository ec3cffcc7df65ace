//! The pure rules: eligibility to escalate and to promote, as functions of
//! (policy, ledger rows, now). No I/O here.

pub mod account;
pub mod charts;
pub mod check;
pub mod due;
pub mod eligible;
pub mod finding;
pub mod follow;
pub mod history;
pub mod opening;
pub mod package;
pub mod pause;
pub mod permit;
pub mod promote;
pub mod records;
pub mod replay;
pub mod report;
pub mod signals;
pub mod sla;
