// The MCP Inspector CLI (0.15.0) lists and calls tools through `hearth mcp
// serve` (stdio) and against the node's POST /mcp, and the MCP conformance
// suite's generic server scenarios pass against POST /mcp.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { startNode, hearthBin } from "./hearth_node.mjs";

const run = promisify(execFile);
const bin = (name) => fileURLToPath(new URL(`node_modules/.bin/${name}`, import.meta.url));
const wordCount = process.env.HEARTH_WORD_COUNT ?? "build/tools/word_count";
let node;

before(async () => {
  node = await startNode();
  node.offerFile(wordCount, ["--mcp", "--price", "0"]);
});
after(async () => { await node?.stop(); });

test("the Inspector CLI calls a tool through hearth mcp serve (stdio)", async () => {
  const { stdout } = await run(bin("mcp-inspector"), ["--cli", hearthBin, "mcp", "serve", "--@", node.url,
    "--method", "tools/call", "--tool-name", "word_count", "--tool-arg", "text=a b c"], { timeout: 60000 });
  const result = JSON.parse(stdout);
  assert.equal(result.isError, false);
  assert.deepEqual(result.structuredContent, { words: 3, lines: 1, characters: 5 });
});

test("the Inspector CLI lists the node's tools over Streamable HTTP", async () => {
  const { stdout } = await run(bin("mcp-inspector"), ["--cli", `${node.url}/mcp`, "--transport", "http",
    "--method", "tools/list"], { timeout: 60000 });
  assert.deepEqual(JSON.parse(stdout).tools.map((t) => t.name), ["word_count"]);
});

for (const scenario of ["server-initialize", "ping", "tools-list", "dns-rebinding-protection"]) {
  test(`conformance: ${scenario}`, async () => {
    const { stdout } = await run(bin("conformance"), ["server", "--url", `${node.url}/mcp`, "--scenario", scenario],
                                 { timeout: 120000 });
    assert.match(stdout, /Passed: (\d+)\/\1, 0 failed/);
  });
}
