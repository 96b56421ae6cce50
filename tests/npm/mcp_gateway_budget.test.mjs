// The gateway's budget holds under concurrency: 20 priced calls sent at
// once against a budget that pays for 5, through the official MCP SDK
// client. Each call reserves its price before signing, so exactly 5 are
// paid (by the node's ledger) and 15 are refused as over budget; a call the
// server did not charge gives its reservation back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startNode, ledger, hearthBin, buyerKey } from "./hearth_node.mjs";

const wordCount = process.env.HEARTH_WORD_COUNT ?? "build/tools/word_count";
let node, keyFile;

before(async () => {
  node = await startNode(["--max-running-tasks", "8"]);
  node.offerFile(wordCount, ["--mcp", "--price", "0.01"]);
  keyFile = join(node.dir, "gateway.key");
  writeFileSync(keyFile, buyerKey + "\n", { mode: 0o600 });
});
after(async () => { await node?.stop(); });

async function gateway(extra) {
  const client = new Client({ name: "hearth-budget-test", version: "1.0.0" });
  const transport = new StdioClientTransport({
    command: hearthBin, args: ["mcp", "serve", "--key", "@" + keyFile, "--budget", "USDC:0.05", ...extra],
    stderr: "pipe",
  });
  await client.connect(transport);
  return client;
}

async function twentyAtOnce(client, name, args) {
  const before = (await ledger(node.url)).length;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.callTool({ name, arguments: args(i) })));
  const paid = results.filter((r) => !r.isError);
  const refused = results.filter((r) => r.isError);
  for (const r of refused) assert.match(r.content[0].text, /budget/);
  const session = (await client.callTool({ name: "hearth_session", arguments: {} })).structuredContent;
  return { paid: paid.length, refused: refused.length, charged: (await ledger(node.url)).length - before, session };
}

test("MCP tools: 20 parallel priced calls, a budget of 5, exactly 5 paid", async () => {
  const client = await gateway(["--@", node.url]);
  try {
    const r = await twentyAtOnce(client, "word_count", (i) => ({ text: `call number ${i}` }));
    assert.equal(r.paid, 5);
    assert.equal(r.refused, 15);
    assert.equal(r.charged, 5);
    assert.equal(r.session.spent_usdc, "0.05");
    assert.equal(r.session.reserved_usdc, "0");
    assert.equal(r.session.calls.length, 5);
  } finally {
    await client.close();
  }
});

test("HTTP tools: 20 parallel priced calls, a budget of 5, exactly 5 paid; an uncharged call is released", async () => {
  const slow = node.offer("#!/bin/sh\nsleep 0.2\nprintf 'Content-Type: application/json\\r\\n\\r\\n{\"ok\":true}'\n",
                         ["--cgi", "--price", "0.01"]);
  const failing = node.offer("#!/bin/sh\nexit 3\n", ["--cgi", "--price", "0.01"]);
  const manifest = join(node.dir, "manifest.json");
  writeFileSync(manifest, JSON.stringify({ http: [
    { name: "slow", description: "sleeps, then answers", url: `${node.url}/${slow}.cgi` },
    { name: "failing", description: "always fails", url: `${node.url}/${failing}.cgi` },
  ] }));
  const client = await gateway(["--manifest", manifest]);
  try {
    // A failed handler is not charged (the node leaves the payment unsettled): the budget is untouched.
    const failed = await client.callTool({ name: "failing", arguments: {} });
    assert.equal(failed.isError, true);
    let session = (await client.callTool({ name: "hearth_session", arguments: {} })).structuredContent;
    assert.equal(session.spent_usdc, "0");
    assert.equal(session.reserved_usdc, "0");
    const r = await twentyAtOnce(client, "slow", () => ({}));
    assert.equal(r.paid, 5);
    assert.equal(r.refused, 15);
    assert.equal(r.charged, 5);
    assert.equal(r.session.spent_usdc, "0.05");
    assert.equal(r.session.reserved_usdc, "0");
  } finally {
    await client.close();
  }
});
