// One row of make bench's table (benchmarks/report.py), appended as a JSON
// line to $HEARTH_BENCH_ROWS when it is set. BENCH_QUICK=1 asks for a short run.
import { appendFileSync } from "node:fs";
import { basename } from "node:path";

export const quick = process.env.BENCH_QUICK === "1";

export function benchRow(metric, unit, hearth, peer, peerName, better, target = null) {
  const file = process.env.HEARTH_BENCH_ROWS;
  if (!file) return;
  const num = (x) => (typeof x === "number" && Number.isFinite(x) && x >= 0 ? x : null);
  appendFileSync(file, JSON.stringify({ metric, unit, hearth: num(hearth), peer: num(peer), peer_name: peerName || null,
                                        better, target, bench: basename(process.argv[1]) }) + "\n");
}
