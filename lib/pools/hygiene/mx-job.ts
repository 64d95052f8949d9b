/*
 * The MX check of an import, run in the background once its rows are in: the distinct domains of
 * the contacts it added to the pool are asked of DNS (MxChecker), and contacts on a domain that
 * takes no mail get the `no_mx` flag (one that DNS now answers for loses it). Only when the
 * importer asked for it; the resolver is node:dns/promises unless one was injected (tests).
 */
import "server-only";
import { Resolver } from "node:dns/promises";
import { and, eq, sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { imports } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { recordAudit } from "@/lib/audit/record";
import { readEnv } from "@/lib/config/env";
import { MxChecker, type MxResolver } from "./mx";
import { HYGIENE_EXAMPLES, readTally, type MxProgress } from "./tally";

const CLOCK_MARGIN_MS = 5_000;

let injected: MxResolver | null = null;
let checker: MxChecker | null = null;

/** Tests (and anyone who must not touch real DNS) give their resolver here; null goes back to DNS. */
export function useMxResolver(resolver: MxResolver | null) {
  injected = resolver;
  checker = null;
}

function mxChecker(): MxChecker {
  if (!checker) checker = new MxChecker({ resolver: injected ?? new Resolver({ timeout: 3_000, tries: 2 }) });
  return checker;
}

async function setMx(db: Executor, id: string, mx: Partial<MxProgress>) {
  await db
    .update(imports)
    .set({ hygiene: sql`jsonb_set(coalesce(${imports.hygiene}, '{}'::jsonb), '{mx}', coalesce(${imports.hygiene} -> 'mx', '{}'::jsonb) || ${JSON.stringify(mx)}::jsonb)` })
    .where(eq(imports.id, id));
}

/** DNS may be asked: FANOUT_MX_CHECK=true, or a resolver was given. */
export function mxCheckAvailable(): boolean {
  return injected !== null || readEnv().mxCheck;
}

/** Marks a completed import's check as waiting, when its importer asked for one and DNS may be asked. */
export async function queueMxCheck(db: Executor, id: string): Promise<boolean> {
  const [job] = await db.select({ options: imports.hygieneOptions }).from(imports).where(eq(imports.id, id));
  if (!job?.options.checkMx || !mxCheckAvailable()) return false;
  await setMx(db, id, { status: "pending" });
  return true;
}

/** Runs the check of one completed import (see the top of this file). */
export async function checkImportMx(db: Executor, id: string): Promise<void> {
  const [job] = await db.select().from(imports).where(eq(imports.id, id));
  if (!job || job.status !== "completed" || !job.hygieneOptions.checkMx || !job.startedAt || !mxCheckAvailable()) return;
  await setMx(db, id, { status: "running" });
  try {
    // The import's contacts: those it added to the pool (membership is dated by the database's
    // clock, the start by the app's: a few seconds' margin for a database on another host).
    const since = new Date(job.startedAt.getTime() - CLOCK_MARGIN_MS).toISOString();
    const added = sql`from pool_members m join contacts c on c.id = m.contact_id
      where m.pool_id = ${job.poolId}::uuid and m.added_at >= ${since}::timestamptz and c.department_id = ${job.departmentId}::uuid`;
    const domains = await queryRows<{ domain: string }>(db, sql`select distinct split_part(c.email, '@', 2) as domain ${added}`);
    const verdicts = await mxChecker().checkAll(domains.map((row) => row.domain));
    const noMail = [...verdicts].filter(([, verdict]) => verdict === "no_mail").map(([domain]) => domain);
    const mail = [...verdicts].filter(([, verdict]) => verdict === "mail").map(([domain]) => domain);
    const unknown = verdicts.size - noMail.length - mail.length;
    await db.transaction(async (tx) => {
      const inDomains = (list: string[]) => sql`split_part(c.email, '@', 2) in (select jsonb_array_elements_text(${JSON.stringify(list)}::jsonb))`;
      if (noMail.length > 0) {
        await tx.execute(sql`update contacts set hygiene = array_append(hygiene, 'no_mx')
          where id in (select c.id ${added} and ${inDomains(noMail)}) and not ('no_mx' = any(hygiene))`);
      }
      if (mail.length > 0) {
        await tx.execute(sql`update contacts set hygiene = array_remove(hygiene, 'no_mx')
          where id in (select c.id ${added} and ${inDomains(mail)}) and 'no_mx' = any(hygiene)`);
      }
      const [counted] = noMail.length > 0 ? await queryRows<{ count: number }>(tx, sql`select count(*)::int as count ${added} and ${inDomains(noMail)}`) : [{ count: 0 }];
      const examples = noMail.length > 0
        ? await queryRows<{ email: string }>(tx, sql`select c.email ${added} and ${inDomains(noMail)} order by c.email limit ${HYGIENE_EXAMPLES}`)
        : [];
      const tally = readTally((await tx.select({ hygiene: imports.hygiene }).from(imports).where(eq(imports.id, id)))[0]?.hygiene);
      tally.flagged.no_mx = counted!.count;
      tally.examples.no_mx = examples.map((row) => ({ line: null, email: row.email }));
      tally.mx = { status: "done", domains: verdicts.size, noMail: noMail.length, unknown };
      await tx.update(imports).set({ hygiene: tally }).where(eq(imports.id, id));
      await recordAudit(tx, systemActor("mx check"), {
        action: "pool.import",
        objectType: "pool",
        objectId: job.poolId,
        departmentId: job.departmentId,
        summary: { key: "pool.importMxChecked", params: { file: job.fileName, domains: verdicts.size, noMail: noMail.length, flagged: counted!.count, unknown } },
        details: { importId: id, noMail: noMail.slice(0, 100) },
      });
    });
  } catch (error) {
    console.error("[fanout] mx check", id, error);
    await setMx(db, id, { status: "failed" });
  }
}

/** Restarts the MX checks a stopped process left waiting or half done (they change nothing until they finish). */
export async function resumeMxChecks(db: Executor): Promise<void> {
  const unchecked = await db
    .select({ id: imports.id })
    .from(imports)
    .where(and(eq(imports.status, "completed"), sql`${imports.hygiene} -> 'mx' ->> 'status' in ('pending', 'running')`));
  for (const job of unchecked) checkImportMx(db, job.id).catch((error) => console.error("[fanout] mx check", job.id, error));
}
