// A node that settles through an x402 facilitator (--settlement facilitator):
// here the facilitator is a second hearth node, reached through a relay
// that can stall /settle to show that a settle without an answer is not a
// failure: the buyer is served, the payment stays settle_pending, and the
// node settles it when the facilitator answers again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import express from "express";
import { privateKeyToAccount } from "viem/accounts";
import { wrapFetchWithPaymentFromConfig, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { startNode, ledger, buyerKey, buyerAddress, ownerAddress } from "./hearth_node.mjs";

let facilitatorNode, relay, seller, offerUrl;
let stallSettle = false;
const stalled = [];

before(async () => {
  facilitatorNode = await startNode();
  const app = express();
  app.use(express.json());
  app.post("/:op", async (req, res) => {
    if (req.params.op === "settle" && stallSettle) { stalled.push(res); return; }  // never answered
    const answer = await fetch(`${facilitatorNode.url}/facilitator/${req.params.op}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(req.body),
    });
    res.status(answer.status).json(await answer.json());
  });
  relay = await new Promise((resolve) => { const l = app.listen(0, "127.0.0.1", () => resolve(l)); });
  seller = await startNode(["--settlement", "facilitator", "--facilitator-url", `http://127.0.0.1:${relay.address().port}`,
                            "--facilitator-timeout-secs", "3"]);
  const hash = seller.offer('#!/bin/sh\nprintf "Content-Type: text/plain\\n\\nserved\\n"\n', ["--cgi", "--price", "0.03"]);
  offerUrl = `${seller.url}/${hash}.cgi/`;
});
after(async () => {
  for (const res of stalled) res.destroy();
  relay?.closeAllConnections?.();
  relay?.close();
  await seller?.stop();
  await facilitatorNode?.stop();
});

const payingFetch = () => wrapFetchWithPaymentFromConfig(fetch, {
  schemes: [{ network: "eip155:84532", client: new ExactEvmScheme(privateKeyToAccount(buyerKey)) }],
});

test("payments settle at the facilitator, into its ledger (no made-up transaction)", async () => {
  stallSettle = false;
  const settledBefore = (await ledger(facilitatorNode.url)).length;
  const res = await payingFetch()(offerUrl);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await res.text(), "served\n");
  const receipt = decodePaymentResponseHeader(res.headers.get("payment-response"));
  assert.equal(receipt.success, true);
  assert.equal(receipt.transaction, "", "no chain moved it: no transaction is named");
  const entries = await ledger(facilitatorNode.url);
  assert.equal(entries.length, settledBefore + 1, "the facilitator's ledger has the payment");
  const entry = entries.find((e) => e.payer === buyerAddress && e.amount === "30000");
  assert.ok(entry);
  assert.equal(entry.pay_to, ownerAddress);
  assert.equal(entry.network, "eip155:84532");
  assert.equal((await ledger(seller.url)).length, 0, "the seller's own ledger is not used");
});

test("a settle that times out is pending, not failed, and is retried", async () => {
  const settledBefore = (await ledger(facilitatorNode.url)).length;
  stallSettle = true;
  const res = await payingFetch()(`${offerUrl}?pending`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await res.text(), "served\n");
  const receipt = decodePaymentResponseHeader(res.headers.get("payment-response"));
  assert.equal(receipt.success, true);
  assert.equal(receipt.transaction, "", "nothing is settled yet");
  assert.equal(receipt.payer, buyerAddress);
  assert.ok(stalled.length >= 1, "the facilitator was asked to settle");
  assert.equal((await ledger(facilitatorNode.url)).length, settledBefore);
  stallSettle = false;
  // The node retries (2 s, then backoff); observe the facilitator's ledger, bounded.
  const deadline = Date.now() + 20000;
  let count = settledBefore;
  while (count === settledBefore && Date.now() < deadline) {
    count = (await ledger(facilitatorNode.url)).length;
    if (count === settledBefore) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(count, settledBefore + 1, "the pending settlement completed once the facilitator answered");
});
