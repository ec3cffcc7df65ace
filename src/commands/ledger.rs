//! `escalate ledger info|migrate`.

use serde_json::json;

use crate::app::Ctx;
use crate::cli::LedgerCommand;

fn count(conn: &rusqlite::Connection, table: &str) -> anyhow::Result<i64> {
    Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
}

pub fn run(ctx: &Ctx, cmd: &LedgerCommand) -> anyhow::Result<u8> {
    let ledger = match cmd {
        LedgerCommand::Info => ctx.read_ledger()?,
        LedgerCommand::Migrate => ctx.write_ledger()?,
    };
    let exists = ctx.ledger_path.exists();
    let info = json!({
        "path": ctx.ledger_path.display().to_string(),
        "exists": exists,
        "schema_version": if exists { ledger.schema_version()? } else { 0 },
        "supported_version": crate::ledger::migrations::current_version(),
        "cases": count(&ledger.conn, "cases")?,
        "escalations": count(&ledger.conn, "escalations")?,
        "events": count(&ledger.conn, "events")?,
    });
    if ctx.out.json {
        ctx.out.json(&info)?;
    } else {
        let mut t = ctx.out.table(&["Ledger", ""]);
        if let Some(m) = info.as_object() {
            for (k, v) in m {
                t.add_row(vec![k.replace('_', " "), v.to_string().trim_matches('"').to_string()]);
            }
        }
        ctx.out.print(&format!("{t}\n"))?;
    }
    Ok(0)
}
