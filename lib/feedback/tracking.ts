import "server-only";
import { sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import type { DeliveryStatus } from "@/db/schema";
import { lockDelivery, recordEvent, type LockedDelivery } from "@/lib/deliveries/record";
import { addToRollup } from "@/lib/deliveries/rollups";
import { classifyClick, classifyOpen, type MachineVerdict } from "./machine";
import { enrolOnEvent } from "@/lib/triggers/enrol";

/**
 * Open and click tracking: what a fetch of a delivery's open pixel or a click through one of its
 * links records. The links and their tokens are made and read in lib/tokens/delivery-links.ts.
 */
/** `readReceipt`: a provider said a person read the message (WhatsApp), so no machine verdict applies. */
export type Visit = { at?: Date; userAgent?: string | null; ip?: string | null; readReceipt?: { channel: string } };

export type VisitOutcome = { recorded: false } | { recorded: true; machine: boolean; first: boolean };

/** Only messages that went out count: a token of a failed or unsent delivery records nothing. */
const COUNTED: ReadonlySet<DeliveryStatus> = new Set(["sent", "delivered"]);

/**
 * One fetch of the open pixel. A person's open adds to `open_count`; the first one sets
 * `first_open_at` and counts once in `tasks.opened` and the day's `opened`. A machine's open adds
 * to `machine_open_count`, and its first one to the day's `machine_opened` (the rollup counts
 * deliveries a machine opened, as `opened` counts deliveries a person opened).
 */
export async function recordOpen(db: Executor, deliveryId: number, visit: Visit = {}): Promise<VisitOutcome> {
  return db.transaction(async (tx) => {
    const delivery = await lockDelivery(tx, deliveryId);
    if (!delivery || !COUNTED.has(delivery.status)) return { recorded: false as const };
    const at = visit.at ?? new Date();
    const verdict = visit.readReceipt ? { machine: false as const } : classifyOpen({ userAgent: visit.userAgent, at, sentAt: delivery.sentAt });
    let first: boolean;
    if (verdict.machine) {
      first = await countMachine(tx, delivery, "machine_open_count");
      if (first) await addToRollup(tx, delivery, { machine_opened: 1 }, at);
    } else {
      first = delivery.firstOpenAt === null;
      await tx.execute(sql`update deliveries set open_count = open_count + 1, first_open_at = coalesce(first_open_at, ${at.toISOString()}::timestamptz) where id = ${delivery.id}`);
      if (first) {
        await tx.execute(sql`update tasks set opened = opened + 1 where id = ${delivery.taskId}`);
        await addToRollup(tx, delivery, { opened: 1 }, at);
        await noteEngagement(tx, delivery, { opened: true, clicked: false }, at);
      }
    }
    const source = visit.readReceipt ? ("channel" as const) : ("tracking" as const);
    const detail = visit.readReceipt ? { readReceipt: visit.readReceipt.channel } : detailOf(visit, verdict);
    await recordEvent(tx, delivery, { type: "opened", source, machine: verdict.machine, detail, occurredAt: at });
    return { recorded: true as const, machine: verdict.machine, first };
  });
}

/**
 * One click through a tracked link. A person's click adds to `click_count`; the first one sets
 * `first_click_at` and counts once in `tasks.clicked` and the day's `clicked`, and when no open was
 * seen (images blocked) it is the first open too. `task_links` counts every click of the URL, the
 * deliveries whose person clicked it (`unique_clicks`, from the trail) and machine clicks apart.
 */
export async function recordClick(db: Executor, deliveryId: number, url: string, visit: Visit = {}): Promise<VisitOutcome> {
  return db.transaction(async (tx) => {
    const delivery = await lockDelivery(tx, deliveryId);
    if (!delivery || !COUNTED.has(delivery.status)) return { recorded: false as const };
    const at = visit.at ?? new Date();
    const verdict = classifyClick({ userAgent: visit.userAgent, at, sentAt: delivery.sentAt });
    const detail = detailOf(visit, verdict, url);
    let first: boolean;
    if (verdict.machine) {
      first = await countMachine(tx, delivery, "machine_click_count");
      if (first) await addToRollup(tx, delivery, { machine_clicked: 1 }, at);
      await countLink(tx, delivery.taskId, url, { machine: 1 });
    } else {
      first = delivery.firstClickAt === null;
      const impliedOpen = delivery.firstOpenAt === null;
      const stamp = at.toISOString();
      await tx.execute(sql`
        update deliveries set click_count = click_count + 1, first_click_at = coalesce(first_click_at, ${stamp}::timestamptz),
          open_count = open_count + ${impliedOpen ? 1 : 0}, first_open_at = coalesce(first_open_at, ${stamp}::timestamptz)
        where id = ${delivery.id}`);
      if (first || impliedOpen) {
        await tx.execute(sql`update tasks set opened = opened + ${impliedOpen ? 1 : 0}, clicked = clicked + ${first ? 1 : 0} where id = ${delivery.taskId}`);
        await addToRollup(tx, delivery, { opened: impliedOpen ? 1 : 0, clicked: first ? 1 : 0 }, at);
        await noteEngagement(tx, delivery, { opened: impliedOpen, clicked: first }, at);
      }
      // A person's first click on the task's message starts the automations waiting for it.
      if (first && delivery.contactId !== null) {
        await enrolOnEvent(tx, delivery.departmentId, { type: "clicked", taskId: delivery.taskId }, sql`select ${delivery.contactId}::bigint as contact_id`, at);
      }
      if (impliedOpen) {
        await recordEvent(tx, delivery, { type: "opened", source: "tracking", detail: { ...detailOf(visit, verdict), inferredFrom: "click" }, occurredAt: at });
      }
      const [earlier] = await queryRows(
        tx,
        sql`select 1 from delivery_events where delivery_id = ${delivery.id} and type = 'clicked' and not machine and detail->>'url' = ${url} limit 1`,
      );
      await countLink(tx, delivery.taskId, url, { human: 1, unique: earlier ? 0 : 1 });
    }
    await recordEvent(tx, delivery, { type: "clicked", source: "tracking", machine: verdict.machine, detail, occurredAt: at });
    return { recorded: true as const, machine: verdict.machine, first };
  });
}

/**
 * Moves the contact's newest first open / first click (contacts.latest_open_at, latest_click_at)
 * as a delivery gets its first one by a person: segments read them (0078). A delivery without a
 * contact (an API message, an SMTP submission, a redacted one) has nobody to note.
 */
async function noteEngagement(tx: Executor, delivery: LockedDelivery, what: { opened: boolean; clicked: boolean }, at: Date) {
  if (delivery.contactId === null) return;
  const stamp = sql`${at.toISOString()}::timestamptz`;
  await tx.execute(sql`
    update contacts set latest_open_at = ${what.opened ? sql`greatest(latest_open_at, ${stamp})` : sql`latest_open_at`},
                        latest_click_at = ${what.clicked ? sql`greatest(latest_click_at, ${stamp})` : sql`latest_click_at`}
    where id = ${delivery.contactId}`);
}

/** Adds a machine visit to the delivery; true when it is the first of its kind. */
async function countMachine(tx: Executor, delivery: LockedDelivery, column: "machine_open_count" | "machine_click_count"): Promise<boolean> {
  const [row] = await queryRows<{ count: number }>(tx, sql`update deliveries set ${sql.raw(`${column} = ${column} + 1`)} where id = ${delivery.id} returning ${sql.raw(column)} as count`);
  return Number(row?.count) === 1;
}

async function countLink(tx: Executor, taskId: string, url: string, counts: { human?: number; unique?: number; machine?: number }) {
  const human = counts.human ?? 0;
  const unique = counts.unique ?? 0;
  const machine = counts.machine ?? 0;
  await tx.execute(sql`
    insert into task_links (task_id, url, clicks, unique_clicks, machine_clicks) values (${taskId}, ${url}, ${human}, ${unique}, ${machine})
    on conflict (task_id, url) do update set clicks = task_links.clicks + excluded.clicks,
      unique_clicks = task_links.unique_clicks + excluded.unique_clicks, machine_clicks = task_links.machine_clicks + excluded.machine_clicks`);
}

const MAX_AGENT_LENGTH = 512;

function detailOf(visit: Visit, verdict: MachineVerdict, url?: string): Record<string, unknown> {
  return {
    ...(url !== undefined ? { url } : {}),
    userAgent: (visit.userAgent ?? "").slice(0, MAX_AGENT_LENGTH),
    ip: visit.ip ?? "",
    ...(verdict.reason ? { machineReason: verdict.reason } : {}),
  };
}
