/**
 * Issue 22's upload benchmark (`npm run bench -- upload [--rows BYTES_IN_MIB]`): a 100 MiB CSV
 * (default) streamed through the console's upload path into an S3-compatible bucket (s3rver on
 * loopback) and imported from it into a fresh Postgres database, in a process of its own
 * (bench/upload-child.ts) that is nothing but the app's import, so its peak resident set is the
 * import's. Goal: the process's RSS stays under 300 MB (Done-means 3); reported beside it the upload
 * and import times, rows a second, and what V8 and Buffers held at the peak.
 * BENCH_UPLOAD_STORE=local keeps the upload in the data folder instead, to compare. The child runs
 * with the node flags `npm start` gives the server (package.json), which size V8's heap (0083).
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createScratchDatabase } from "@/db/scratch";
import { startFakeS3 } from "../tests/helpers/fake-s3";
import { serverNodeFlags } from "./server-flags";
import type { UploadChildResult } from "./upload-child";

const ROOT = path.resolve(import.meta.dirname, "..");
const DEFAULT_MIB = 100;
const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";
export const TARGETS = { peakRssMB: 300 };

const log = (message: string) => console.error(`[bench upload] ${message}`);

function sizeInMiB(option: string | undefined): number {
  if (option === undefined || option === "") return DEFAULT_MIB;
  const value = Number(option);
  if (!Number.isFinite(value) || value < 1) throw new Error(`--rows is the upload's size in MiB for this benchmark, at least 1 (got "${option}")`);
  return value;
}

export async function runUploadBenchmark(options: { rows?: string }) {
  const mib = sizeInMiB(options.rows);
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
  const scratch = await createScratchDatabase(serverUrl, "fanout_bench_upload");
  const bucket = await startFakeS3("fanout-bench");
  // Nothing may be written here (a hosted host's disk): checked after the run (permissions would not stop root).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-bench-upload-"));
  try {
    log(`${mib} MiB through the upload path into the bucket, then imported into Postgres`);
    const child = fork(path.join(ROOT, "bench", "upload-child.ts"), [String(Math.round(mib * 1024 * 1024))], {
      cwd: ROOT,
      execArgv: [...serverNodeFlags(), "--conditions=react-server", "--import", "tsx", "--expose-gc"],
      stdio: ["ignore", 2, 2, "ipc"],
      env: { ...process.env, ...(process.env.BENCH_UPLOAD_STORE === "local" ? {} : bucket.env), DATABASE_URL: scratch.url, FANOUT_DATA_DIR: dataDir, AUTH_SECRET: "upload bench auth", FANOUT_TOKEN_SECRET: "upload bench token", FANOUT_RUNNER: "local" },
    });
    const result = await new Promise<UploadChildResult>((resolve, reject) => {
      child.on("message", (message) => resolve(message as UploadChildResult));
      child.on("exit", (code) => reject(new Error(`the upload child exited (${code}) before it answered`)));
    });
    const peakRssMB = Math.round((result.peakRssMiB * 1024 * 1024) / 1e6);
    const written = fs.readdirSync(dataDir, { recursive: true, encoding: "utf8" });
    log(`uploaded ${result.bytes} bytes in ${result.uploadSeconds} s, imported ${result.imported} of ${result.rows} rows in ${result.importSeconds} s; RSS ${result.startRssMiB} → peak ${result.peakRssMiB} MiB (storing ${result.uploadPeakRssMiB}, importing ${result.importPeakRssMiB})`);
    return {
      ...result,
      type: undefined,
      rowsPerSecond: Math.round(result.rows / result.importSeconds),
      peakRssMB,
      serverNodeFlags: serverNodeFlags(),
      targets: TARGETS,
      filesWrittenToDataDir: written,
      pass: { peakRss: peakRssMB < TARGETS.peakRssMB, allImported: result.imported + result.invalid === result.rows, nothingOnDisk: process.env.BENCH_UPLOAD_STORE === "local" ? null : written.length === 0 },
    };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
    await bucket.close();
    await scratch.drop();
  }
}
