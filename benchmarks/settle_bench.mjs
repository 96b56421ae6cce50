// make bench: settlements per second on a local chain (anvil, Circle's USDC
// at the Base Sepolia address), hearth's /facilitator/settle with
// --settlement chain beside the reference facilitator (ExactEvmScheme from
// @x402/evm) in the same run, each with the same payments and concurrency;
// and verify latency (hearth: in-process checks + one eth_estimateGas).
// Usage: HEARTH_BIN=build/apps/hearth node benchmarks/settle_bench.mjs [payments per side]
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode, buyerKey, buyerAddress } from "../tests/npm/hearth_node.mjs";
import { startAnvil, deployUsdc, settlerKey, referenceFacilitator, requirementFor, signedPayload, accountOf }
  from "../tests/npm/local_chain.mjs";
import { benchRow, quick } from "./bench_rows.mjs";

const n = Number(process.argv[2] ?? (quick ? 10 : 200));
const concurrency = 16;
const payTo = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
const buyer = accountOf(buyerKey);
const req = requirementFor(payTo, { amount: "1000" });

const anvil = await startAnvil();
const usdc = await deployUsdc(anvil, { mintTo: [buyerAddress], settler: accountOf(settlerKey).address });
const reference = await referenceFacilitator(anvil);
const dir = mkdtempSync(join(tmpdir(), "hearth-settle-bench-"));
writeFileSync(join(dir, "settler.key"), settlerKey + "\n", { mode: 0o600 });
const node = await startNode(["--payment-networks", "base-sepolia", "--settlement", "chain", "--chain-rpc",
                              `base-sepolia=${anvil.url}`, "--settlement-key", "@" + join(dir, "settler.key"),
                              "--facilitator-pay-to", payTo, "--facilitator-rate", "100000"], { dir });

const post = async (path, p) => (await fetch(`${node.url}/facilitator/${path}`, {
  method: "POST", headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ x402Version: 2, paymentPayload: p, paymentRequirements: req }),
})).json();

async function pool(items, worker, width = concurrency) {
  let next = 0, ok = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) if (await worker(items[next++]).catch(() => false)) ++ok;
  }));
  return { ok, secs: (performance.now() - t0) / 1000 };
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const verifyMs = [];
const verifies = quick ? 5 : 50;
for (let i = 0; i < verifies; ++i) {
  const p = await signedPayload(buyer, req);
  const t0 = performance.now();
  const v = await post("verify", p);
  verifyMs.push(performance.now() - t0);
  if (!v.isValid) throw new Error("verify refused a good payment: " + JSON.stringify(v));
}
const refVerifyMs = [];
for (let i = 0; i < verifies; ++i) {
  const p = await signedPayload(buyer, req);
  const t0 = performance.now();
  const v = await reference.verify(p, req);
  refVerifyMs.push(performance.now() - t0);
  if (!v.isValid) throw new Error("the reference refused a good payment: " + JSON.stringify(v));
}

const batch = () => Promise.all(Array.from({ length: n }, () => signedPayload(buyer, req)));
const before = await usdc.balanceOf(payTo);
const hearthSettle = async (p) => (await post("settle", p)).success === true;
const referenceSettle = async (p) => (await reference.settle(p, req)).success === true;
// One at a time (each side's best case: the reference's signer shares its
// nonce between concurrent settles), then concurrency at a time.
const h1 = await pool(await batch(), hearthSettle, 1);
const r1 = await pool(await batch(), referenceSettle, 1);
const h = await pool(await batch(), hearthSettle);
const r = await pool(await batch(), referenceSettle);
const moved = (await usdc.balanceOf(payTo)) - before;

const rate = (x) => x.ok / x.secs;
const line = (name, x) =>
  console.log(`  ${name.padEnd(40)} ${rate(x).toFixed(1).padStart(8)} /s  (${x.ok}/${n} settled in ${x.secs.toFixed(2)} s)`);
console.log(`settlements on a local chain (anvil), ${n} payments per run`);
line("hearth /facilitator/settle, 1 at a time", h1);
line("reference ExactEvmScheme, 1 at a time", r1);
line(`hearth /facilitator/settle, ${concurrency} at a time`, h);
line(`reference ExactEvmScheme, ${concurrency} at a time`, r);
const best = Math.max(rate(r1), rate(r));
console.log(`  ratio hearth (best) / reference (best)   ${(Math.max(rate(h1), rate(h)) / best).toFixed(2).padStart(8)} x  (target >= 5)`);
console.log(`  USDC moved to payTo: ${moved} atomic (expected ${BigInt(h1.ok + r1.ok + h.ok + r.ok) * 1000n})`);
console.log(`verify latency (${verifies} sequential): hearth p50 ${pct(verifyMs, 0.5).toFixed(2)} ms p99 ${pct(verifyMs, 0.99).toFixed(2)} ms;` +
            ` reference p50 ${pct(refVerifyMs, 0.5).toFixed(2)} ms p99 ${pct(refVerifyMs, 0.99).toFixed(2)} ms`);
benchRow("settlements on a local chain, best of 1 and 16 at a time", "settles/s", Math.max(rate(h1), rate(h)), best,
         "reference ExactEvmScheme", "higher", { ratio_min: 5 });
benchRow("x402 verify through /facilitator/verify, p50", "ms", pct(verifyMs, 0.5), pct(refVerifyMs, 0.5),
         "reference ExactEvmScheme", "lower");
await node.stop();
await anvil.stop();
