/**
 * Issue 3's import benchmark: a generated CSV (seeded, so its counts are known in advance) is
 * imported into PGlite and into a fresh Postgres database, each in a child process of its own
 * (bench/import-worker.ts), followed by timed contact listings and searches on the pool.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { finished } from "node:stream/promises";
import type { BaselineResult, CreateResult, DatabaseTarget, ImportResult, ParseResult, QueryTiming, SearchTerms, WorkerTask } from "./import-worker";
import { createScratchDatabase, type ScratchDatabase } from "@/db/scratch";

const ROOT = path.resolve(import.meta.dirname, "..");
const WORKER = path.join(ROOT, "bench", "import-worker.ts");
const DEFAULT_ROWS = 1_000_000;
const DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/test";
const SEED = 20_251_125;

/** Issue 15: COPY speed on both databases, and the pool searchable within the import's time again. */
export const TARGETS = { postgresRowsPerSecond: 150_000, pgliteRowsPerSecond: 60_000, peakRssMb: 400, queryMs: 200, searchIndexToImportSeconds: 1 };

type Expected = { rows: number; imported: number; duplicates: number; invalid: number };
type Skipped = { skipped: string };
type TargetResult = ImportResult & { countsMatch: boolean; create: CreateResult; baseline: BaselineResult };

const log = (message: string) => console.error(`[bench import] ${message}`);
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

// ---------------------------------------------------------------------------------------------
// The CSV

/** mulberry32: small, fast and good enough to make the same file every time. */
function prng(seed: number) {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const CJK_SURNAMES = [["张", "zhang"], ["王", "wang"], ["李", "li"], ["刘", "liu"], ["陈", "chen"], ["杨", "yang"], ["黄", "huang"], ["赵", "zhao"], ["吴", "wu"], ["周", "zhou"]] as const;
const CJK_GIVEN = [["伟", "wei"], ["芳", "fang"], ["娜", "na"], ["敏", "min"], ["静", "jing"], ["丽", "li"], ["强", "qiang"], ["磊", "lei"], ["军", "jun"], ["洋", "yang"], ["秀英", "xiuying"], ["桂英", "guiying"], ["建华", "jianhua"], ["晓明", "xiaoming"]] as const;
const LATIN_FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "Sofia", "Lukas", "Amélie", "José", "Chloé", "Mateo", "Anna", "Noah"];
const LATIN_LAST = ["Smith", "Johnson", "Brown", "Müller", "García", "Rossi", "Dubois", "Kowalski", "Nguyen", "Silva", "Jensen", "O'Brien", "Novák", "Fischer"];
const DOMAINS = ["example.com", "example.org", "mail.example.cn", "gmail.com", "qq.com", "163.com", "outlook.com", "company.com.cn"];
const COMPANIES = ["Acme, Inc.", "杭州云帆科技有限公司", "Globex", "北京星辰网络", "Initech GmbH", "Umbrella Ltd", "深圳前海数据服务", "Stark & Wayne", ""];
const CITIES = ["Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Chengdu", "上海", "北京", "广州", "Berlin", "London", "Toronto", "Nairobi", "São Paulo", "Sydney"];
const PLANS = ["free", "pro", "enterprise"];

const ascii = (text: string) => text.normalize("NFD").replace(/[^a-zA-Z]/g, "").toLowerCase();

/** The k-th unique person: a pure function of k, so a later duplicate can spell the same address. */
function person(k: number): { name: string; email: string; local: string } {
  const random = prng(SEED ^ Math.imul(k + 1, 0x9e3779b1));
  let name: string;
  let local: string;
  if (random() < 0.5) {
    const [surname, surnamePinyin] = pick(random, CJK_SURNAMES);
    const [given, givenPinyin] = pick(random, CJK_GIVEN);
    name = surname + given;
    local = `${givenPinyin}.${surnamePinyin}${k}`;
  } else {
    const first = pick(random, LATIN_FIRST);
    const last = pick(random, LATIN_LAST);
    name = `${first} ${last}`;
    local = `${ascii(first)}.${ascii(last)}${k}`;
  }
  return { name, local, email: `${local}@${pick(random, DOMAINS)}` };
}

/** Addresses normalizeAddress refuses, one kind after another. */
function invalidAddress(random: Random, line: number): string {
  const local = `nobody${line}`;
  return pick(random, [
    `${local}.example.com`, // missing @
    `${local}@@example.com`, // double @
    `${local}@example.com@example.org`, // double @
    `${local}@localhost`, // bad domain: no dot
    `${local}@exa_mple.com`, // bad domain: underscore
    `${local}@example..com`, // bad domain: empty label
    "", // empty
  ]);
}

/** Earlier addresses spelled again: as they were, upper-case, or mixed case with spaces around. */
function duplicateSpelling(random: Random, email: string): string {
  const variant = random();
  if (variant < 0.4) return email;
  if (variant < 0.8) return email.toUpperCase();
  return `  ${email.charAt(0).toUpperCase()}${email.slice(1)} `;
}

const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/**
 * Writes `rows` rows (~90% new addresses, ~5% repeats of earlier ones, ~5% invalid) to `file`,
 * streaming, and returns the counts an import must report plus search terms that fit the file.
 */
export async function generateCsv(file: string, rows: number): Promise<{ expected: Expected; terms: SearchTerms }> {
  const random = prng(SEED);
  const out = fs.createWriteStream(file);
  const expected: Expected = { rows, imported: 0, duplicates: 0, invalid: 0 };
  let buffer = "email,name,company,city,phone,plan,score\n";
  for (let line = 0; line < rows; line++) {
    const kind = random();
    let email: string;
    let name: string;
    if (kind < 0.9 || expected.imported === 0) {
      ({ email, name } = person(expected.imported++));
    } else if (kind < 0.95) {
      const earlier = person(Math.floor(random() * expected.imported));
      email = duplicateSpelling(random, earlier.email);
      name = earlier.name;
      expected.duplicates++;
    } else {
      email = invalidAddress(random, line);
      name = person(line).name;
      expected.invalid++;
    }
    const phone = `+86 1${30 + Math.floor(random() * 60)} ${String(Math.floor(random() * 1e8)).padStart(8, "0")}`;
    const fields = [email, name, pick(random, COMPANIES), pick(random, CITIES), phone, pick(random, PLANS), String(Math.floor(random() * 101))];
    buffer += `${fields.map(csvField).join(",")}\n`;
    if (buffer.length >= 64 * 1024) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.end(buffer);
  await finished(out);
  // One address from the middle of the file: its local part occurs nowhere else.
  const rare = person(Math.floor(expected.imported / 2)).local;
  return { expected, terms: { rare, common: "example", cjk: "张", city: "Nairobi" } };
}

// ---------------------------------------------------------------------------------------------
// Child processes and the Postgres database

/** Runs bench/import-worker.ts under tsx, with its output on our stderr so stdout stays JSON. */
async function runWorker<Result>(task: WorkerTask): Promise<Result> {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", WORKER, JSON.stringify(task)], {
    cwd: ROOT,
    stdio: ["ignore", 2, 2, "ipc"],
  });
  let result: Result | undefined;
  child.on("message", (message) => {
    result = message as Result;
  });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  if (result === undefined) throw new Error(`the ${task.kind} worker ended (${signal ?? `exit code ${code}`}) without a result`);
  return result;
}

/** A fresh database on the server, as the database tests make them; or why there is none. */
async function createServerDatabase(serverUrl: string): Promise<ScratchDatabase | Skipped> {
  try {
    return await createScratchDatabase(serverUrl, "fanout_bench");
  } catch (error) {
    return { skipped: (error as Error).message };
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark

function rowCount(option: string | undefined): number {
  const text = option ?? process.env.BENCH_ROWS;
  if (text === undefined || text === "") return DEFAULT_ROWS;
  const rows = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(rows) || rows < 100) throw new Error(`--rows / BENCH_ROWS must be a whole number of at least 100 (got "${text}")`);
  return rows;
}

const countsMatch = (result: ImportResult, expected: Expected) =>
  result.counts.rows === expected.rows &&
  result.counts.imported === expected.imported &&
  result.counts.duplicates === expected.duplicates &&
  result.counts.invalid === expected.invalid &&
  result.poolContactCount === expected.imported;

const queriesUnder = (result: TargetResult | Skipped, limitMs: number) =>
  "skipped" in result
    ? null
    : Object.fromEntries(Object.entries(result.queries).map(([name, timing]: [string, QueryTiming]) => [name, timing.p95Ms < limitMs]));

export async function runImportBenchmark(options: { rows?: string }) {
  const rows = rowCount(options.rows);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-bench-"));
  try {
    const file = path.join(dir, "bench.csv");
    log(`generating ${rows.toLocaleString("en")} rows`);
    const generateStart = performance.now();
    const { expected, terms } = await generateCsv(file, rows);
    const generateSeconds = round((performance.now() - generateStart) / 1000);
    const fileBytes = fs.statSync(file).size;

    log("parse only (no database)");
    const parseOnly = await runWorker<ParseResult>({ kind: "parse", file });

    // Each import gets a fresh database of its own: the baseline's tables start as empty as the new path's.
    const importInto = async (target: DatabaseTarget, baselineTarget: DatabaseTarget): Promise<TargetResult> => {
      log(`creating the ${target.driver} databases`);
      const create = await runWorker<CreateResult>({ kind: "create", target });
      await runWorker<CreateResult>({ kind: "create", target: baselineTarget });
      log(`importing into ${target.driver}`);
      const result = await runWorker<ImportResult>({ kind: "import", file, fileBytes, target, terms });
      log(`importing into ${target.driver} the way it was done before (JSON batches, the indexer afterwards)`);
      const baseline = await runWorker<BaselineResult>({ kind: "baseline", file, target: baselineTarget });
      return { ...result, countsMatch: countsMatch(result, expected) && baseline.imported === expected.imported, create, baseline };
    };

    const pglite = await importInto({ driver: "pglite", dataDir: path.join(dir, "pglite") }, { driver: "pglite", dataDir: path.join(dir, "pglite-baseline") });
    fs.rmSync(path.join(dir, "pglite"), { recursive: true, force: true });
    fs.rmSync(path.join(dir, "pglite-baseline"), { recursive: true, force: true });

    const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
    const database = await createServerDatabase(serverUrl);
    const baselineDatabase = "skipped" in database ? database : await createServerDatabase(serverUrl);
    let postgres: TargetResult | Skipped;
    if ("skipped" in database || "skipped" in baselineDatabase) {
      postgres = "skipped" in database ? database : (baselineDatabase as Skipped);
      log(postgres.skipped);
      if (!("skipped" in database)) await database.drop();
    } else {
      try {
        postgres = await importInto({ driver: "pg", url: database.url }, { driver: "pg", url: baselineDatabase.url });
      } finally {
        await database.drop();
        await baselineDatabase.drop();
      }
    }
    const ran = "skipped" in postgres ? null : postgres;

    const pass = {
      countsMatch: { pglite: pglite.countsMatch, postgres: ran?.countsMatch ?? null },
      postgresRowsPerSecond: ran ? ran.rowsPerSecond >= TARGETS.postgresRowsPerSecond : null,
      postgresPeakRss: ran ? ran.peakRssMb < TARGETS.peakRssMb : null,
      pgliteRowsPerSecond: pglite.rowsPerSecond >= TARGETS.pgliteRowsPerSecond,
      pglitePeakRss: pglite.peakRssMb < TARGETS.peakRssMb,
      searchableWithinImportTimeAgain: {
        pglite: pglite.searchIndexSeconds <= pglite.seconds * TARGETS.searchIndexToImportSeconds,
        postgres: ran ? ran.searchIndexSeconds <= ran.seconds * TARGETS.searchIndexToImportSeconds : null,
      },
      queriesP95UnderTarget: { pglite: queriesUnder(pglite, TARGETS.queryMs), postgres: queriesUnder(postgres, TARGETS.queryMs) },
    };
    const all = [
      pass.countsMatch.pglite,
      pass.countsMatch.postgres,
      pass.postgresRowsPerSecond,
      pass.postgresPeakRss,
      pass.pgliteRowsPerSecond,
      pass.pglitePeakRss,
      pass.searchableWithinImportTimeAgain.pglite,
      pass.searchableWithinImportTimeAgain.postgres,
      ...Object.values(pass.queriesP95UnderTarget.pglite ?? {}),
      ...Object.values(pass.queriesP95UnderTarget.postgres ?? {}),
    ].every((value) => value === true); // a skipped Postgres run leaves its targets unproven

    const ratios = {
      /** How much longer an import takes than reading and checking the same file without a database. */
      pgliteImportToParseOnly: round(pglite.seconds / parseOnly.seconds),
      postgresImportToParseOnly: ran ? round(ran.seconds / parseOnly.seconds) : null,
      pgliteToPostgresImportSeconds: ran ? round(pglite.seconds / ran.seconds) : null,
      postgresRowsPerSecondToTarget: ran ? round(ran.rowsPerSecond / TARGETS.postgresRowsPerSecond) : null,
      postgresPeakRssToTarget: ran ? round(ran.peakRssMb / TARGETS.peakRssMb) : null,
      pgliteRowsPerSecondToTarget: round(pglite.rowsPerSecond / TARGETS.pgliteRowsPerSecond),
      pglitePeakRssToTarget: round(pglite.peakRssMb / TARGETS.peakRssMb),
      /** Against the import of before in the same run (JSON batches of 5,000): above 1 is faster. */
      pgliteRowsPerSecondToBaseline: round(pglite.rowsPerSecond / pglite.baseline.rowsPerSecond),
      postgresRowsPerSecondToBaseline: ran ? round(ran.rowsPerSecond / ran.baseline.rowsPerSecond) : null,
      /** Import plus search indexing, before over now: above 1 means searchable sooner. */
      pgliteSearchableSecondsBaselineToNow: round((pglite.baseline.seconds + pglite.baseline.searchIndexSeconds) / (pglite.seconds + pglite.searchIndexSeconds)),
      postgresSearchableSecondsBaselineToNow: ran ? round((ran.baseline.seconds + ran.baseline.searchIndexSeconds) / (ran.seconds + ran.searchIndexSeconds)) : null,
      pgliteSearchIndexToImportSeconds: round(pglite.searchIndexSeconds / pglite.seconds),
      postgresSearchIndexToImportSeconds: ran ? round(ran.searchIndexSeconds / ran.seconds) : null,
      /** Keyset paging: page N should cost what page 1 costs (ratio near 1). */
      pglitePageNToPage1: round(pglite.queries.pageN.p50Ms / pglite.queries.page1.p50Ms),
      postgresPageNToPage1: ran ? round(ran.queries.pageN.p50Ms / ran.queries.page1.p50Ms) : null,
    };

    return {
      rows,
      fileMb: round(fileBytes / 1024 / 1024, 1),
      generateSeconds,
      expected,
      searchTerms: terms,
      parseOnly,
      pglite,
      postgres,
      ratios,
      targets: TARGETS,
      pass: { ...pass, all },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
