/**
 * `npm run bench [-- name… --rows N --contacts N]`: runs the named benchmarks (all of them without a name),
 * prints their JSON on stdout and merges it into bench/results/latest.json. Progress goes to
 * stderr. A benchmark is one line in BENCHMARKS; its flags are declared in OPTIONS.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { runBouncesBenchmark } from "./bounces";
import { runCampaignsBenchmark } from "./campaigns";
import { runGateBenchmark } from "./gate";
import { runGatewayBenchmark } from "./gateway";
import { runImportBenchmark } from "./import";
import { runMessagesBenchmark } from "./messages";
import { runRenderBench } from "./render";
import { runReportsBenchmark } from "./reports";
import { runSegmentsBenchmark } from "./segments";
import { runSendBenchmark } from "./send";
import { runUploadBenchmark } from "./upload";
import { runWebhookEventsBenchmark } from "./webhook-events";
import { runWorkersBenchmark } from "./workers";

const OPTIONS = {
  rows: { type: "string" },
  contacts: { type: "string" },
} as const;

type BenchOptions = { rows?: string; contacts?: string };

const BENCHMARKS: Record<string, (options: BenchOptions) => Promise<object>> = {
  bounces: runBouncesBenchmark,
  campaigns: runCampaignsBenchmark,
  gate: runGateBenchmark,
  gateway: runGatewayBenchmark,
  import: runImportBenchmark,
  messages: runMessagesBenchmark,
  render: runRenderBench,
  reports: runReportsBenchmark,
  segments: runSegmentsBenchmark,
  send: runSendBenchmark,
  upload: runUploadBenchmark,
  webhooks: runWebhookEventsBenchmark,
  workers: runWorkersBenchmark,
};

const RESULTS = path.join(import.meta.dirname, "results", "latest.json");

function fail(reason: string): never {
  console.error(`bench: ${reason}`);
  process.exit(1);
}

/** The commit measured, marked when tracked files differ from it, so results can be traced. */
function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: import.meta.dirname, encoding: "utf8" }).trim();
    const commit = git("rev-parse", "--short", "HEAD");
    return git("status", "--porcelain", "--untracked-files=no") ? `${commit}+uncommitted changes` : commit;
  } catch {
    return "unknown";
  }
}

function readPrevious(): Record<string, unknown> {
  if (!fs.existsSync(RESULTS)) return {};
  try {
    return JSON.parse(fs.readFileSync(RESULTS, "utf8")) as Record<string, unknown>;
  } catch {
    console.error(`bench: ${RESULTS} is not valid JSON; starting it afresh`);
    return {};
  }
}

let parsed;
try {
  parsed = parseArgs({ options: OPTIONS, allowPositionals: true });
} catch (error) {
  fail((error as Error).message);
}
const names = parsed.positionals.length > 0 ? parsed.positionals : Object.keys(BENCHMARKS);
const unknown = names.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) fail(`unknown benchmark "${unknown.join('", "')}" (known: ${Object.keys(BENCHMARKS).join(", ")})`);

const results: Record<string, unknown> = {};
for (const name of names) {
  try {
    const measuredAt = new Date().toISOString();
    results[name] = { measuredAt, code: codeVersion(), ...(await BENCHMARKS[name]!(parsed.values)) };
  } catch (error) {
    fail(`${name} failed: ${(error as Error).message}`);
  }
}

const json = JSON.stringify(results, null, 2);
console.log(json);
fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
fs.writeFileSync(RESULTS, `${JSON.stringify({ ...readPrevious(), ...results }, null, 2)}\n`);
