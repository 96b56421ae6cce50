// `hearth mcp serve` in front of a badly behaved MCP server (a JSON-RPC
// endpoint written here to misbehave): malformed tool definitions are
// repaired so the strict SDK client can list them, a result that breaks its
// outputSchema becomes an error result, a slow call reports progress, a
// cancelled call is dropped, plain HTTP tools from a manifest work, and bad
// JSON-RPC gets the standard codes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { hearthBin } from "./hearth_node.mjs";

let server, client, dir, release;
const slowDone = new Promise((resolve) => { release = resolve; });

before(async () => {
  const app = express();
  app.use(express.json());
  app.post("/mcp", async (req, res) => {
    const { id, method, params } = req.body;
    if (id === undefined) return res.status(202).end();
    const reply = (result) => res.json({ jsonrpc: "2.0", id, result });
    if (method === "initialize") return reply({ protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "bad", version: "0" } });
    if (method === "tools/list") return reply({ tools: [
      { name: "no schema here", description: "missing inputSchema" },
      { name: "dup", inputSchema: { type: "string" } },
      { name: "dup", inputSchema: { type: "object" }, outputSchema: { type: "array" } },
      { name: "liar", inputSchema: { type: "object" }, outputSchema: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] } },
      { name: "slow", inputSchema: { type: "object" } },
    ] });
    if (method === "tools/call") {
      if (params.name === "liar") return reply({ content: [{ type: "text", text: "{}" }], structuredContent: { n: "not a number" } });
      if (params.name === "slow") { await new Promise((r) => setTimeout(r, params.arguments.ms)); return reply({ content: [{ type: "text", text: "done" }] }); }
      return reply({ content: [{ type: "text", text: `called ${params.name}` }] });
    }
    res.json({ jsonrpc: "2.0", id, error: { code: -32601, message: "no" } });
  });
  app.post("/echo", (req, res) => res.json({ echoed: req.body }));
  server = await new Promise((resolve) => { const l = app.listen(0, "127.0.0.1", () => resolve(l)); });
  const base = `http://127.0.0.1:${server.address().port}`;
  dir = mkdtempSync(join(tmpdir(), "hearth-gw-"));
  writeFileSync(join(dir, "tools.json"), JSON.stringify({ mcp: [`${base}/mcp`], http: [{ name: "echo", description: "echoes", url: `${base}/echo` }] }));
  client = new Client({ name: "t", version: "1" });
  await client.connect(new StdioClientTransport({ command: hearthBin, args: ["mcp", "serve", "--manifest", join(dir, "tools.json")], stderr: "pipe" }));
});
after(async () => { release(); await client?.close(); server?.closeAllConnections(); server?.close(); });

test("malformed remote tools are repaired, and the strict client lists them", async () => {
  const { tools } = await client.listTools();
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  assert.deepEqual(Object.keys(byName).sort(), ["dup", "dup_2", "echo", "hearth_session", "liar", "no_schema_here", "slow"]);
  assert.deepEqual(byName.no_schema_here.inputSchema, { type: "object" });
  assert.deepEqual(byName.dup.inputSchema, { type: "object" });
  assert.equal(byName.dup_2.outputSchema, undefined);
  assert.equal((await client.callTool({ name: "no_schema_here", arguments: {} })).content[0].text, "called no schema here");
});

test("a result that breaks its outputSchema becomes an error result", async () => {
  const r = await client.callTool({ name: "liar", arguments: {} });
  assert.equal(r.isError, true);
  assert.match(r.content[0].text, /breaks its output schema/);
});

test("HTTP tools from the manifest are called with the arguments as JSON", async () => {
  const r = await client.callTool({ name: "echo", arguments: { a: 1 } });
  assert.deepEqual(r.structuredContent, { echoed: { a: 1 } });
});

test("a slow call reports progress; a cancelled one is dropped and the gateway goes on", async () => {
  const seen = [];
  const r = await client.callTool({ name: "slow", arguments: { ms: 8000 } }, undefined, { onprogress: (p) => seen.push(p), timeout: 30000 });
  assert.equal(r.content[0].text, "done");
  assert.ok(seen.length >= 1 && seen[0].progress === 1, JSON.stringify(seen));
  const abort = new AbortController();
  const cancelled = client.callTool({ name: "slow", arguments: { ms: 1500 } }, undefined, { signal: abort.signal });
  abort.abort("changed my mind");
  await assert.rejects(cancelled);
  assert.equal((await client.callTool({ name: "dup", arguments: {} })).content[0].text, "called dup");
});

test("bad JSON-RPC gets the standard error codes", async () => {
  const child = spawn(hearthBin, ["mcp", "serve", "--manifest", join(dir, "tools.json")], { stdio: ["pipe", "pipe", "ignore"] });
  const lines = [];
  let buffer = "";
  child.stdout.on("data", (d) => { buffer += d; let i; while ((i = buffer.indexOf("\n")) >= 0) { lines.push(JSON.parse(buffer.slice(0, i))); buffer = buffer.slice(i + 1); } });
  child.stdin.write("{nope\n");
  child.stdin.write(JSON.stringify([1, 2]) + "\n");
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "nope" }) + "\n");
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "missing" } }) + "\n");
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: "x" }) + "\n");
  child.stdin.end();
  await new Promise((resolve) => child.on("exit", resolve));
  assert.deepEqual(lines.map((l) => l.error?.code), [-32700, -32600, -32601, -32602, -32602]);
});
