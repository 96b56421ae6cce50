// The peer of hearth_bench's "x402 payment verify" row: the same payment
// header decoded and checked with viem's recoverTypedDataAddress (what the
// reference TypeScript facilitator does before its on-chain simulation).
// Usage: node viem_verify.mjs BASE64_HEADER  -> prints verifications per second.
import { createRequire } from "node:module";
const require = createRequire(new URL("../tests/npm/package.json", import.meta.url));
const { recoverTypedDataAddress, getAddress } = require("viem");

const header = process.argv[2];
const domain = { name: "USDC", version: "2", chainId: 84532, verifyingContract: "0x036CbD53842c5426634e7929541eC2318f3dCF7e" };
const types = {
  TransferWithAuthorization: [
    { name: "from", type: "address" }, { name: "to", type: "address" }, { name: "value", type: "uint256" },
    { name: "validAfter", type: "uint256" }, { name: "validBefore", type: "uint256" }, { name: "nonce", type: "bytes32" },
  ],
};
const payTo = "0x209693Bc6afc0C5328bA36FaF03C514EF312287C";

async function verifyOnce() {
  const p = JSON.parse(Buffer.from(header, "base64").toString());
  const a = p.payload.authorization;
  if (p.scheme !== "exact" || p.network !== "base-sepolia") return false;
  if (getAddress(a.to) !== payTo || BigInt(a.value) !== 10000n) return false;
  const now = 1740672100n;
  if (BigInt(a.validAfter) > now || BigInt(a.validBefore) < now + 6n) return false;
  const signer = await recoverTypedDataAddress({
    domain, types, primaryType: "TransferWithAuthorization",
    message: { ...a, value: BigInt(a.value), validAfter: BigInt(a.validAfter), validBefore: BigInt(a.validBefore) },
    signature: p.payload.signature,
  });
  return signer === getAddress(a.from);
}

if (!(await verifyOnce())) { console.log("failed"); process.exit(1); }
const start = performance.now();
let n = 0;
while (performance.now() - start < 2000) { if (!(await verifyOnce())) { console.log("failed"); process.exit(1); } n++; }
console.log((n / ((performance.now() - start) / 1000)).toFixed(0));
