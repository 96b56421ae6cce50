// On-chain settlement: a hearth node running --settlement chain against a
// local anvil with Circle's USDC at the Base Sepolia address. @x402/fetch
// pays; the node submits transferWithAuthorization itself; balances,
// receipts and the settlement key's nonces are read from the chain, also
// after the node is SIGKILLed under paid load.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { wrapFetchWithPaymentFromConfig, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { startNode, ledger, buyerKey, buyerAddress, ownerAddress } from "./hearth_node.mjs";
import { startAnvil, deployUsdc, settlerKey, usdcAddress, usdcAbi } from "./local_chain.mjs";

const script = '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\necho "paid $QUERY_STRING"\n';
const settler = privateKeyToAccount(settlerKey).address;
const price = 10000n;  // 0.01 USDC
let anvil, usdc, node, offerUrl, keyFile;

function chainArgs(extra = []) {
  return ["--payment-networks", "base-sepolia", "--settlement", "chain", "--chain-rpc", `base-sepolia=${anvil.url}`,
          "--settlement-key", "@" + keyFile, ...extra];
}

// Pays with @x402/fetch and keeps the payment headers it sent, with the
// status each paid request was answered (0: none, the node died first).
function payer() {
  const sent = [];
  const answered = new Map();
  const recording = async (input, init) => {
    const h = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const header = h.get("payment-signature");
    if (header) {
      sent.push(header);
      answered.set(header, 0);
    }
    const res = await fetch(input, init);
    if (header) answered.set(header, res.status);
    return res;
  };
  const pay = wrapFetchWithPaymentFromConfig(recording, {
    schemes: [{ network: "eip155:84532", client: new ExactEvmScheme(privateKeyToAccount(buyerKey)) }],
  });
  return { pay, sent, answered };
}

async function settlerNonce(block = "latest") {
  return usdc.pub.getTransactionCount({ address: settler, blockTag: block });
}

// Polls a payment until pred holds (bounded: 30 s; a retry after an outage
// comes 2, then 4 s later).
async function paymentUntil(url, id, pred) {
  let p;
  for (let i = 0; i < 600; ++i) {
    p = await (await fetch(`${url}/payments/${id}`)).json();
    if (pred(p)) return p;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`payment ${id} stayed ${JSON.stringify(p)}`);
}

before(async () => {
  anvil = await startAnvil();
  usdc = await deployUsdc(anvil, { mintTo: [buyerAddress], settler });
  const dir = mkdtempSync(join(tmpdir(), "hearth-chain-"));
  keyFile = join(dir, "settler.key");
  writeFileSync(keyFile, settlerKey + "\n", { mode: 0o600 });
  node = await startNode(chainArgs(), { dir });
  const hash = node.offer(script, ["--cgi", "--price", "0.01"]);
  offerUrl = `${node.url}/${hash}.cgi/run`;
});
after(async () => {
  await node?.stop();
  await anvil?.stop();
});

test("the token on the local chain is USDC version 2 at the Base Sepolia address", async () => {
  assert.equal(await usdc.pub.readContract({ address: usdcAddress, abi: usdcAbi, functionName: "name" }), "USDC");
  assert.equal(await usdc.pub.readContract({ address: usdcAddress, abi: usdcAbi, functionName: "version" }), "2");
  assert.equal(await usdc.balanceOf(buyerAddress), 10_000_000n);
});

test("@x402/fetch pays and the node settles on chain: balances move by exactly the price", async () => {
  const buyerBefore = await usdc.balanceOf(buyerAddress);
  const payToBefore = await usdc.balanceOf(ownerAddress);
  const { pay, sent } = payer();
  const res = await pay(`${offerUrl}?one`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await res.text(), "paid one\n");
  const receipt = decodePaymentResponseHeader(res.headers.get("payment-response"));
  assert.equal(receipt.success, true);
  assert.match(receipt.transaction, /^0x[0-9a-f]{64}$/);
  const tx = await usdc.pub.getTransactionReceipt({ hash: receipt.transaction });
  assert.equal(tx.status, "success");
  assert.equal(tx.from.toLowerCase(), settler.toLowerCase());
  assert.equal(await usdc.balanceOf(buyerAddress), buyerBefore - price);
  assert.equal(await usdc.balanceOf(ownerAddress), payToBefore + price);

  // The node's record names the transaction, its block and gas.
  const auth = JSON.parse(Buffer.from(sent[0], "base64").toString()).payload.authorization;
  const id = await paymentId(auth.from, auth.nonce);
  const p = await paymentUntil(node.url, id, (x) => x.state === "settled");
  assert.equal(p.transaction, receipt.transaction);
  assert.equal(p.block_number, Number(tx.blockNumber));
  assert.equal(p.gas_used, Number(tx.gasUsed));
  assert.equal(p.settled_on, "chain");
  const entry = (await ledger(node.url)).find((e) => e.payment === id);
  assert.equal(entry.settled_on, "chain", "the ledger tells money moved on chain from money owed");
  assert.equal(entry.transaction, receipt.transaction);

  // The same payment again: refused before anything is sent; nothing moves.
  const nonceBefore = await settlerNonce();
  const replay = await fetch(`${offerUrl}?replay`, { headers: { "PAYMENT-SIGNATURE": sent[0] } });
  assert.equal(replay.status, 402);
  assert.equal(await usdc.balanceOf(buyerAddress), buyerBefore - price);
  assert.equal(await settlerNonce(), nonceBefore);
});

test("50 concurrent paid calls: 50 transactions, 50 consecutive nonces of the settlement key", async () => {
  const nonceBefore = await settlerNonce();
  const buyerBefore = await usdc.balanceOf(buyerAddress);
  const { pay } = payer();
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => pay(`${offerUrl}?c${i}`)));
  const hashes = [];
  for (const res of answers) {
    assert.equal(res.status, 200, await res.clone().text());
    hashes.push(decodePaymentResponseHeader(res.headers.get("payment-response")).transaction);
  }
  assert.equal(new Set(hashes).size, 50);
  const nonces = [];
  for (const hash of hashes) {
    const tx = await usdc.pub.getTransaction({ hash });
    nonces.push(tx.nonce);
    assert.equal((await usdc.pub.getTransactionReceipt({ hash })).status, "success");
  }
  nonces.sort((a, b) => a - b);
  assert.deepEqual(nonces, Array.from({ length: 50 }, (_, i) => nonceBefore + i), "no shared nonce, no gap");
  assert.equal(await settlerNonce(), nonceBefore + 50);
  assert.equal(await usdc.balanceOf(buyerAddress), buyerBefore - 50n * price);
});

test("/health shows the settlement key's gas money and the gas of a settlement", async () => {
  const h = await (await fetch(`${node.url}/health`)).json();
  assert.equal(h.settlement.backend, "chain");
  const c = h.settlement.chains[0];
  assert.equal(c.network, "eip155:84532");
  assert.equal(c.sender, settler);
  assert.ok(BigInt(c.balance_wei) > 0n);
  assert.equal(c.low_balance, false);
  assert.ok(BigInt(c.gas_cost_per_settlement_wei) > 0n);
});

test("a node SIGKILLed between broadcast and receipt confirms the same transaction after restart", async () => {
  await anvil.rpc("evm_setAutomine", [false]);
  const nonceBefore = await settlerNonce();
  const buyerBefore = await usdc.balanceOf(buyerAddress);
  const { pay, sent } = payer();
  // The receipt cannot come (no block is mined): after --settle-wait-ms the call answers pending.
  await node.stop({ keep: true });
  node = await startNode(chainArgs(["--settle-wait-ms", "800"]), { dir: node.dir });
  const res = await pay(`${offerUrl.replace(/^http:\/\/[^/]+/, node.url)}?crash`);
  assert.equal(res.status, 200, await res.clone().text());
  const receipt = decodePaymentResponseHeader(res.headers.get("payment-response"));
  assert.match(receipt.transaction, /^0x[0-9a-f]{64}$/);
  const auth = JSON.parse(Buffer.from(sent[0], "base64").toString()).payload.authorization;
  const id = await paymentId(auth.from, auth.nonce);
  assert.equal((await (await fetch(`${node.url}/payments/${id}`)).json()).state, "settle_pending");

  await node.kill();
  await anvil.rpc("evm_mine", []);
  await anvil.rpc("evm_setAutomine", [true]);
  node = await startNode(chainArgs(), { dir: node.dir });
  const p = await paymentUntil(node.url, id, (x) => x.state === "settled");
  assert.equal(p.transaction, receipt.transaction, "the same transaction, not a second one");
  assert.equal(await settlerNonce(), nonceBefore + 1);
  assert.equal(await usdc.balanceOf(buyerAddress), buyerBefore - price);
});

// The node's payment id: sha256(payer bytes || nonce bytes), hex.
async function paymentId(payer, nonce) {
  const bytes = Buffer.concat([Buffer.from(payer.slice(2), "hex"), Buffer.from(nonce.slice(2), "hex")]);
  return Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("hex");
}

test("a chain that is down during settlement: the payment stays settle_pending and settles once it is back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hearth-chain-outage-"));
  const statePath = join(dir, "anvil-state.json");
  let chainB = await startAnvil({ statePath });
  const usdcB = await deployUsdc(chainB, { mintTo: [buyerAddress], settler });
  const key = join(dir, "settler.key");
  writeFileSync(key, settlerKey + "\n", { mode: 0o600 });
  const nodeB = await startNode(["--payment-networks", "base-sepolia", "--settlement", "chain", "--chain-rpc",
                                 `base-sepolia=${chainB.url}`, "--settlement-key", "@" + key, "--settle-wait-ms", "500"],
                                { dir });
  try {
    const hash = nodeB.offer(script, ["--cgi", "--price", "0.01"]);
    const buyerBefore = await usdcB.balanceOf(buyerAddress);
    await chainB.stop();  // dumps its state; the same chain comes back below
    const { pay, sent } = payer();
    const res = await pay(`${nodeB.url}/${hash}.cgi/run?outage`);
    assert.equal(res.status, 200, await res.clone().text());
    const auth = JSON.parse(Buffer.from(sent[0], "base64").toString()).payload.authorization;
    const id = await paymentId(auth.from, auth.nonce);
    const pending = await (await fetch(`${nodeB.url}/payments/${id}`)).json();
    assert.equal(pending.state, "settle_pending");
    assert.equal(pending.transaction, "", "nothing could be sent");

    chainB = await startAnvil({ port: chainB.port, statePath });
    const p = await paymentUntil(nodeB.url, id, (x) => x.state === "settled");
    assert.match(p.transaction, /^0x[0-9a-f]{64}$/);
    assert.equal(await usdcB.balanceOf(buyerAddress), buyerBefore - price);
  } finally {
    await nodeB.stop();
    await chainB.stop();
  }
});

test("kill -9 under paid load, three times: every settlement confirmed once, none sent twice", async () => {
  const nonceBefore = await settlerNonce();
  const buyerBefore = await usdc.balanceOf(buyerAddress);
  const known = new Map();  // payment id -> { auth, status }
  for (let round = 0; round < 3; ++round) {
    const { pay, sent, answered } = payer();
    const url = offerUrl.replace(/^http:\/\/[^/]+/, node.url);
    const calls = Array.from({ length: 12 }, (_, i) => pay(`${url}?k${round}-${i}`).catch(() => null));
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 600));  // the kill point, under load
    await node.kill();
    await Promise.all(calls);
    node = await startNode(chainArgs(), { dir: node.dir });
    for (const header of sent) {
      const auth = JSON.parse(Buffer.from(header, "base64").toString()).payload.authorization;
      known.set(await paymentId(auth.from, auth.nonce), { auth, status: answered.get(header) });
    }
  }
  let settled = 0;
  const transactions = new Set();
  for (const [id, { auth, status }] of known) {
    const used = () => usdc.pub.readContract({ address: usdcAddress, abi: usdcAbi, functionName: "authorizationState",
                                               args: [auth.from, auth.nonce] });
    const record = await (await fetch(`${node.url}/payments/${id}`)).json();
    if (record.error) {  // never reached the node's books: never reached the chain either
      assert.notEqual(status, 200);
      assert.equal(await used(), false, `payment ${id} moved money the node has no record of`);
      continue;
    }
    const p = await paymentUntil(node.url, id, (x) => x.state === "settled" || x.state === "unsettled");
    if (status === 200) assert.equal(p.state, "settled", `answered 200, then ${JSON.stringify(p)}`);
    assert.equal(await used(), p.state === "settled", `the chain and the node disagree on ${JSON.stringify(p)}`);
    if (p.state !== "settled") continue;
    ++settled;
    assert.ok(!transactions.has(p.transaction), "one transaction per payment");
    transactions.add(p.transaction);
    const tx = await usdc.pub.getTransactionReceipt({ hash: p.transaction });
    assert.equal(tx.status, "success");
  }
  assert.ok(settled > 0);
  assert.equal(await settlerNonce(), nonceBefore + settled, "each settlement sent once: no second transaction, none wasted");
  assert.equal(await usdc.balanceOf(buyerAddress), buyerBefore - BigInt(settled) * price);
  console.log(`chain crash: 3 kills, ${known.size} payments sent, ${settled} settled on chain, each once`);
});
