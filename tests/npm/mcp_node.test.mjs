// The official MCP TypeScript SDK client against the node's POST /mcp:
// initialize, tools/list, a call of the example tool (tools/word_count)
// offered free, and paid (x402 PaymentPayload in params._meta, receipt in
// result._meta) exactly once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { x402Client } from "@x402/core/client";
import { ExactEvmScheme } from "@x402/evm/exact/client";
import { privateKeyToAccount } from "viem/accounts";
import { startNode, ledger, buyerKey, buyerAddress } from "./hearth_node.mjs";

const wordCount = process.env.HEARTH_WORD_COUNT ?? "build/tools/word_count";
let node, client;

before(async () => {
  node = await startNode();
  node.offerFile(wordCount, ["--mcp", "--price", "0"]);
  node.offerFile(wordCount, ["--mcp", "--price", "0.02", "--name", "paid_count", "--ram-mb", "128"]);
  client = new Client({ name: "hearth-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${node.url}/mcp`)));
});
after(async () => { await client?.close(); await node?.stop(); });

test("tools/list shows the MCP offers with their schemas and prices", async () => {
  const { tools } = await client.listTools();
  assert.equal(tools.length, 2);
  assert.deepEqual(tools.map((t) => t.name).sort(), ["paid_count", "word_count"]);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, "object");
    assert.deepEqual(t.inputSchema.required, ["text"]);
    assert.equal(t.outputSchema.type, "object");
  }
  assert.ok(tools.some((t) => t.description.includes("(free)")));
  assert.ok(tools.some((t) => t.description.includes("0.02 USDC per call")));
});


test("a free tool call returns structuredContent valid against its outputSchema", async () => {
  const result = await client.callTool({ name: "word_count", arguments: { text: "one two three\nfour" } });
  assert.equal(result.isError, false);
  assert.deepEqual(result.structuredContent, { words: 4, lines: 2, characters: 18 });
  assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
});

test("bad arguments and unknown tools are reported, not run", async () => {
  const bad = await client.callTool({ name: "word_count", arguments: { txt: 1 } });
  assert.equal(bad.isError, true);
  assert.match(bad.content[0].text, /invalid arguments/);
  await assert.rejects(client.callTool({ name: "no_such_tool", arguments: {} }), /unknown tool/);
});

test("a paid tool: unpaid gets the requirements, paid runs once and returns the receipt", async () => {
  const name = "paid_count";
  const unpaid = await client.callTool({ name, arguments: { text: "x" } });
  assert.equal(unpaid.isError, true);
  const required = JSON.parse(unpaid.content[0].text);
  assert.deepEqual(unpaid._meta["x402/payment-required"], required);
  assert.equal(unpaid.structuredContent, undefined);
  assert.equal(required.x402Version, 2);
  assert.equal(required.accepts[0].amount, "20000");

  const payer = new x402Client().register("eip155:*", new ExactEvmScheme(privateKeyToAccount(buyerKey)));
  const payment = await payer.createPaymentPayload(required);
  const before = (await ledger(node.url)).length;
  const paid = await client.callTool({ name, arguments: { text: "paid words here" }, _meta: { "x402/payment": payment } });
  assert.equal(paid.isError, false);
  assert.deepEqual(paid.structuredContent, { words: 3, lines: 1, characters: 15 });
  const receipt = paid._meta["x402/payment-response"];
  assert.equal(receipt.success, true);
  assert.equal(receipt.payer, buyerAddress);
  assert.equal((await ledger(node.url)).length, before + 1);
  // The same payment again is refused and charges nothing more.
  const again = await client.callTool({ name, arguments: { text: "again" }, _meta: { "x402/payment": payment } });
  assert.equal(again.isError, true);
  assert.equal(JSON.parse(again.content[0].text).error, "payment_replayed");
  assert.equal((await ledger(node.url)).length, before + 1);
});
