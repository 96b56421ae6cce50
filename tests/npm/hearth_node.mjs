// Starts a real hearth node on loopback for the interop tests and uploads
// offers to it with the real CLI. HEARTH_BIN names the binary under test.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const hearthBin = process.env.HEARTH_BIN ?? "build/apps/hearth";

// Hardhat/anvil's well-known development keys: never used with real money.
export const ownerKey = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
export const ownerAddress = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
export const buyerKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const buyerAddress = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

// With { dir }, the node runs on that directory again (a restart).
export async function startNode(extraArgs = [], { dir: reuse } = {}) {
  const dir = reuse ?? mkdtempSync(join(tmpdir(), "hearth-interop-"));
  const child = spawn(hearthBin, ["serve", "--listen", "127.0.0.1:0", "--data-dir", join(dir, "data"),
                                  "--owner", ownerAddress, "--payment-networks", "base-sepolia,base", ...extraArgs],
                      { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk.toString();
      const m = log.match(/hearth serving url=(http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`hearth exited (${code}) before serving:\n${log}`)));
  });
  const keyFile = join(dir, "owner.key");
  writeFileSync(keyFile, ownerKey + "\n", { mode: 0o600 });
  return {
    url, dir, log: () => log,
    offer(script, args) {
      const exe = join(dir, `tool-${Math.random().toString(16).slice(2)}.sh`);
      writeFileSync(exe, script);
      chmodSync(exe, 0o755);
      return this.offerFile(exe, args);
    },
    offerFile(exe, args) {
      const out = execFileSync(hearthBin, ["offer", "--exe", exe, "--key", "@" + keyFile, "--upload", url, ...args],
                               { stdio: ["ignore", "pipe", "pipe"] }).toString();
      return out.trim().split("\n")[0];
    },
    async stop({ keep = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
    // A crash: SIGKILL, nothing flushed or drained; the directory stays.
    async kill() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

export async function ledger(url) {
  const res = await fetch(`${url}/payments/ledger?limit=1000`);
  return (await res.json()).entries;
}
