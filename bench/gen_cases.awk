# Writes N synthetic support cases as CSV to stdout, for bench/run.sh and bench/versus.sh.
#   awk -v n=1000000 -f bench/gen_cases.awk > cases.csv
# Deterministic on every awk (mawk, gawk, busybox): a Park-Miller generator
# instead of rand(), whose sequence differs between implementations.
# Columns: id,customer,severity,tier,opened_at,title,priority,tags
#   severity 2-4, tier premium/standard, opened_at between 2026-01-01 and
#   2026-10-28 (in the past for ESCALATE_NOW from November 2026 on),
#   `customers` distinct customers (default 5000), 0-3 distinct tags joined by ';',
#   about one title in four quoted because it holds a comma.
# Optional (bench/scale.py): prefix (of the ids, default CASE-); few, that many cases spread
#   evenly over the file belong to "Customer 0000" (a customer with a handful of cases
#   whatever n is); open, only that many cases (spread evenly) are open, the others closed at
#   the end of the day they opened: status and closed_at columns are added.
function rnd(m) { seed = (seed * 16807) % 2147483647; return seed % m }
BEGIN {
    if (n == "") n = 1000000
    if (customers == "") customers = 5000
    if (prefix == "") prefix = "CASE-"
    fewstep = (few > 0) ? int(n / few) : 0
    openstep = (open > 0) ? int(n / open) : 0
    seed = 20261123
    split("checkout login billing api sso export mobile eu us apac latency data-loss", tag, " ")
    ntags = 12
    split("low normal normal normal high", prio, " ")
    split("Checkout fails|Login loops back to the start page|Invoice totals are wrong|API returns HTTP 500|SSO rejects valid users|Export times out|Mobile app crashes on start|Search is slow", what, "|")
    nwhat = 8
    print "id,customer,severity,tier,opened_at,title,priority,tags" (openstep ? ",status,closed_at" : "")
    for (i = 1; i <= n; i++) {
        c = rnd(customers) + 1
        sev = 2 + rnd(3)
        tier = (rnd(3) == 0) ? "premium" : "standard"
        opened = sprintf("2026-%02d-%02dT%02d:%02d:%02dZ", 1 + rnd(10), 1 + rnd(28), rnd(24), rnd(60), rnd(60))
        w = what[1 + rnd(nwhat)]
        if (rnd(4) == 0) title = "\"" w ", reported by " c " users\""
        else title = w " (case " i ")"
        k = rnd(4); t0 = rnd(ntags); tags = ""
        for (j = 0; j < k; j++) tags = tags (j ? ";" : "") tag[1 + (t0 + 5 * j) % ntags]
        cust = (fewstep && i % fewstep == 0) ? "Customer 0000" : sprintf("Customer %04d", c)
        tail = ""
        if (openstep) {
            if (i % openstep == 0) tail = ",open,"
            else tail = ",closed," substr(opened, 1, 10) "T23:59:59Z"
        }
        printf "%s%07d,%s,%d,%s,%s,%s,%s,%s%s\n", prefix, i, cust, sev, tier, opened, title, prio[1 + rnd(5)], tags, tail
    }
}
