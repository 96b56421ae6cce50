// make bench: couch redeem -> running latency over 100 guests on a real node
// (local backend), and redeem -> first command answered, beside the same
// environment made by hand with bubblewrap (mkdir of a home + a first
// command in a fresh bwrap sandbox bound to it), in the same run.
// Usage: node couch_latency.mjs HEARTH_BIN
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchRow, quick } from "./bench_rows.mjs";

const bin = process.argv[2] ?? "build/apps/hearth";
const guests = quick ? 10 : 200;
const dir = mkdtempSync(join(tmpdir(), "hearth-couch-bench-"));
const node = spawn(bin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", join(dir, "data")], { stdio: ["ignore", "ignore", "pipe"] });
let log = "";
const url = await new Promise((resolve, reject) => {
  node.stderr.on("data", (d) => { log += d; const m = log.match(/url=(http:\/\/127\.0\.0\.1:\d+)/); if (m) resolve(m[1]); });
  node.on("exit", () => reject(new Error("node exited: " + log)));
  setTimeout(() => reject(new Error("node did not start")), 30000);
});
const token = readFileSync(join(dir, "data", "couch-host.token"), "utf8").trim();
const host = { "content-type": "application/json", authorization: `Bearer ${token}` };

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const running = [], firstExec = [];
for (let i = 0; i < guests; i++) {
  const inv = await (await fetch(`${url}/couch/invites`, { method: "POST", headers: host, body: "{}" })).json();
  const t0 = performance.now();
  const g = await (await fetch(`${url}/couch/redeem`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code: inv.code, name: `g${i}` }) })).json();
  for (let n = 0; n < 10000; n++) {
    const s = await (await fetch(`${url}/couch/status?token=${g.authToken}`)).json();
    if (s.status === "running") break;
  }
  running.push(performance.now() - t0);
  const r = await (await fetch(`${url}/couch/guest/exec`, { method: "POST", headers: { authorization: `Bearer ${g.authToken}` }, body: JSON.stringify({ command: "true" }) })).json();
  if (r.ending !== "exited") throw new Error("exec failed: " + JSON.stringify(r));
  firstExec.push(performance.now() - t0);
}
const stopped = new Promise((resolve) => node.once("exit", resolve));
node.kill("SIGTERM");
await stopped;  // it stops the environments and unmounts their homes

const bwrap = [];
for (let i = 0; i < guests; i++) {
  const t0 = performance.now();
  const home = join(dir, "bwrap", `g${i}`);
  mkdirSync(home, { recursive: true });
  execFileSync("bwrap", ["--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib",
    "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
    "--tmpfs", "/tmp", "--bind", home, "/home/guest", "--chdir", "/home/guest", "/bin/sh", "-c", "true"]);
  bwrap.push(performance.now() - t0);
}
rmSync(dir, { recursive: true, force: true });
const row = (what, xs) => console.log(`${what.padEnd(48)} p50 ${pct(xs, 0.5).toFixed(1).padStart(7)} ms   p99 ${pct(xs, 0.99).toFixed(1).padStart(7)} ms`);
console.log(`couch, ${guests} guests (local backend)`);
row("hearth redeem -> running", running);
row("hearth redeem -> first command answered", firstExec);
row("peer: mkdir home + first command in bwrap", bwrap);
benchRow(`couch redeem -> running, p50 (${guests} guests)`, "ms", pct(running, 0.5), pct(bwrap, 0.5),
         "bwrap home + first command", "lower", { max: 20 });
benchRow(`couch redeem -> running, p99 (${guests} guests)`, "ms", pct(running, 0.99), pct(bwrap, 0.99),
         "bwrap home + first command", "lower", { max: 40 });
benchRow(`couch redeem -> first command, p50 (${guests} guests)`, "ms", pct(firstExec, 0.5), pct(bwrap, 0.5),
         "bwrap home + first command", "lower");
