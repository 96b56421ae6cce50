// The node's facilitator endpoints with --settlement chain beside the
// reference facilitator (ExactEvmScheme from @x402/evm) on the same local
// chain: both settle equivalent payments with real transactions and the same
// balances result; both refuse the same bad payloads. And `hearth curl` pays
// an @x402/express server over https (a test CA) whose facilitator is the
// reference one, settling on the same chain.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFile, execFileSync } from "node:child_process";
import { createServer } from "node:https";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import express from "express";
import { paymentMiddleware, x402ResourceServer } from "@x402/express";
import { x402Facilitator } from "@x402/core/facilitator";
import { ExactEvmScheme as ExactEvmServerScheme } from "@x402/evm/exact/server";
import { privateKeyToAccount } from "viem/accounts";
import { startNode, hearthBin, buyerKey, buyerAddress } from "./hearth_node.mjs";
import { startAnvil, deployUsdc, settlerKey, referenceFacilitator, requirementFor, signedPayload } from "./local_chain.mjs";

const payTo = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";
const buyer = privateKeyToAccount(buyerKey);
let anvil, usdc, node, reference;

const requirement = (over = {}) => requirementFor(payTo, over);
const payload = (auth = {}, req = requirement()) => signedPayload(buyer, req, auth);

async function hearth(path, p, req = requirement()) {
  const res = await fetch(`${node.url}/facilitator/${path}`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ x402Version: 2, paymentPayload: p, paymentRequirements: req }),
  });
  assert.equal(res.status, 200);
  return res.json();
}

before(async () => {
  anvil = await startAnvil();
  usdc = await deployUsdc(anvil, { mintTo: [buyerAddress], settler: privateKeyToAccount(settlerKey).address });
  reference = await referenceFacilitator(anvil);
  const dir = mkdtempSync(join(tmpdir(), "hearth-chainfac-"));
  writeFileSync(join(dir, "settler.key"), settlerKey + "\n", { mode: 0o600 });
  node = await startNode(["--payment-networks", "base-sepolia", "--settlement", "chain", "--chain-rpc",
                          `base-sepolia=${anvil.url}`, "--settlement-key", "@" + join(dir, "settler.key"),
                          "--facilitator-pay-to", payTo], { dir });
});
after(async () => {
  await node?.stop();
  await anvil?.stop();
});

test("hearth and the reference facilitator settle equivalent payments on chain alike", async () => {
  const buyerBefore = await usdc.balanceOf(buyerAddress);
  const payToBefore = await usdc.balanceOf(payTo);
  const mine = await payload();
  const theirs = await payload();

  assert.equal((await hearth("verify", mine)).isValid, true);
  assert.equal((await reference.verify(theirs, requirement())).isValid, true);
  const a = await hearth("settle", mine);
  const b = await reference.settle(theirs, requirement());
  assert.equal(a.success, true, JSON.stringify(a));
  assert.equal(b.success, true, JSON.stringify(b));
  for (const hash of [a.transaction, b.transaction]) {
    assert.match(hash, /^0x[0-9a-f]{64}$/);
    assert.equal((await usdc.pub.getTransactionReceipt({ hash })).status, "success");
  }
  assert.equal(a.payer, buyerAddress);
  assert.equal(b.payer, buyerAddress);
  assert.equal(await usdc.balanceOf(buyerAddress), buyerBefore - 20000n);
  assert.equal(await usdc.balanceOf(payTo), payToBefore + 20000n);

  // Each refuses the other's settled payment (the nonce is used on chain).
  assert.equal((await hearth("verify", theirs)).isValid, false);
  assert.equal((await hearth("settle", theirs)).success, false);
  assert.equal((await reference.settle(mine, requirement())).success, false);
  assert.equal(await usdc.balanceOf(buyerAddress), buyerBefore - 20000n);
});

test("hearth's verify and the reference's agree on bad payloads", async () => {
  const now = Math.floor(Date.now() / 1000);
  const used = await payload();
  assert.equal((await reference.settle(used, requirement())).success, true);
  const good = await payload();
  const badSignature = structuredClone(good);
  badSignature.payload.signature = good.payload.signature.slice(0, 10) +
      (good.payload.signature[10] === "0" ? "1" : "0") + good.payload.signature.slice(11);
  const cases = {
    "wrong amount": [await payload(), requirement({ amount: "20000" })],
    "expired": [await payload({ validBefore: String(now - 10) }), requirement()],
    "used nonce": [used, requirement()],
    "wrong payTo": [await payload({ to: buyerAddress }), requirement()],
    "bad signature": [badSignature, requirement()],
  };
  for (const [name, [p, req]] of Object.entries(cases)) {
    const ours = await hearth("verify", { ...p, accepted: req }, req);
    const theirs = await reference.verify({ ...p, accepted: req }, req);
    assert.equal(ours.isValid, false, `${name}: hearth accepted it`);
    assert.equal(theirs.isValid, false, `${name}: the reference accepted it`);
  }
  // And the good one passes both.
  assert.equal((await hearth("verify", good)).isValid, true);
  assert.equal((await reference.verify(good, requirement())).isValid, true);
});

// A CA and a server certificate for 127.0.0.1, made with openssl.
function testCertificates(dir) {
  const ssl = (...args) => execFileSync("openssl", args, { stdio: "ignore" });
  ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
      "/CN=hearth test CA", "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.pem"),
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
  ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1",
      "-keyout", join(dir, "server.key"), "-out", join(dir, "server.csr"));
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  ssl("x509", "-req", "-in", join(dir, "server.csr"), "-CA", join(dir, "ca.pem"), "-CAkey", join(dir, "ca.key"),
      "-CAcreateserial", "-days", "2", "-extfile", join(dir, "server.ext"), "-out", join(dir, "server.pem"));
}

test("hearth curl pays an @x402/express server over https that settles with the reference facilitator", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-https-"));
  testCertificates(dir);
  const facilitator = new x402Facilitator().register("eip155:84532", reference);
  const server = new x402ResourceServer(facilitator).register("eip155:84532", new ExactEvmServerScheme());
  const app = express();
  app.use(paymentMiddleware({
    "GET /weather": { accepts: { scheme: "exact", price: "$0.02", network: "eip155:84532", payTo }, description: "weather" },
  }, server));
  app.get("/weather", (req, res) => res.json({ weather: "sunny" }));
  const listener = createServer({ cert: readFileSync(join(dir, "server.pem")), key: readFileSync(join(dir, "server.key")) }, app);
  await new Promise((resolve) => listener.listen(0, "127.0.0.1", resolve));
  try {
    const url = `https://127.0.0.1:${listener.address().port}/weather`;
    const keyFile = join(dir, "buyer.key");
    writeFileSync(keyFile, buyerKey + "\n", { mode: 0o600 });
    const run = promisify(execFile);
    // Not trusted without the test CA: exit 60, nothing signed.
    await assert.rejects(run(hearthBin, ["curl", "--key", "@" + keyFile, url]), (e) => e.code === 60);
    const buyerBefore = await usdc.balanceOf(buyerAddress);
    const payToBefore = await usdc.balanceOf(payTo);
    const { stdout, stderr } = await run(hearthBin, ["curl", "-v", "--cacert", join(dir, "ca.pem"), "--key", "@" + keyFile,
                                                    "--max", "USDC:0.05", url]);
    assert.deepEqual(JSON.parse(stdout), { weather: "sunny" });
    const tx = stderr.match(/receipt: success=true transaction=(0x[0-9a-f]{64})/);
    assert.ok(tx, stderr);
    assert.equal((await usdc.pub.getTransactionReceipt({ hash: tx[1] })).status, "success");
    assert.equal(await usdc.balanceOf(buyerAddress), buyerBefore - 20000n);
    assert.equal(await usdc.balanceOf(payTo), payToBefore + 20000n);
  } finally {
    listener.close();
  }
});
