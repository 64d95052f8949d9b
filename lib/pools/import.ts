import "server-only";
import { eq, sql } from "drizzle-orm";
import type { Executor, Transaction } from "@/db/client";
import { pools, type ContactChannel, type ImportMapping } from "@/db/schema";
import { DEFAULT_PHONE_REGION } from "@/lib/channels/phone";
import { describeReason } from "@/lib/i18n/describe";
import type { Reason, ReasonCatalogue, ReasonParams } from "@/lib/i18n/reasons-en";
import { readAddressCell } from "./address-cell";
import { readPhoneCell } from "./phone-cell";
import { consentList } from "./contact-channels";
import { STAGED_COLUMNS, stageContacts, stagingModeOf, type StagingMode } from "./import-copy";
import { mergeContacts } from "./import-merge";
import { mergedTags, namesOfBatch, rowTags } from "./import-tags";
import { ensureTags } from "./tag-vocabulary";
import { checkAddress, type SkippableFlag } from "./hygiene/flags";
import { addExample, emptyTally, type HygieneTally } from "./hygiene/tally";
import type { ParsedRow } from "./parse";
import { STATISTICS_THRESHOLD } from "./search";

export const IMPORT_BATCH_SIZE = 5_000;
/** Rows per batch when COPY stages them: the merge's fixed costs are spread over more rows. */
export const COPY_BATCH_SIZE = 20_000;
const MAX_NAME = 200;
const MAX_ATTRIBUTE = 1_000;

/** `badPhones`: rows imported without their phone number because the cell was not one. */
export type ImportCounts = { rowsRead: number; imported: number; updated: number; duplicates: number; invalid: number; badPhones: number };
/** Why a row is not a contact: a reason of the catalogues, worded where it is read. */
export type InvalidRow = { line: number; reason: Reason; params: ReasonParams; value: string };

/** What one committed batch changed; `record` runs inside the batch's transaction. */
export type BatchOutcome = ImportCounts & { lastLine: number; invalidRows: InvalidRow[]; badPhoneRows: InvalidRow[]; hygiene: HygieneTally };

/** `hygiene` and `suggestion` are left out for a clean address, which keeps the batch's JSON small. */
export type PreparedContact = {
  line: number;
  email: string;
  name: string;
  attributes: Record<string, string>;
  hygiene?: SkippableFlag[];
  suggestion?: string;
  tags?: string[];
  /** E.164; left out when the row has none. */
  phone?: string;
  /** The row's phone cell when it was not a number: the contact is kept without it and the line reported. */
  badPhone?: Omit<InvalidRow, "line">;
  /** Channels consented to, added to those the contact has. */
  consent?: ContactChannel[];
  /** The WeCom user id (the API's upsert; imports have no column for it yet). */
  wecomUserId?: string;
};
export type Prepared = PreparedContact | InvalidRow;

export type BatchTarget = {
  db: Executor;
  /**
   * Commit without waiting for the WAL flush. Atomicity and order stay; a crash can lose the
   * last fraction of a second of batches, which a repeated import adds again (it is idempotent).
   */
  asyncCommit?: boolean;
  departmentId: string;
  poolId: string;
  updateExisting: boolean;
  /** Flagged rows of these kinds are skipped (counted in the outcome's hygiene), not imported. */
  skipHygiene?: readonly SkippableFlag[];
  record?: (tx: Transaction, outcome: BatchOutcome) => Promise<void>;
  /** How the contacts reach the database (lib/pools/import-copy.ts); one JSON parameter by default. */
  staging?: StagingMode;
  /**
   * Write the batch's search rows in its own statement instead of leaving them to the background
   * indexer: for large imports, whose contacts would otherwise wait for it (lib/pools/search.ts).
   */
  indexInPass?: boolean;
  /** Tags every contact of the batch is given, besides its own line's (lib/pools/import-tags.ts). */
  tagAll?: readonly string[];
};

export function emptyCounts(): ImportCounts {
  return { rowsRead: 0, imported: 0, updated: 0, duplicates: 0, invalid: 0, badPhones: 0 };
}

/**
 * A stored reason in a catalogue's language. Rows stored before reasons were keys hold English
 * text, which is shown as it is.
 */
export function wordStoredReason(catalogue: ReasonCatalogue, reason: string, params: ReasonParams | null | undefined): string {
  const known = Object.hasOwn(catalogue.rules, reason) || Object.hasOwn(catalogue.messages, reason);
  return known ? describeReason(catalogue, reason, params ?? {}) : reason;
}

/** Turns one parsed row into a contact, or says why it cannot be one; phone numbers are read in `phoneRegion`. */
export function prepareRow(row: ParsedRow, mapping: ImportMapping, phoneRegion: string = DEFAULT_PHONE_REGION): Prepared {
  const raw = row.fields[mapping.emailColumn];
  if (raw === undefined || raw.trim() === "") {
    return { line: row.line, reason: "importNoAddress", params: {}, value: "" };
  }
  const checked = readAddressCell(raw);
  if (!checked.ok) return { line: row.line, reason: checked.reason, params: checked.params, value: raw.slice(0, 320) };
  // The name column wins; a cell like `"张三" <zhang@example.com>` names the contact when it is empty.
  const tags = rowTags(row, mapping);
  if (!tags.ok) return { line: row.line, reason: tags.reason, params: tags.params, value: tags.value };
  const name = ((mapping.nameColumn === null ? "" : (row.fields[mapping.nameColumn] ?? "").trim()) || checked.name).slice(0, MAX_NAME);
  const attributes: Record<string, string> = {};
  for (const column of mapping.attributeColumns) {
    const value = row.fields[column.index]?.trim();
    if (value) attributes[column.key] = value.slice(0, MAX_ATTRIBUTE);
  }
  const prepared: PreparedContact = { line: row.line, email: checked.email, name, attributes, ...(tags.tags ? { tags: tags.tags } : {}) };
  if (mapping.phoneColumn !== undefined && mapping.phoneColumn !== null) {
    const phone = readPhoneCell(row.fields[mapping.phoneColumn], phoneRegion);
    if (phone.ok && phone.e164) prepared.phone = phone.e164;
    else if (!phone.ok) prepared.badPhone = phone.problem;
  }
  if (mapping.consent && mapping.consent.length > 0) prepared.consent = mapping.consent;
  return withHygiene(prepared);
}

/** The contact with its hygiene flags and a typo's suggestion; writeBatch stores them. */
export function withHygiene(prepared: PreparedContact): PreparedContact {
  const hygiene = checkAddress(prepared.email);
  if (hygiene.flags.length > 0) prepared.hygiene = hygiene.flags;
  if (hygiene.suggestion) prepared.suggestion = hygiene.suggestion;
  return prepared;
}

/**
 * Streams rows into a pool in batches. Each batch is one transaction: contacts upserted
 * (kept or updated, as the caller chose), pool membership added, the pool's count moved and
 * `record` called, so progress saved there always matches what was committed.
 */
export async function importRows(
  options: BatchTarget & {
    rows: AsyncIterable<ParsedRow>;
    mapping: ImportMapping;
    hasHeader: boolean;
    resumeAfterLine?: number;
    batchSize?: number;
    /**
     * Batches written at once. Above 1 they may commit out of order, so only callers that do
     * not resume from the last committed line (the API and the CLI) use it.
     */
    concurrency?: number;
    /** Asked after each full batch: true stops reading there, for a later run to resume (a time-bounded step). */
    stopWhen?: () => boolean;
    /** The region national phone numbers are read in (the company's `phoneRegion`). */
    phoneRegion?: string;
  },
): Promise<ImportCounts> {
  const totals = emptyCounts();
  const staging = options.staging ?? stagingModeOf(options.db);
  const batchSize = options.batchSize ?? (staging === "json" ? IMPORT_BATCH_SIZE : COPY_BATCH_SIZE);
  const resumeAfter = options.resumeAfterLine ?? 0;
  let headerSkipped = !options.hasHeader;
  const concurrency = options.concurrency ?? 1;
  let batch: Prepared[] = [];
  const inFlight: Promise<void>[] = [];

  let rowsSeen = 0;
  const flush = async (rows: Prepared[]) => {
    rowsSeen += rows.length;
    // A small import leaves its few contacts to the indexer (searched directly meanwhile). On
    // Postgres a large import's batches index themselves: the indexer's second pass (flags cleared,
    // a vacuum) costs more than the trigram rows. On PGlite the same made imports slower than
    // the two passes together (decision 0074), so its contacts wait for the indexer as before.
    const indexInPass = options.indexInPass ?? (staging === "pg" && rowsSeen >= STATISTICS_THRESHOLD);
    const outcome = await writeBatch({ ...options, staging, indexInPass, tagAll: options.tagAll ?? options.mapping.tags }, rows);
    for (const key of Object.keys(totals) as (keyof ImportCounts)[]) totals[key] += outcome[key];
  };

  for await (const row of options.rows) {
    if (!headerSkipped) {
      headerSkipped = true;
      continue;
    }
    if (row.line <= resumeAfter) continue;
    batch.push(prepareRow(row, options.mapping, options.phoneRegion));
    if (batch.length >= batchSize) {
      const full = batch;
      batch = [];
      // Parse the next batch while earlier ones are written.
      if (inFlight.length >= concurrency) await inFlight.shift();
      inFlight.push(flush(full));
      if (options.stopWhen?.()) break;
    }
  }
  if (batch.length > 0) {
    if (inFlight.length >= concurrency) await inFlight.shift();
    inFlight.push(flush(batch));
  }
  await Promise.all(inFlight);
  return totals;
}

/** Writes one batch of prepared rows in one transaction (see importRows). */
export async function writeBatch(options: BatchTarget, rows: Prepared[]): Promise<BatchOutcome> {
  const { outcome, contacts } = planBatch(rows, options);
  await withDeadlockRetry(() => options.db.transaction(async (tx) => {
    if (options.asyncCommit) await tx.execute(sql`set local synchronous_commit = off`);
    if (contacts.length > 0) {
      const staging = options.staging ?? "json";
      const tagNames = namesOfBatch(contacts, options.tagAll);
      await ensureTags(tx, options.departmentId, tagNames);
      const source =
        staging === "json"
          ? sql`select * from json_to_recordset(${JSON.stringify(contacts.map(({ email, name, attributes, hygiene, suggestion, tags, phone, consent, wecomUserId }) => ({ email, name, attributes, hygiene, suggestion, tags, phone, consent, wecom: wecomUserId })))}::json)
              as input(${STAGED_COLUMNS})`
          : await stageContacts(tx, staging, contacts);
      const counts = await mergeContacts(tx, { ...options, tagAll: tagNames.length > 0 ? (options.tagAll ?? []) : undefined }, source);
      outcome.imported = counts.imported;
      outcome.updated = counts.updated;
      outcome.duplicates += contacts.length - outcome.imported;
      if (outcome.imported > 0) {
        await tx
          .update(pools)
          .set({ contactCount: sql`${pools.contactCount} + ${outcome.imported}`, updatedAt: new Date() })
          .where(eq(pools.id, options.poolId));
      }
    }
    await options.record?.(tx, outcome);
  }));
  return outcome;
}

/**
 * The batch's invalid rows, skipped rows and repeats, counted; what is left is one contact per
 * address (a repeat merged into the first when updating), to be merged with the pool.
 */
function planBatch(rows: Prepared[], options: Pick<BatchTarget, "skipHygiene" | "updateExisting">): { outcome: BatchOutcome; contacts: PreparedContact[] } {
  const invalidRows: InvalidRow[] = [];
  const badPhoneRows: InvalidRow[] = [];
  const unique = new Map<string, PreparedContact>();
  const hygiene = emptyTally();
  let repeated = 0;
  for (const prepared of rows) {
    if ("reason" in prepared) {
      invalidRows.push(prepared);
      continue;
    }
    if (prepared.hygiene && skipped(hygiene, prepared, options.skipHygiene)) continue;
    if (prepared.badPhone) badPhoneRows.push({ line: prepared.line, ...prepared.badPhone });
    const earlier = unique.get(prepared.email);
    if (earlier) {
      repeated++;
      if (options.updateExisting) unique.set(prepared.email, mergeContact(earlier, prepared));
      else if (prepared.tags) earlier.tags = mergedTags(earlier.tags, prepared.tags);
    } else {
      unique.set(prepared.email, prepared);
    }
  }
  const contacts = [...unique.values()];
  // Flags are counted per contact, so an address repeated in the batch is counted once.
  for (const contact of contacts) if (contact.hygiene) tallyFlags(hygiene, contact);
  const outcome: BatchOutcome = {
    rowsRead: rows.length,
    imported: 0,
    updated: 0,
    duplicates: repeated,
    invalid: invalidRows.length,
    badPhones: badPhoneRows.length,
    lastLine: rows[rows.length - 1]?.line ?? 0,
    invalidRows,
    badPhoneRows,
    hygiene,
  };
  return { outcome, contacts };
}

/** Should two batches still deadlock (Postgres cancels one), running it again is the answer. */
async function withDeadlockRetry<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = ((error as { cause?: { code?: string } }).cause ?? (error as { code?: string }))?.code;
      if ((code !== "40P01" && code !== "40001") || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}

/** True (and counted) when the importer chose to skip one of the row's kinds. */
function skipped(tally: HygieneTally, row: PreparedContact, skip: readonly SkippableFlag[] = []): boolean {
  const skippedBy = row.hygiene!.find((flag) => skip.includes(flag));
  if (skippedBy) tally.skipped[skippedBy]++;
  return skippedBy !== undefined;
}

function tallyFlags(tally: HygieneTally, row: PreparedContact) {
  for (const flag of row.hygiene!) {
    tally.flagged[flag]++;
    addExample(tally, flag, flag === "typo" && row.suggestion ? { line: row.line, email: row.email, suggestion: row.suggestion } : { line: row.line, email: row.email });
  }
}

function mergeContact(earlier: PreparedContact, later: PreparedContact): PreparedContact {
  const tags = mergedTags(earlier.tags, later.tags);
  const phone = later.phone ?? earlier.phone;
  const wecomUserId = later.wecomUserId ?? earlier.wecomUserId;
  const consent = later.consent && earlier.consent ? consentList([...earlier.consent, ...later.consent]) : (later.consent ?? earlier.consent);
  return {
    ...later,
    name: later.name || earlier.name,
    attributes: { ...earlier.attributes, ...later.attributes },
    ...(tags ? { tags } : {}),
    ...(phone ? { phone } : {}),
    ...(wecomUserId ? { wecomUserId } : {}),
    ...(consent ? { consent } : {}),
  };
}

/**
 * The planner needs to know a big import happened: without fresh statistics it takes a pool of
 * 900,000 for a few thousand and reads it all (seconds instead of milliseconds). Autovacuum may
 * be off or late, and PGlite never runs it, so a large import analyzes its tables itself.
 */
export async function refreshStatistics(db: Executor, rowsAdded: number) {
  if (rowsAdded >= STATISTICS_THRESHOLD) await db.execute(sql`analyze contacts, pool_members`);
}

export { STATISTICS_THRESHOLD };
