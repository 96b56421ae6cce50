// On-chain settlement, continued: payers that are smart wallets (EIP-1271,
// and ERC-6492 wrappings of wallets not deployed), payers without the money
// (refused before the call runs), a node that cannot check a wallet's
// signature (ledger settlement), and --settle-batch-secs (calls answered at
// once, payments sent in one pass per interval). Local anvil, Circle's USDC.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import solc from "solc";
import { createPublicClient, createWalletClient, encodeAbiParameters, getAddress, http } from "viem";
import { privateKeyToAccount, generatePrivateKey } from "viem/accounts";
import { wrapFetchWithPaymentFromConfig, decodePaymentResponseHeader } from "@x402/fetch";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { startNode, buyerKey, buyerAddress, ownerAddress } from "./hearth_node.mjs";
import { startAnvil, deployUsdc, settlerKey, deployerKey, referenceFacilitator, signTransferAuthorization } from "./local_chain.mjs";

const script = '#!/bin/sh\nprintf "Content-Type: text/plain\\n\\n"\necho "paid $QUERY_STRING"\n';
const settler = privateKeyToAccount(settlerKey).address;
const price = 10000n;  // 0.01 USDC
const walletOwner = privateKeyToAccount(generatePrivateKey());
let anvil, usdc, wallet, dir, keyFile, node, offerUrl;

// A minimal EIP-1271 wallet: it stands behind a signature whose first 65
// bytes are its owner's ECDSA signature of the hash (what follows is the
// wallet's own data, as real wallets append theirs).
const walletSource = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;
contract Wallet {
  address public owner;
  constructor(address o) { owner = o; }
  function isValidSignature(bytes32 h, bytes calldata sig) external view returns (bytes4) {
    if (sig.length < 65) return 0xffffffff;
    bytes32 r = bytes32(sig[0:32]);
    bytes32 s = bytes32(sig[32:64]);
    uint8 v = uint8(sig[64]);
    return ecrecover(h, v, r, s) == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
  }
}`;

async function deployWallet(owner) {
  const out = JSON.parse(solc.compile(JSON.stringify({
    language: "Solidity", sources: { "Wallet.sol": { content: walletSource } },
    settings: { outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } } },
  })));
  const errors = (out.errors ?? []).filter((e) => e.severity === "error");
  assert.deepEqual(errors, [], "the wallet compiles");
  const { abi, evm } = out.contracts["Wallet.sol"].Wallet;
  const chain = { id: 84532, name: "local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } };
  const deployer = privateKeyToAccount(deployerKey);
  await anvil.rpc("anvil_setBalance", [deployer.address, "0x" + (10n ** 21n).toString(16)]);
  const pub = createPublicClient({ chain, transport: http(anvil.url) });
  const client = createWalletClient({ account: deployer, chain, transport: http(anvil.url) });
  const hash = await client.deployContract({ abi, bytecode: "0x" + evm.bytecode.object, args: [owner] });
  return (await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 })).contractAddress;
}

// Pays with @x402/fetch as `address`, signing with sign(typedData).
function payerAs(address, sign) {
  const signer = { address, signTypedData: sign };
  return wrapFetchWithPaymentFromConfig(fetch, { schemes: [{ network: "eip155:84532", client: new ExactEvmScheme(signer) }] });
}
const walletSigner = (extra = "ab".repeat(32)) => async (m) => (await walletOwner.signTypedData(m)) + extra;

// The node's 402 and its v2 requirement for the local chain.
async function challenge(url) {
  const res = await fetch(url);
  assert.equal(res.status, 402);
  const required = JSON.parse(Buffer.from(res.headers.get("payment-required"), "base64").toString());
  return required.accepts.find((a) => a.network === "eip155:84532");
}

// A payment header for req from `from`, with the signature sign(authorization) makes.
async function paymentHeader(req, from, sign) {
  const now = Math.floor(Date.now() / 1000);
  const authorization = { from, to: req.payTo, value: req.amount, validAfter: "0", validBefore: String(now + 240),
                          nonce: "0x" + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex") };
  const payload = { x402Version: 2, payload: { signature: await sign(authorization), authorization }, accepted: req,
                    resource: { url: "http://127.0.0.1/", description: "", mimeType: "text/plain" } };
  return Buffer.from(JSON.stringify(payload)).toString("base64");
}

// The x402 reason a refused payment's 402 names (v2: the PAYMENT-REQUIRED header's error).
async function refusal(res) {
  assert.equal(res.status, 402, await res.clone().text());
  return JSON.parse(Buffer.from(res.headers.get("payment-required"), "base64").toString()).error;
}

async function paymentUntil(url, id, pred) {
  let p;
  for (let i = 0; i < 600; ++i) {  // bounded: 30 s
    p = await (await fetch(`${url}/payments/${id}`)).json();
    if (pred(p)) return p;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`payment ${id} stayed ${JSON.stringify(p)}`);
}

const settlerNonce = () => usdc.pub.getTransactionCount({ address: settler, blockTag: "latest" });

before(async () => {
  anvil = await startAnvil();
  wallet = getAddress(await deployWallet(walletOwner.address));
  usdc = await deployUsdc(anvil, { mintTo: [buyerAddress, wallet], settler });
  dir = mkdtempSync(join(tmpdir(), "hearth-wallets-"));
  keyFile = join(dir, "settler.key");
  writeFileSync(keyFile, settlerKey + "\n", { mode: 0o600 });
  node = await startNode(["--payment-networks", "base-sepolia", "--settlement", "chain", "--chain-rpc",
                          `base-sepolia=${anvil.url}`, "--settlement-key", "@" + keyFile]);
  offerUrl = `${node.url}/${node.offer(script, ["--cgi", "--price", "0.01"])}.cgi/run`;
});
after(async () => {
  await node?.stop();
  await anvil?.stop();
});

test("a smart wallet pays with @x402/fetch: its EIP-1271 signature settles on chain in the bytes form", async () => {
  const walletBefore = await usdc.balanceOf(wallet);
  const payToBefore = await usdc.balanceOf(ownerAddress);
  const res = await payerAs(wallet, walletSigner())(`${offerUrl}?wallet`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(await res.text(), "paid wallet\n");
  const receipt = decodePaymentResponseHeader(res.headers.get("payment-response"));
  assert.equal(receipt.success, true);
  assert.equal(receipt.payer, wallet);
  const tx = await usdc.pub.getTransaction({ hash: receipt.transaction });
  assert.equal(tx.input.slice(0, 10), "0xcf092995", "transferWithAuthorization(..., bytes signature)");
  assert.equal((await usdc.pub.getTransactionReceipt({ hash: receipt.transaction })).status, "success");
  assert.equal(await usdc.balanceOf(wallet), walletBefore - price);
  assert.equal(await usdc.balanceOf(ownerAddress), payToBefore + price);
});

test("a wallet signature its owner did not make is refused before the call runs; the reference agrees", async () => {
  const req = await challenge(`${offerUrl}?forged`);
  const stranger = privateKeyToAccount(generatePrivateKey());
  const forged = (auth) => signTransferAuthorization(stranger, auth).then((s) => s + "ab".repeat(32));
  const nonceBefore = await settlerNonce();
  const res = await fetch(`${offerUrl}?forged`, { headers: { "PAYMENT-SIGNATURE": await paymentHeader(req, wallet, forged) } });
  assert.equal(await refusal(res), "invalid_exact_evm_payload_signature");
  assert.equal(await settlerNonce(), nonceBefore, "nothing was sent");

  // The same two payloads at the reference facilitator: the owner's is valid, the stranger's not.
  const reference = await referenceFacilitator(anvil);
  const own = JSON.parse(Buffer.from(await paymentHeader(req, wallet, (a) => signTransferAuthorization(walletOwner, a).then((s) => s + "ab".repeat(32))), "base64"));
  const bad = JSON.parse(Buffer.from(await paymentHeader(req, wallet, forged), "base64"));
  assert.equal((await reference.verify(own, req)).isValid, true);
  assert.equal((await reference.verify(bad, req)).isValid, false);
  // And hearth's facilitator says the same.
  for (const [payload, valid] of [[own, true], [bad, false]]) {
    const answer = await (await fetch(`${node.url}/facilitator/verify`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ x402Version: 2, paymentPayload: payload, paymentRequirements: req }),
    })).json();
    assert.equal(answer.isValid, valid, JSON.stringify(answer));
  }
});

test("an ERC-6492 signature of a wallet not deployed is refused: the node deploys no one's wallet", async () => {
  const req = await challenge(`${offerUrl}?counterfactual`);
  const undeployed = privateKeyToAccount(generatePrivateKey()).address;
  const wrapped = async (auth) => encodeAbiParameters(
    [{ type: "address" }, { type: "bytes" }, { type: "bytes" }],
    [ownerAddress, "0xdeadbeef", await signTransferAuthorization(walletOwner, auth)]) + "6492".repeat(16);
  const res = await fetch(`${offerUrl}?counterfactual`, { headers: { "PAYMENT-SIGNATURE": await paymentHeader(req, undeployed, wrapped) } });
  assert.equal(await refusal(res), "eip6492_factory_not_allowed");
});

test("a payer without the USDC is refused before the call runs, and nothing is sent", async () => {
  const broke = privateKeyToAccount(generatePrivateKey());
  const nonceBefore = await settlerNonce();
  const req = await challenge(`${offerUrl}?broke`);
  const res = await fetch(`${offerUrl}?broke`, {
    headers: { "PAYMENT-SIGNATURE": await paymentHeader(req, broke.address, (a) => signTransferAuthorization(broke, a)) } });
  assert.equal(await refusal(res), "invalid_exact_evm_insufficient_balance");
  assert.equal(await settlerNonce(), nonceBefore);
});

test("without a chain to ask, a smart wallet's signature cannot be checked and is refused", async () => {
  const ledgerNode = await startNode(["--payment-networks", "base-sepolia"]);
  try {
    const url = `${ledgerNode.url}/${ledgerNode.offer(script, ["--cgi", "--price", "0.01"])}.cgi/run`;
    const req = await challenge(url);
    const res = await fetch(url, { headers: { "PAYMENT-SIGNATURE": await paymentHeader(req, wallet,
      (a) => signTransferAuthorization(walletOwner, a).then((s) => s + "ab".repeat(32))) } });
    assert.equal(await refusal(res), "invalid_exact_evm_payload_signature");
  } finally {
    await ledgerNode.stop();
  }
});

test("--settle-batch-secs: calls answer at once; their payments are sent together at the next pass", async () => {
  const batchNode = await startNode(["--payment-networks", "base-sepolia", "--settlement", "chain", "--chain-rpc",
                                     `base-sepolia=${anvil.url}`, "--settlement-key", "@" + keyFile,
                                     "--settle-batch-secs", "3"]);
  try {
    const url = `${batchNode.url}/${batchNode.offer(script, ["--cgi", "--price", "0.01"])}.cgi/run`;
    const buyerBefore = await usdc.balanceOf(buyerAddress);
    const nonceBefore = await settlerNonce();
    const pay = payerAs(buyerAddress, (m) => privateKeyToAccount(buyerKey).signTypedData(m));
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => pay(`${url}?b${i}`)));
    const ids = [];
    for (const res of answers) {
      assert.equal(res.status, 200, await res.clone().text());
      const r = decodePaymentResponseHeader(res.headers.get("payment-response"));
      assert.equal(r.success, true);
      assert.equal(r.settlementPending, true);
      assert.equal(r.transaction, "", "answered before anything was sent");
      ids.push(r.paymentId);
    }
    // Right after the answers: settle_pending, nothing sent yet (unless a pass fell in between).
    const early = await Promise.all(ids.map(async (id) => (await fetch(`${batchNode.url}/payments/${id}`)).json()));
    for (const p of early) assert.ok(p.state === "settle_pending" || p.state === "settled", JSON.stringify(p));
    const health = await (await fetch(`${batchNode.url}/health`)).json();
    const chain = health.settlement.chains[0];
    assert.equal(health.settlement.batch_secs, 3);
    // Those not sent yet are queued for a pass on a multiple of the interval.
    if (chain.queued_for_pass > 0) assert.equal(chain.next_pass_at_ms % 3000, 0);

    const settled = await Promise.all(ids.map((id) => paymentUntil(batchNode.url, id, (p) => p.state === "settled")));
    const nonces = [];
    for (const p of settled) {
      assert.match(p.transaction, /^0x[0-9a-f]{64}$/);
      nonces.push((await usdc.pub.getTransaction({ hash: p.transaction })).nonce);
    }
    nonces.sort((a, b) => a - b);
    assert.deepEqual(nonces, Array.from({ length: 5 }, (_, i) => nonceBefore + i), "one transaction each, no gap");
    assert.equal(await usdc.balanceOf(buyerAddress), buyerBefore - 5n * price);
    const after = (await (await fetch(`${batchNode.url}/health`)).json()).settlement.chains[0];
    assert.equal(after.queued_for_pass, 0);
    assert.ok(BigInt(after.average_gas_cost_per_settlement_wei) > 0n, "the gas price of a settlement is shown");
  } finally {
    await batchNode.stop();
  }
});
