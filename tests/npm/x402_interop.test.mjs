// The reference x402 clients and servers from npm against a real hearth
// node on loopback: @x402/fetch (v2) and x402-fetch (v1) pay a hearth CGI
// offer; `hearth curl` pays an @x402/express server that uses hearth as its
// facilitator; each payment lands in hearth's ledger exactly once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { privateKeyToAccount } from "viem/accounts";
import { createWalletClient, http } from "viem";
import { baseSepolia } from "viem/chains";
import { wrapFetchWithPaymentFromConfig, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { ExactEvmScheme as ExactEvmServerScheme } from "@x402/evm/exact/server";
import { wrapFetchWithPayment as wrapFetchV1 } from "x402-fetch";
import express from "express";
import { paymentMiddleware, x402ResourceServer } from "@x402/express";
import { HTTPFacilitatorClient } from "@x402/core/server";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startNode, ledger, hearthBin, buyerKey, buyerAddress, ownerAddress } from "./hearth_node.mjs";

const expressPayTo = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";  // a seller the node facilitates for

const run = promisify(execFile);
const script = '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\necho "paid hello $QUERY_STRING"\n';
let node, offerUrl;

before(async () => {
  // The node's own facilitator serves its owner and the @x402/express seller below.
  node = await startNode(["--facilitator-pay-to", `${ownerAddress},${expressPayTo}`]);
  const hash = node.offer(script, ["--cgi", "--price", "0.01"]);
  offerUrl = `${node.url}/${hash}.cgi/hello`;
});
after(async () => { await node?.stop(); });

const entriesOf = async (payer) => (await ledger(node.url)).filter((e) => e.payer === payer);

test("an unpaid call gets both challenges", async () => {
  const res = await fetch(offerUrl);
  assert.equal(res.status, 402);
  const v1 = await res.json();
  assert.equal(v1.x402Version, 1);
  assert.equal(v1.accepts[0].network, "base-sepolia");
  assert.equal(v1.accepts[0].maxAmountRequired, "10000");
  const v2 = JSON.parse(Buffer.from(res.headers.get("payment-required"), "base64").toString());
  assert.equal(v2.x402Version, 2);
  assert.equal(v2.accepts[0].network, "eip155:84532");
  assert.equal(v2.resource.url, offerUrl);
});

test("@x402/fetch (v2) pays a hearth CGI offer", async () => {
  const account = privateKeyToAccount(buyerKey);
  const pay = wrapFetchWithPaymentFromConfig(fetch, {
    schemes: [{ network: "eip155:84532", client: new ExactEvmScheme(account) }],
  });
  const before = (await entriesOf(buyerAddress)).length;
  const res = await pay(`${offerUrl}?v2`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await res.text(), "paid hello v2\n");
  const receipt = decodePaymentResponseHeader(res.headers.get("payment-response"));
  assert.equal(receipt.success, true);
  assert.equal(receipt.payer, buyerAddress);
  assert.equal(receipt.transaction, "", "settled into the node's ledger: no chain transaction to name");
  const entries = await entriesOf(buyerAddress);
  assert.equal(entries.length, before + 1);
  assert.ok(entries.some((e) => e.payment === receipt.ledgerEntry && e.amount === "10000" && e.pay_to === ownerAddress));
});

test("x402-fetch (v1) pays a hearth CGI offer", async () => {
  const wallet = createWalletClient({ account: privateKeyToAccount(buyerKey), transport: http("http://127.0.0.1:9"), chain: baseSepolia });
  const pay = wrapFetchV1(fetch, wallet);
  const before = (await entriesOf(buyerAddress)).length;
  const res = await pay(`${offerUrl}?v1`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await res.text(), "paid hello v1\n");
  const receipt = JSON.parse(Buffer.from(res.headers.get("x-payment-response"), "base64").toString());
  assert.equal(receipt.success, true);
  assert.equal(receipt.network, "base-sepolia");
  assert.equal((await entriesOf(buyerAddress)).length, before + 1);
});

test("hearth curl pays an @x402/express server that uses hearth as its facilitator", async () => {
  const facilitator = new HTTPFacilitatorClient({ url: `${node.url}/facilitator` });
  const server = new x402ResourceServer(facilitator).register("eip155:84532", new ExactEvmServerScheme());
  const payTo = expressPayTo;
  const app = express();
  app.use(paymentMiddleware({
    "GET /weather": { accepts: { scheme: "exact", price: "$0.02", network: "eip155:84532", payTo }, description: "weather" },
  }, server));
  app.get("/weather", (req, res) => res.json({ weather: "sunny" }));
  const listener = await new Promise((resolve) => { const l = app.listen(0, "127.0.0.1", () => resolve(l)); });
  try {
    const url = `http://127.0.0.1:${listener.address().port}/weather`;
    const keyFile = join(node.dir, "buyer.key");
    writeFileSync(keyFile, buyerKey + "\n", { mode: 0o600 });
    const before = (await ledger(node.url)).filter((e) => e.payer === buyerAddress && e.amount === "20000").length;
    const { stdout, stderr } = await run(hearthBin, ["curl", "-v", "--key", "@" + keyFile, "--max", "USDC:0.05", url]);
    assert.deepEqual(JSON.parse(stdout), { weather: "sunny" });
    assert.match(stderr, /paid 0\.02 USDC on eip155:84532/);
    assert.match(stderr, /receipt: success=true transaction=none /);
    const after = (await ledger(node.url)).filter((e) => e.payer === buyerAddress && e.amount === "20000").length;
    assert.equal(after, before + 1);
    // Above --max nothing is signed and the server is not paid.
    await assert.rejects(run(hearthBin, ["curl", "--key", "@" + keyFile, "--max", "0.01", url]), (e) => {
      assert.equal(e.code, 2);
      assert.match(e.stderr, /above --max 0\.01 USDC \[over_max\]/);
      return true;
    });
  } finally {
    listener.close();
  }
});
