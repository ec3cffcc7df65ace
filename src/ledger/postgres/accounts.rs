//! Accounts, the on-call roster and account escalations on PostgreSQL.

use postgres::Row;

use super::queries::{ESC_COLS, PgTxn, esc_row};
use crate::ledger::error::Result;
use crate::model::Escalation;
use crate::roster::{Account, Shift};

const ACCOUNT_COLS: &str = "customer, csm, ae, dri, updated_at";
const SHIFT_COLS: &str = "id, role, name, starts_at, ends_at, set_by, set_at";

fn account_row(r: &Row) -> Result<Account> {
    Ok(Account { customer: r.get(0), csm: r.get(1), ae: r.get(2), dri: r.get(3), updated_at: r.get(4) })
}

fn shift_row(r: &Row) -> Result<Shift> {
    Ok(Shift {
        id: r.get(0),
        role: r.get(1),
        name: r.get(2),
        starts_at: r.get(3),
        ends_at: r.get(4),
        set_by: r.get(5),
        set_at: r.get(6),
    })
}

/// The first key of the transaction locks that hold an account (`pg_advisory_xact_lock`
/// takes two: this one keeps escalate's apart from any other program's on the database).
const ACCOUNT_LOCKS: i32 = 0x4553_4341; // "ESCA"

impl PgTxn<'_> {
    /// Hold `customer`'s account until the transaction ends (writers only): a lock on
    /// its name, whether or not the account has a row yet.
    pub(super) fn lock_account(&mut self, customer: &str) -> Result<()> {
        if self.write {
            self.exec("SELECT pg_advisory_xact_lock($1, hashtext($2))", &[&ACCOUNT_LOCKS, &customer])?;
        }
        Ok(())
    }

    pub(super) fn get_account(&mut self, customer: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE customer = $1");
        Ok(self.rows(&sql, &[&customer], account_row)?.into_iter().next())
    }

    pub(super) fn write_account(&mut self, a: &Account) -> Result<()> {
        crate::ledger::storable(&format!("account {}", a.customer), &[Some(a.updated_at)])?;
        self.exec(
            "INSERT INTO accounts (customer, csm, ae, dri, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (customer) DO UPDATE SET csm = $2, ae = $3, dri = $4, updated_at = $5",
            &[&a.customer, &a.csm, &a.ae, &a.dri, &a.updated_at],
        )?;
        Ok(())
    }

    pub(super) fn all_accounts(&mut self) -> Result<Vec<Account>> {
        self.rows(&format!("SELECT {ACCOUNT_COLS} FROM accounts ORDER BY customer"), &[], account_row)
    }

    pub(super) fn insert_shift(&mut self, s: &Shift) -> Result<i64> {
        crate::ledger::storable(&format!("a shift of {}", s.name), &[Some(s.starts_at), s.ends_at, Some(s.set_at)])?;
        let sql = "INSERT INTO oncall (role, name, starts_at, ends_at, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)
                   RETURNING id";
        let ids =
            self.rows(sql, &[&s.role, &s.name, &s.starts_at, &s.ends_at, &s.set_by, &s.set_at], |r| Ok(r.get(0)))?;
        Ok(ids.into_iter().next().unwrap_or_default())
    }

    pub(super) fn all_shifts(&mut self) -> Result<Vec<Shift>> {
        self.rows(&format!("SELECT {SHIFT_COLS} FROM oncall ORDER BY id"), &[], shift_row)
    }

    pub(super) fn escalations_of_account(&mut self, customer: &str) -> Result<Vec<Escalation>> {
        self.rows(&format!("SELECT {ESC_COLS} FROM escalations WHERE account = $1 ORDER BY id"), &[&customer], esc_row)
    }
}
