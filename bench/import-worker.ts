/**
 * One measurement of the import benchmark, run in a process of its own (see bench/import.ts)
 * so that the peak RSS it reports belongs to this import alone. The task arrives as JSON in
 * argv[2]; the result goes back over the IPC channel. Anything printed goes to stderr.
 */
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "@/db/client";
import type { ImportMapping } from "@/db/schema";
import { createDepartment } from "@/lib/accounts/departments";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { CONTACT_PAGE_SIZE, listContacts, type ContactFilters } from "@/lib/pools/contacts";
import { IMPORT_BATCH_SIZE, importRows, prepareRow, refreshStatistics } from "@/lib/pools/import";
import { importTable } from "@/lib/pools/import-csv";
import { mappingFromHeader } from "@/lib/pools/mapping";
import { openTable } from "@/lib/pools/parse";
import { createPool } from "@/lib/pools/pools";
import { peekRows } from "@/lib/pools/rows";
import type { StagingMode } from "@/lib/pools/import-copy";
import { indexPendingContacts } from "@/lib/pools/search";

export type SearchTerms = { rare: string; common: string; cjk: string; city: string };

export type DatabaseTarget = { driver: "pglite"; dataDir: string } | { driver: "pg"; url: string };

export type WorkerTask =
  | { kind: "parse"; file: string }
  | { kind: "create"; target: DatabaseTarget }
  | { kind: "import"; file: string; fileBytes: number; target: DatabaseTarget; terms: SearchTerms }
  | { kind: "baseline"; file: string; target: DatabaseTarget; staging?: StagingMode; indexInPass?: boolean; batchSize?: number };

/** Milliseconds of one listContacts call, and how many contacts its page held. */
export type QueryTiming = { p50Ms: number; p95Ms: number; pageRows: number };

export type CreateResult = { seconds: number; peakRssMb: number };

/** The import as it was before decision 0074: JSON batches of 5,000, the background indexer afterwards. */
export type BaselineResult = { seconds: number; rowsPerSecond: number; peakRssMb: number; searchIndexSeconds: number; imported: number };

export type ParseResult = { seconds: number; rowsPerSecond: number; peakRssMb: number; rows: number; invalid: number };

export type ImportResult = {
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  /** The server's background search indexer catching up after the import (searches wait for it). */
  searchIndexSeconds: number;
  counts: { rows: number; imported: number; duplicates: number; invalid: number };
  poolContactCount: number;
  databaseMb: number;
  queries: {
    page1: QueryTiming;
    /** Page 1,000, or the last full page when the pool holds fewer than 50,000 contacts. */
    pageN: QueryTiming & { page: number };
    searchRare: QueryTiming & { term: string };
    searchCommon: QueryTiming & { term: string };
    searchCjk: QueryTiming & { term: string };
    searchCity: QueryTiming & { term: string };
  };
};

const WARMUPS = 2;
const RUNS = 20;
const TARGET_PAGE = 1000;

const round = (value: number, digits = 1) => Number(value.toFixed(digits));
const peakRssMb = () => round(process.resourceUsage().maxRSS / 1024);

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
}

async function parseOnly(file: string): Promise<ParseResult> {
  const start = performance.now();
  const source = await openTable(fs.createReadStream(file), { filename: "bench.csv" });
  let mapping: ImportMapping | null = null;
  let rows = 0;
  let invalid = 0;
  for await (const row of source.rows) {
    if (!mapping) {
      mapping = mappingFromHeader(row.fields);
      if (!mapping) throw new Error("the generated CSV has no email column");
      continue;
    }
    rows++;
    if ("reason" in prepareRow(row, mapping)) invalid++;
  }
  const seconds = (performance.now() - start) / 1000;
  return { seconds: round(seconds, 2), rowsPerSecond: Math.round(rows / seconds), peakRssMb: peakRssMb(), rows, invalid };
}

function open(target: DatabaseTarget) {
  return target.driver === "pglite"
    ? openDatabase({ driver: "pglite", dataDir: target.dataDir })
    : openDatabase({ driver: "pg", url: target.url });
}

/**
 * Creates the database and runs the migrations, so that the import process opens an existing
 * one as a running server would (PGlite's first start, initdb, costs far more memory).
 */
async function create(target: DatabaseTarget): Promise<CreateResult> {
  const start = performance.now();
  const handle = await open(target);
  await handle.close();
  return { seconds: round((performance.now() - start) / 1000, 2), peakRssMb: peakRssMb() };
}

async function importBaseline(task: Extract<WorkerTask, { kind: "baseline" }>): Promise<BaselineResult> {
  const handle = await open(task.target);
  try {
    const ctx: Ctx = { db: handle.db, actor: systemActor("bench") };
    const department = await createDepartment(ctx, { name: "Bench baseline", quotaAllocated: null });
    const pool = await createPool(ctx, { name: "Bench baseline", departmentId: department.id });
    const start = performance.now();
    const source = await openTable(fs.createReadStream(task.file), { filename: "bench.csv" });
    const { head, all } = await peekRows(source.rows, 1);
    const mapping = mappingFromHeader(head[0]!.fields)!;
    // importTable's settings of before: two batches at once, asynchronous commits.
    const totals = await importRows({
      db: handle.db,
      departmentId: department.id,
      poolId: pool.id,
      rows: all,
      mapping,
      hasHeader: true,
      updateExisting: false,
      concurrency: 2,
      asyncCommit: true,
      staging: task.staging ?? "json",
      indexInPass: task.indexInPass ?? false,
      batchSize: task.batchSize ?? (task.staging && task.staging !== "json" ? undefined : IMPORT_BATCH_SIZE),
    });
    await refreshStatistics(handle.db, totals.imported);
    const seconds = (performance.now() - start) / 1000;
    const importPeakRssMb = peakRssMb();
    console.error(`  ${task.target.driver} baseline: imported in ${seconds.toFixed(1)} s; indexing for search`);
    const indexStart = performance.now();
    await indexPendingContacts(handle.db);
    const searchIndexSeconds = (performance.now() - indexStart) / 1000;
    return { seconds: round(seconds, 2), rowsPerSecond: Math.round(totals.rowsRead / seconds), peakRssMb: importPeakRssMb, searchIndexSeconds: round(searchIndexSeconds, 2), imported: totals.imported };
  } finally {
    await handle.close();
  }
}

async function importAndQuery(task: Extract<WorkerTask, { kind: "import" }>): Promise<ImportResult> {
  const handle = await open(task.target);
  try {
    const ctx: Ctx = { db: handle.db, actor: systemActor("bench") };
    const department = await createDepartment(ctx, { name: "Bench", quotaAllocated: null });
    const pool = await createPool(ctx, { name: "Bench import", departmentId: department.id });

    let nextReport = 0.1;
    const start = performance.now();
    const report = await importTable(ctx, pool.id, fs.createReadStream(task.file), {
      fileName: "bench.csv",
      onProgress: (bytes) => {
        const done = bytes / task.fileBytes;
        if (done < nextReport) return;
        while (nextReport <= done) nextReport += 0.1;
        const elapsed = (performance.now() - start) / 1000;
        console.error(`  ${task.target.driver}: ${Math.round(done * 100)}% read after ${elapsed.toFixed(1)} s`);
      },
    });
    const seconds = (performance.now() - start) / 1000;
    const importPeakRssMb = peakRssMb();

    console.error(`  ${task.target.driver}: imported in ${seconds.toFixed(1)} s; indexing for search`);
    const indexStart = performance.now();
    await indexPendingContacts(handle.db);
    const searchIndexSeconds = (performance.now() - indexStart) / 1000;

    const [poolRow] = await queryRows<{ count: number }>(handle.db, sql`select contact_count as count from pools where id = ${pool.id}`);
    const [size] = await queryRows<{ bytes: string | number }>(handle.db, sql`select pg_database_size(current_database())::text as bytes`);
    const poolContactCount = Number(poolRow?.count ?? 0);

    const time = async (filters: ContactFilters): Promise<QueryTiming> => {
      for (let i = 0; i < WARMUPS; i++) await listContacts(ctx, { poolId: pool.id }, filters);
      const samples: number[] = [];
      let pageRows = 0;
      for (let i = 0; i < RUNS; i++) {
        const begin = performance.now();
        const page = await listContacts(ctx, { poolId: pool.id }, filters);
        samples.push(performance.now() - begin);
        pageRows = page.contacts.length;
      }
      samples.sort((a, b) => a - b);
      return { p50Ms: round(percentile(samples, 0.5), 2), p95Ms: round(percentile(samples, 0.95), 2), pageRows };
    };

    // The cursor of page N is the id of the last contact on page N - 1.
    const page = Math.max(1, Math.min(TARGET_PAGE, Math.floor(poolContactCount / CONTACT_PAGE_SIZE)));
    const [cursorRow] =
      page > 1
        ? await queryRows<{ id: string }>(
            handle.db,
            sql`select contact_id::text as id from pool_members where pool_id = ${pool.id}
                order by contact_id offset ${(page - 1) * CONTACT_PAGE_SIZE - 1} limit 1`,
          )
        : [];
    const cursor = cursorRow ? Number(cursorRow.id) : undefined;

    console.error(`  ${task.target.driver}: indexed in ${searchIndexSeconds.toFixed(1)} s; timing queries`);
    const queries: ImportResult["queries"] = {
      page1: await time({}),
      pageN: { page, ...(await time({ cursor })) },
      searchRare: { term: task.terms.rare, ...(await time({ q: task.terms.rare })) },
      searchCommon: { term: task.terms.common, ...(await time({ q: task.terms.common })) },
      searchCjk: { term: task.terms.cjk, ...(await time({ q: task.terms.cjk })) },
      searchCity: { term: task.terms.city, ...(await time({ q: task.terms.city })) },
    };

    return {
      seconds: round(seconds, 2),
      rowsPerSecond: Math.round(report.rows / seconds),
      peakRssMb: importPeakRssMb,
      searchIndexSeconds: round(searchIndexSeconds, 2),
      counts: { rows: report.rows, imported: report.imported, duplicates: report.duplicates, invalid: report.invalidCount },
      poolContactCount,
      databaseMb: round(Number(size?.bytes ?? 0) / 1024 / 1024),
      queries,
    };
  } finally {
    await handle.close();
  }
}

const send = process.send?.bind(process);
if (!send) throw new Error("bench/import-worker.ts is started by bench/import.ts");
const task = JSON.parse(process.argv[2] ?? "null") as WorkerTask;
const result =
  task.kind === "parse"
    ? await parseOnly(task.file)
    : task.kind === "create"
      ? await create(task.target)
      : task.kind === "baseline"
        ? await importBaseline(task)
        : await importAndQuery(task);
send(result, undefined, undefined, () => process.exit(0));
