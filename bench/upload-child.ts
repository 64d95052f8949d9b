/**
 * The far side of the upload benchmark (bench/upload.ts): a process that is only the app's import,
 * so its resident set is what the import costs. It streams a generated CSV of `bytes` through the
 * console's upload path (storeUpload: to the bucket the environment names), starts the import, waits
 * for it, and says over IPC how long each took and the largest RSS sampled every 20 ms, in all and
 * in each phase. BENCH_UPLOAD_TRACE=1 also prints, each second, V8's and Buffers' share and the
 * resident set by kind (bench/resident-memory.ts): how decision 0083 found where the memory went.
 */
import { Readable } from "node:stream";
import v8 from "node:v8";
import { systemActor } from "@/lib/access/actor";
import { createDepartment } from "@/lib/accounts/departments";
import { closeDatabase, getDatabaseHandle } from "@/lib/database";
import { startImport, storeUpload } from "@/lib/pools/import-jobs";
import { importProgress } from "@/lib/pools/import-report";
import { createPool } from "@/lib/pools/pools";
import { residentByKind } from "./resident-memory";

export type UploadChildResult = {
  type: "result";
  bytes: number;
  rows: number;
  uploadSeconds: number;
  importSeconds: number;
  imported: number;
  invalid: number;
  startRssMiB: number;
  /** V8's heap limit: shows the server's flags were applied (bench/upload.ts serverNodeFlags). */
  heapLimitMiB: number;
  peakRssMiB: number;
  /** The largest RSS while the file was stored, and while it was imported. */
  uploadPeakRssMiB: number;
  importPeakRssMiB: number;
  /** At the peak: V8's heap in use and Buffers and other memory outside it. */
  atPeakMiB: { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
};

const bytes = Number(process.argv[2]);
if (!process.send || !Number.isSafeInteger(bytes)) throw new Error("bench/upload-child.ts is started by bench/upload.ts");

/** CSV lines made as they are read, never all at once: `bytes` of them, give or take a line. */
function generatedCsv(total: number): { stream: Readable; rows: () => number } {
  let written = 0;
  let row = 0;
  const stream = new Readable({
    read() {
      if (written >= total) return this.push(null);
      const lines: string[] = [];
      if (row === 0) lines.push("email,name,city,company,score");
      for (let i = 0; i < 2_000 && written < total; i++, row++) {
        const line = `reader${row}@upload${row % 997}.example.com,读者 ${row},${row % 3 ? "上海" : "北京"},Company ${row % 5_000},${row % 100}`;
        written += Buffer.byteLength(line) + 1;
        lines.push(line);
      }
      this.push(`${lines.join("\n")}\n`);
    },
  });
  return { stream, rows: () => row };
}

let peak = 0;
let atPeak: NodeJS.MemoryUsage | undefined;
let phase: "start" | "upload" | "import" = "start";
const phasePeaks = { start: 0, upload: 0, import: 0 };
const trace = Boolean(process.env.BENCH_UPLOAD_TRACE);
let tracedAt = 0;
const sampler = setInterval(() => {
  const now = process.memoryUsage();
  if (now.rss > peak) [peak, atPeak] = [now.rss, now];
  phasePeaks[phase] = Math.max(phasePeaks[phase], now.rss);
  if (trace && performance.now() - tracedAt >= 1000) {
    tracedAt = performance.now();
    const v8AndBuffers = { heapUsed: mib(now.heapUsed), heapTotal: mib(now.heapTotal), arrayBuffers: mib(now.arrayBuffers) };
    console.error(`[trace] ${phase} ${Math.round(tracedAt)} ms rss ${mib(now.rss)} ${JSON.stringify({ ...v8AndBuffers, ...residentByKind() })}`);
  }
}, 20);
const mib = (value: number) => Math.round((value / 1024 / 1024) * 10) / 10;

const handle = await getDatabaseHandle();
const ctx = { db: handle.db, actor: systemActor("upload bench") };
const department = await createDepartment(ctx, { name: `Upload bench ${Date.now()}`, quotaAllocated: null });
const pool = await createPool(ctx, { name: "Uploaded", departmentId: department.id });
global.gc?.();
const startRss = process.memoryUsage().rss;
peak = startRss;

const csv = generatedCsv(bytes);
phase = "upload";
const uploadStart = performance.now();
const upload = await storeUpload(ctx, pool.id, "big.csv", csv.stream);
const uploadSeconds = (performance.now() - uploadStart) / 1000;
phase = "import";
const importStart = performance.now();
await startImport(ctx, upload.id, { mapping: upload.mapping!, hasHeader: true, updateExisting: false });
let progress = await importProgress(ctx, upload.id);
while (progress.status === "running") {
  await new Promise((resolve) => setTimeout(resolve, 200));
  progress = await importProgress(ctx, upload.id);
}
const importSeconds = (performance.now() - importStart) / 1000;
clearInterval(sampler);
const result: UploadChildResult = {
  type: "result",
  bytes: upload.sizeBytes,
  rows: csv.rows(),
  uploadSeconds: Math.round(uploadSeconds * 10) / 10,
  importSeconds: Math.round(importSeconds * 10) / 10,
  imported: progress.imported,
  invalid: progress.invalid,
  startRssMiB: mib(startRss),
  heapLimitMiB: mib(v8.getHeapStatistics().heap_size_limit),
  peakRssMiB: mib(peak),
  uploadPeakRssMiB: mib(phasePeaks.upload),
  importPeakRssMiB: mib(phasePeaks.import),
  atPeakMiB: { heapUsed: mib(atPeak?.heapUsed ?? 0), heapTotal: mib(atPeak?.heapTotal ?? 0), external: mib(atPeak?.external ?? 0), arrayBuffers: mib(atPeak?.arrayBuffers ?? 0) },
};
process.send(result, () => void closeDatabase().then(() => process.exit(0)));
