// The official MCP SDK client over stdio (StdioClientTransport) against
// `hearth mcp serve`, which forwards to a real node's MCP offers and pays
// within its budget: a paid call charges once, the next one over budget is
// an error result, and the session tool reports the spend.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startNode, ledger, hearthBin, buyerKey } from "./hearth_node.mjs";

const wordCount = process.env.HEARTH_WORD_COUNT ?? "build/tools/word_count";
let node, client, transport;

before(async () => {
  node = await startNode();
  node.offerFile(wordCount, ["--mcp", "--price", "0.02"]);
  node.offerFile(wordCount, ["--mcp", "--price", "0", "--name", "free_count"]);
  const keyFile = join(node.dir, "gateway.key");
  writeFileSync(keyFile, buyerKey + "\n", { mode: 0o600 });
  client = new Client({ name: "hearth-test", version: "1.0.0" });
  transport = new StdioClientTransport({
    command: hearthBin, args: ["mcp", "serve", "--@", node.url, "--key", "@" + keyFile, "--budget", "USDC:0.03"],
    stderr: "pipe",
    // One malloc arena: otherwise a new thread may reserve a fresh 64 MiB
    // arena, which VmSize counts, and the thread-stack check below would
    // see allocator noise instead of stacks.
    env: { ...process.env, MALLOC_ARENA_MAX: "1" },
  });
  await client.connect(transport);
});
after(async () => { await client?.close(); await node?.stop(); });

test("tools/list re-exports the node's tools and the session tool", async () => {
  const names = (await client.listTools()).tools.map((t) => t.name).sort();
  assert.deepEqual(names, ["free_count", "hearth_session", "word_count"]);
});

test("a paid call is charged once; over the budget the call is refused, not charged", async () => {
  const before = (await ledger(node.url)).length;
  const free = await client.callTool({ name: "free_count", arguments: { text: "a b" } });
  assert.deepEqual(free.structuredContent, { words: 2, lines: 1, characters: 3 });
  const paid = await client.callTool({ name: "word_count", arguments: { text: "one two three" } });
  assert.equal(paid.isError, false);
  assert.deepEqual(paid.structuredContent, { words: 3, lines: 1, characters: 13 });
  assert.equal((await ledger(node.url)).length, before + 1);
  const over = await client.callTool({ name: "word_count", arguments: { text: "again" } });
  assert.equal(over.isError, true);
  assert.match(over.content[0].text, /budget/);
  assert.equal((await ledger(node.url)).length, before + 1);
  const session = await client.callTool({ name: "hearth_session", arguments: {} });
  assert.equal(session.structuredContent.spent_usdc, "0.02");
  assert.equal(session.structuredContent.remaining_usdc, "0.01");
  assert.equal(session.structuredContent.calls.length, 1);
  assert.equal(session.structuredContent.calls[0].tool, "word_count");
});

test("unknown tools are a protocol error", async () => {
  await assert.rejects(client.callTool({ name: "nope", arguments: {} }), /unknown tool/);
});

test("finished calls release their threads: many calls do not grow the gateway", async () => {
  const vmKb = () => Number(readFileSync(`/proc/${transport.pid}/status`, "utf8").match(/VmSize:\s+(\d+)/)[1]);
  await client.callTool({ name: "free_count", arguments: { text: "warm up" } });
  const before = vmKb();
  for (let i = 0; i < 40; i++) await client.callTool({ name: "free_count", arguments: { text: `call ${i}` } });
  // An unjoined thread keeps its 8 MiB stack mapped: 40 of them would add ~320 MiB.
  assert.ok(vmKb() - before < 64 * 1024, `VmSize grew by ${vmKb() - before} KiB`);
});
