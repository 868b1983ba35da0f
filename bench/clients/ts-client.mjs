#!/usr/bin/env node
// Benchmark client built on the official MCP TypeScript SDK (Streamable HTTP transport), the
// reference `cargo xtask bench` compares Patchbay's client against. See README.md beside it.
//
//   node ts-client.mjs --url URL --mode connect --n N [--warmup W]
//   node ts-client.mjs --url URL --mode calls --n N --tool echo --args '{"message":"hi"}' [--warmup W]
//   node ts-client.mjs --url URL --mode once-tools
//   node ts-client.mjs --url URL --mode once-call --tool echo --args '{"message":"hi"}'
//
// connect/calls print one JSON line on stdout:
//   {"client":"ts-sdk","mode":...,"n":N,"samples_ms":[...],"sdk_version":"1.32.2","node":"vX"}
// Any failure prints a message on stderr and exits 1.
//
// The SDK is the one pinned in tests/peers (never a second copy); set PATCHBAY_PEERS_DIR to
// use another tests/peers directory.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const USAGE = `usage:
  node ts-client.mjs --url URL --mode connect --n N [--warmup W]
  node ts-client.mjs --url URL --mode calls --n N --tool NAME [--args JSON] [--warmup W]
  node ts-client.mjs --url URL --mode once-tools
  node ts-client.mjs --url URL --mode once-call --tool NAME [--args JSON]`;

const MODES = new Set(["connect", "calls", "once-tools", "once-call"]);

class UsageError extends Error {}

async function exit(code, stdout, stderr) {
  const write = (stream, text) =>
    text === undefined ? Promise.resolve() : new Promise((done) => stream.write(text, done));
  await write(process.stdout, stdout);
  await write(process.stderr, stderr);
  // Exit explicitly: keep-alive sockets or timers must not stretch whole-process timings.
  process.exit(code);
}

function parseCli(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        url: { type: "string" },
        mode: { type: "string" },
        n: { type: "string" },
        warmup: { type: "string" },
        tool: { type: "string" },
        args: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error.message);
  }
  const opts = parsed.values;
  if (opts.help) {
    return { help: true };
  }
  if (!opts.url) throw new UsageError("--url is required");
  let url;
  try {
    url = new URL(opts.url);
  } catch {
    throw new UsageError(`--url is not a URL: ${opts.url}`);
  }
  if (!opts.mode || !MODES.has(opts.mode)) {
    throw new UsageError(`--mode must be one of ${[...MODES].join(", ")} (got ${opts.mode ?? "nothing"})`);
  }
  const mode = opts.mode;
  const count = (name, value, fallback, min) => {
    if (value === undefined) {
      if (fallback === undefined) throw new UsageError(`--${name} is required for --mode ${mode}`);
      return fallback;
    }
    if (!/^\d+$/.test(value) || Number(value) < min) {
      throw new UsageError(`--${name} must be an integer >= ${min} (got ${value})`);
    }
    return Number(value);
  };
  const repeated = mode === "connect" || mode === "calls";
  const n = repeated ? count("n", opts.n, undefined, 1) : 1;
  const warmup = repeated ? count("warmup", opts.warmup, 3, 0) : 0;
  const needsTool = mode === "calls" || mode === "once-call";
  if (needsTool && !opts.tool) throw new UsageError(`--tool is required for --mode ${mode}`);
  let toolArgs = {};
  if (opts.args !== undefined) {
    try {
      toolArgs = JSON.parse(opts.args);
    } catch (error) {
      throw new UsageError(`--args is not JSON: ${error.message}`);
    }
    if (toolArgs === null || typeof toolArgs !== "object" || Array.isArray(toolArgs)) {
      throw new UsageError("--args must be a JSON object");
    }
  }
  return { url, mode, n, warmup, tool: opts.tool, toolArgs };
}

async function loadSdk() {
  const here = dirname(fileURLToPath(import.meta.url));
  const peersDir = resolve(process.env.PATCHBAY_PEERS_DIR ?? join(here, "..", "..", "tests", "peers"));
  const sdkDir = join(peersDir, "node_modules", "@modelcontextprotocol", "sdk");
  const packageJson = join(sdkDir, "package.json");
  if (!existsSync(packageJson)) {
    throw new Error(`${sdkDir} is missing: run \`npm ci --prefix ${peersDir}\``);
  }
  const { version } = JSON.parse(readFileSync(packageJson, "utf8"));
  const esm = (path) => import(pathToFileURL(join(sdkDir, "dist", "esm", path)).href);
  const [{ Client }, { StreamableHTTPClientTransport }] = await Promise.all([
    esm("client/index.js"),
    esm("client/streamableHttp.js"),
  ]);
  return { version, Client, StreamableHTTPClientTransport };
}

function session(sdk, url) {
  const client = new sdk.Client({ name: "patchbay-bench-ts-sdk", version: sdk.version });
  const transport = new sdk.StreamableHTTPClientTransport(url);
  return { client, transport };
}

async function open(sdk, url) {
  const pair = session(sdk, url);
  await pair.client.connect(pair.transport);
  return pair;
}

async function shut({ client, transport }) {
  try {
    // DELETE with the session id (a 405 answer counts as success in the SDK).
    await transport.terminateSession();
  } finally {
    await client.close();
  }
}

function toolFailure(tool, result) {
  const text = textOf(result);
  return new Error(`tool ${tool} answered isError${text ? `: ${text}` : ""}`);
}

function textOf(result) {
  return (result.content ?? [])
    .filter((item) => item.type === "text")
    .map((item) => item.text)
    .join("\n");
}

const round = (ms) => Math.round(ms * 1000) / 1000;

async function connectMode(sdk, cli) {
  const samples = [];
  for (let i = 0; i < cli.warmup + cli.n; i++) {
    const started = performance.now();
    const pair = session(sdk, cli.url);
    await pair.client.connect(pair.transport);
    await pair.client.listTools();
    await shut(pair);
    const elapsed = performance.now() - started;
    if (i >= cli.warmup) samples.push(round(elapsed));
  }
  return samples;
}

async function callsMode(sdk, cli) {
  const pair = await open(sdk, cli.url);
  const samples = [];
  try {
    for (let i = 0; i < cli.warmup + cli.n; i++) {
      const started = performance.now();
      const result = await pair.client.callTool({ name: cli.tool, arguments: cli.toolArgs });
      const elapsed = performance.now() - started;
      if (result.isError) throw toolFailure(cli.tool, result);
      if (i >= cli.warmup) samples.push(round(elapsed));
    }
  } finally {
    await shut(pair);
  }
  return samples;
}

async function onceTools(sdk, cli) {
  const pair = await open(sdk, cli.url);
  try {
    const { tools } = await pair.client.listTools();
    return `${tools.length} tools: ${tools.map((tool) => tool.name).join(", ")}\n`;
  } finally {
    await shut(pair);
  }
}

async function onceCall(sdk, cli) {
  const pair = await open(sdk, cli.url);
  try {
    const result = await pair.client.callTool({ name: cli.tool, arguments: cli.toolArgs });
    if (result.isError) throw toolFailure(cli.tool, result);
    return `${textOf(result)}\n`;
  } finally {
    await shut(pair);
  }
}

async function main() {
  let cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) return exit(1, undefined, `ts-client: ${error.message}\n${USAGE}\n`);
    throw error;
  }
  if (cli.help) return exit(0, `${USAGE}\n`);
  const sdk = await loadSdk();
  switch (cli.mode) {
    case "connect":
    case "calls": {
      const samples = cli.mode === "connect" ? await connectMode(sdk, cli) : await callsMode(sdk, cli);
      const line = {
        client: "ts-sdk",
        mode: cli.mode,
        n: cli.n,
        samples_ms: samples,
        sdk_version: sdk.version,
        node: process.version,
      };
      return exit(0, `${JSON.stringify(line)}\n`);
    }
    case "once-tools":
      return exit(0, await onceTools(sdk, cli));
    case "once-call":
      return exit(0, await onceCall(sdk, cli));
  }
}

main().catch((error) => {
  const detail = error?.cause ? ` (cause: ${error.cause.message ?? error.cause})` : "";
  return exit(1, undefined, `ts-client: ${error?.message ?? error}${detail}\n`);
});
