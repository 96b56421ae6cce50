// The node's own x402 facilitator (/facilitator/verify and /settle) is open
// to anyone, so it settles only what it verified for a payTo it serves (its
// owner by default), records payTo/network/asset in the ledger, names no
// transaction that did not happen, and bounds each client's request rate.
// Authorizations are signed with viem, as any x402 client would.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { privateKeyToAccount } from "viem/accounts";
import { startNode, ledger, buyerKey, buyerAddress, ownerAddress } from "./hearth_node.mjs";
import { signTransferAuthorization, usdcAddress as usdc } from "./local_chain.mjs";

const stranger = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const buyer = privateKeyToAccount(buyerKey);
let node;

before(async () => { node = await startNode(); });
after(async () => { await node?.stop(); });

async function body(payTo) {
  const now = Math.floor(Date.now() / 1000);
  const authorization = { from: buyerAddress, to: payTo, value: "10000", validAfter: String(now - 600),
                          validBefore: String(now + 120), nonce: `0x${randomBytes(32).toString("hex")}` };
  const signature = await signTransferAuthorization(buyer, authorization);
  return {
    x402Version: 1,
    paymentPayload: { x402Version: 1, scheme: "exact", network: "base-sepolia", payload: { signature, authorization } },
    paymentRequirements: { scheme: "exact", network: "base-sepolia", maxAmountRequired: "10000", payTo, asset: usdc,
                           maxTimeoutSeconds: 300, resource: "http://127.0.0.1/x", description: "", mimeType: "",
                           extra: { name: "USDC", version: "2" } },
  };
}

async function post(op, json) {
  const res = await fetch(`${node.url}/facilitator/${op}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), json: await res.json() };
}

test("a payTo the node does not serve is neither verified nor settled", async () => {
  const before = (await ledger(node.url)).length;
  const b = await body(stranger);
  const verified = await post("verify", b);
  assert.equal(verified.json.isValid, false);
  assert.equal(verified.json.invalidReason, "pay_to_not_served");
  const settled = await post("settle", b);
  assert.equal(settled.json.success, false);
  assert.equal(settled.json.errorReason, "pay_to_not_served");
  assert.equal((await ledger(node.url)).length, before, "nothing was written");
});

test("the owner's payment settles once, into the ledger with payTo, network and asset, and no transaction", async () => {
  const before = (await ledger(node.url)).length;
  const b = await body(ownerAddress);
  assert.equal((await post("verify", b)).json.isValid, true);
  const settled = await post("settle", b);
  assert.equal(settled.json.success, true);
  assert.equal(settled.json.transaction, "", "no chain transaction happened");
  assert.match(settled.json.ledgerEntry, /^[0-9a-f]{64}$/);
  const entries = await ledger(node.url);
  assert.equal(entries.length, before + 1);
  const entry = entries.find((e) => e.payment === settled.json.ledgerEntry);
  assert.deepEqual([entry.pay_to, entry.payer, entry.network, entry.asset, entry.amount],
                   [ownerAddress, buyerAddress, "eip155:84532", usdc, "10000"]);
  const again = await post("settle", b);
  assert.equal(again.json.success, false);
  assert.equal(again.json.errorReason, "payment_replayed");
  assert.equal((await ledger(node.url)).length, before + 1);
});

test("a client past its rate gets 429 rate_limited with Retry-After", async () => {
  const b = await body(stranger);  // refused anyway: only the rate is measured
  const answers = await Promise.all(Array.from({ length: 60 }, () => post("verify", b)));
  const limited = answers.filter((a) => a.status === 429);
  assert.ok(limited.length > 0, "some requests were limited");
  assert.ok(answers.length - limited.length <= 25, `${answers.length - limited.length} passed a burst of 20`);
  assert.equal(limited[0].json.error.code, "rate_limited");
  assert.ok(Number(limited[0].retryAfter) >= 1);
});
