import "server-only";
import crypto from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { queryRows, type Executor } from "@/db/client";
import { toArray } from "@/db/sql";
import { messages, senders, suppressions, tasks, templates, templateVersions, type MessageAnswer, type MessageRecipientData } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, resolveTargetDepartment } from "@/lib/access/policy";
import { reserveQuota } from "@/lib/accounts/quota";
import { suppressedAmong, withErasedKeys } from "@/lib/addresses/erased";
import { addressProblemInEnglish, normalizeAddress } from "@/lib/addresses/normalize";
import { IDEMPOTENCY_KEY, type SendMessageRequest } from "@/lib/api/schemas/messages";
import { recordAudit } from "@/lib/audit/record";
import { readEnv } from "@/lib/config/env";
import { AppError, conflict, invalidInput } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { notifyEngine } from "@/lib/dispatch/task-changes";
import { checkTemplateData } from "@/lib/templates/data-check";
import { checkContent } from "@/lib/templates/store";
import { oneLine } from "@/lib/templates/render";

/*
 * POST /api/v1/messages: one message to one recipient or up to 100, each with their own data, sent
 * by the engine in its priority lane. Accepting writes, in one transaction, a task of kind `message`
 * (its template version frozen, or no template and the inline content in `messages`), one delivery
 * per recipient (suppressed ones as such), the `messages` row with the answer, the quota
 * reservation and the operation-log row; the engine is told after the commit. A crash after the
 * commit loses nothing (the engine finds the task), one before it leaves nothing.
 *
 * An Idempotency-Key makes a repeat harmless: the `messages` row holds it under a unique index
 * (scope, key), inserted in that same transaction, so two requests with one key at once make one
 * task (the second waits for the first's commit, then finds its row and answers what the first
 * answered, or 409 if it asked for something else). A key is free again 24 hours after its use.
 */

/** How long an Idempotency-Key holds its first answer. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;
/** sendAt at most this far ahead. */
const SEND_AT_MAX_DAYS = 30;

export type MessageOutcome = { answer: MessageAnswer; taskId: string; replayed: boolean };

/** `data`: what the recipient's render sees (the request's data under its own); `own`: its own, as stored. */
type Recipient = { email: string; name: string; data: Record<string, unknown>; own?: Record<string, unknown> };
type Content = { templateId: string | null; version: number; subject: string; html: string; text: string | null; inline: boolean };

export async function sendMessage(ctx: Ctx, input: SendMessageRequest, idempotencyKey?: string | null): Promise<MessageOutcome> {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "tasks.manage", { departmentId });
  const key = idempotencyKey ?? null;
  if (key !== null && !IDEMPOTENCY_KEY.test(key)) throw invalidInput("idempotencyKeyInvalid", { field: "Idempotency-Key" });
  const scope = ctx.actor.departmentId ?? "company";
  const requestHash = hashRequest({ ...input, departmentId });

  // A repeat is answered from the record before anything else is checked: its answer must not depend on the template still being usable.
  if (key !== null) {
    const prior = await priorUse(ctx.db, scope, key);
    if (prior) return replay(prior, requestHash);
  }

  const content = await resolveContent(ctx, input, departmentId);
  const sender = await resolveSender(ctx, input.senderId, departmentId);
  const fromName = (input.fromName ?? "").trim();
  if (/[\r\n]/.test(fromName)) throw invalidInput("fromNameInvalid", { field: "fromName" });
  const recipients = readRecipients(input);
  const scheduledAt = input.sendAt ? new Date(input.sendAt) : new Date();
  if (scheduledAt.getTime() > Date.now() + SEND_AT_MAX_DAYS * 86_400_000) throw invalidInput("messageSendAtTooFar", { field: "sendAt" });
  checkRecipientData(content, recipients, { senderName: fromName || sender.name, senderAddress: sender.address }, typeof input.to === "string");

  const suppressed = await suppressedAddresses(ctx.db, departmentId, recipients, input.transactional === true);
  const { batchSize } = readEnv().sending;
  const taskId = crypto.randomUUID();
  const queuedCount = recipients.filter((recipient) => !suppressed.has(recipient.email)).length;

  let outcome: MessageOutcome | "key_taken";
  try {
    outcome = await ctx.db.transaction(async (tx) => {
      if (key !== null) await freeExpiredKey(tx, scope, key);
      await tx.insert(tasks).values({
        id: taskId,
        departmentId,
        name: oneLine(content.subject).slice(0, 200) || "(no subject)",
        kind: "message",
        templateId: content.templateId,
        templateVersion: content.version,
        poolIds: null,
        senderId: sender.id,
        fromName,
        tracking: input.tracking ?? true,
        status: "scheduled",
        scheduledAt,
        materializeCursor: null,
        total: recipients.length,
        queued: queuedCount,
        suppressed: recipients.length - queuedCount,
        reserved: queuedCount,
        createdBy: ctx.actor.label,
        clientIp: ctx.actor.ip ?? "",
      });
      const claimed = await tx
        .insert(messages)
        .values({
          taskId,
          departmentId,
          ...(content.inline ? { subject: content.subject, html: content.html, text: content.text } : {}),
          data: input.data ?? {},
          recipients: Object.fromEntries(recipients.map((recipient): [string, MessageRecipientData] => [recipient.email, { ...(recipient.name ? { name: recipient.name } : {}), ...(recipient.own ? { data: recipient.own } : {}) }])),
          transactional: input.transactional === true,
          idempotencyScope: key === null ? null : scope,
          idempotencyKey: key,
          requestHash,
          answer: { deliveries: [] },
        })
        .onConflictDoNothing({ target: [messages.idempotencyScope, messages.idempotencyKey], where: sql`${messages.idempotencyKey} is not null` })
        .returning({ taskId: messages.taskId });
      if (claimed.length === 0) throw KEY_TAKEN;

      let queuedSoFar = 0;
      const rows = recipients.map((recipient) => {
        const isSuppressed = suppressed.has(recipient.email);
        const batchNo = isSuppressed ? -1 : Math.floor(queuedSoFar++ / batchSize);
        return { email: recipient.email, status: isSuppressed ? "suppressed" : "queued", batchNo, error: isSuppressed ? `Suppressed (${suppressed.get(recipient.email)!.replace("_", " ")}) when accepted` : "" };
      });
      const inserted = await queryRows<{ id: string | number; email: string; status: string }>(
        tx,
        sql`insert into deliveries (task_id, department_id, contact_id, email, status, batch_no, error)
            select ${taskId}, ${departmentId}, null, r.email, r.status, r.batch_no, nullif(r.error, '')
            from unnest(${toArray(rows.map((row) => row.email))}::text[], ${toArray(rows.map((row) => row.status))}::text[],
                        ${toArray(rows.map((row) => row.batchNo))}::int[], ${toArray(rows.map((row) => row.error))}::text[]) with ordinality as r(email, status, batch_no, error, ord)
            order by r.ord
            returning id, email, status`,
      );
      const byEmail = new Map(inserted.map((row) => [row.email, row]));
      const answer: MessageAnswer = {
        deliveries: recipients.map((recipient) => {
          const row = byEmail.get(recipient.email)!;
          return { id: String(row.id), email: row.email, status: row.status };
        }),
      };
      await tx.update(messages).set({ answer }).where(eq(messages.taskId, taskId));
      await reserveQuota(tx, departmentId, queuedCount);
      await recordAudit(tx, ctx.actor, {
        action: "message.send",
        objectType: "task",
        objectId: taskId,
        departmentId,
        summary: { key: "message.send", params: { recipients: recipients.length } },
      });
      return { answer, taskId, replayed: false };
    });
  } catch (error) {
    if (error !== KEY_TAKEN) throw error;
    outcome = "key_taken";
  }
  if (outcome === "key_taken") {
    const prior = await priorUse(ctx.db, scope, key!);
    if (!prior) throw new AppError("conflict", "idempotencyKeyReused");
    return replay(prior, requestHash);
  }
  await notifyEngine("message", { id: taskId, scheduledAt });
  return outcome;
}

const KEY_TAKEN = new Error("idempotency key taken");

type Prior = { taskId: string; requestHash: string; answer: MessageAnswer };

/** The use of a key within the last 24 hours, if any. */
async function priorUse(db: Executor, scope: string, key: string): Promise<Prior | undefined> {
  const [row] = await db
    .select({ taskId: messages.taskId, requestHash: messages.requestHash, answer: messages.answer })
    .from(messages)
    .where(
      and(eq(messages.idempotencyScope, scope), eq(messages.idempotencyKey, key), sql`${messages.createdAt} > now() - ${IDEMPOTENCY_WINDOW_HOURS} * interval '1 hour'`),
    );
  return row;
}

/** A key older than the window is given up by its message, so this request may take it. */
async function freeExpiredKey(tx: Executor, scope: string, key: string) {
  await tx
    .update(messages)
    .set({ idempotencyKey: null, idempotencyScope: null })
    .where(
      and(eq(messages.idempotencyScope, scope), eq(messages.idempotencyKey, key), sql`${messages.createdAt} <= now() - ${IDEMPOTENCY_WINDOW_HOURS} * interval '1 hour'`),
    );
}

function replay(prior: Prior, requestHash: string): MessageOutcome {
  if (prior.requestHash !== requestHash) throw conflict("idempotencyKeyReused", { field: "Idempotency-Key" });
  return { answer: prior.answer, taskId: prior.taskId, replayed: true };
}

/** SHA-256 of the request as parsed, keys sorted: the same request however its JSON was spaced or ordered. */
function hashRequest(value: unknown): string {
  return crypto.createHash("sha256").update(canonicalJson(value)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The department's template (its current version, which must lint clean) or the inline content; another department's template is not found. */
async function resolveContent(ctx: Ctx, input: SendMessageRequest, departmentId: string): Promise<Content> {
  const inline = input.subject !== undefined || input.html !== undefined || input.text !== undefined;
  if (input.templateId !== undefined && inline) throw invalidInput("messageContentTwice", { field: "templateId" });
  if (input.templateId === undefined) {
    if (!input.subject?.trim() || !input.html?.trim()) throw invalidInput("messageContentMissing", { field: input.subject?.trim() ? "html" : "subject" });
    const content = { subject: input.subject, html: input.html, text: input.text?.trim() ? input.text : null };
    checkContent(content);
    return { templateId: null, version: 0, ...content, inline: true };
  }
  const id = input.templateId;
  if (!isUuid(id)) throw notFoundAt("template", "templateId");
  const [row] = await ctx.db
    .select({ id: templates.id, version: templates.currentVersion, subject: templateVersions.subject, html: templateVersions.html, text: templateVersions.text })
    .from(templates)
    .innerJoin(templateVersions, and(eq(templateVersions.templateId, templates.id), eq(templateVersions.version, templates.currentVersion)))
    .where(and(eq(templates.id, id), eq(templates.departmentId, departmentId)));
  if (!row) throw notFoundAt("template", "templateId");
  checkContent(row);
  return { templateId: row.id, version: row.version, subject: row.subject, html: row.html, text: row.text, inline: false };
}

async function resolveSender(ctx: Ctx, id: string, departmentId: string) {
  if (!isUuid(id)) throw notFoundAt("sender", "senderId");
  const [row] = await ctx.db
    .select({ id: senders.id, address: senders.address, name: senders.name })
    .from(senders)
    .where(and(eq(senders.id, id), eq(senders.departmentId, departmentId)));
  if (!row) throw notFoundAt("sender", "senderId");
  return row;
}

function notFoundAt(what: "template" | "sender", field: string) {
  return new AppError("not_found", "notFound", { params: { what }, field });
}

/** The recipients as normalised addresses, each bad or repeated one named by its index. */
function readRecipients(input: SendMessageRequest): Recipient[] {
  const given = typeof input.to === "string" ? [{ email: input.to }] : input.to;
  const seen = new Map<string, number>();
  return given.map((recipient, index) => {
    const field = typeof input.to === "string" ? "to" : `to.${index}.email`;
    const check = normalizeAddress(recipient.email);
    if (!check.ok) throw invalidInput("messageRecipientInvalid", { field, params: { index, address: recipient.email.slice(0, 320), problem: addressProblemInEnglish(check) } });
    const first = seen.get(check.email);
    if (first !== undefined) throw invalidInput("messageRecipientTwice", { field, params: { index, address: check.email, first } });
    seen.set(check.email, index);
    const own = "data" in recipient ? recipient.data : undefined;
    return { email: check.email, name: oneLine("name" in recipient ? (recipient.name ?? "") : ""), data: { ...input.data, ...own }, ...(own ? { own } : {}) };
  });
}

/**
 * Renders the message for each recipient with strict variables: a variable the template uses that
 * the recipient's data lacks is refused (422) by name, as is a render that fails, before anything
 * is written. (When sent, the same data renders the same way.)
 */
function checkRecipientData(content: Content, recipients: Recipient[], sender: { senderName: string; senderAddress: string }, single: boolean) {
  recipients.forEach((recipient, index) => {
    const scope: Record<string, unknown> = {
      date: "2026-01-01",
      view_in_browser_url: "",
      ...recipient.data,
      sender_name: sender.senderName,
      sender_address: sender.senderAddress,
      unsubscribe_url: "https://example.invalid/u",
      name: recipient.name,
      email: recipient.email,
      attributes: recipient.data,
    };
    const problem = checkTemplateData(content, scope);
    if (!problem) return;
    const field = single ? "data" : `to.${index}.data`;
    const params = { index, address: recipient.email };
    if (problem.kind === "missing") throw new AppError("unprocessable", "messageDataMissing", { field, params: { ...params, variable: problem.variable }, details: { variable: problem.variable, part: problem.part } });
    throw new AppError("unprocessable", "messageRenderFailed", { field, params: { ...params, detail: problem.message }, details: { part: problem.part } });
  });
}

/**
 * The recipients on the department's suppression list, with the reason. With `transactional`, an
 * unsubscribe does not count (marketing consent), a hard bounce, complaint or manual entry does.
 */
async function suppressedAddresses(db: Executor, departmentId: string, recipients: Recipient[], transactional: boolean): Promise<Map<string, string>> {
  const rows = await db
    .select({ email: suppressions.email, reason: suppressions.reason })
    .from(suppressions)
    .where(and(eq(suppressions.departmentId, departmentId), inArray(suppressions.email, withErasedKeys(recipients.map((recipient) => recipient.email)))));
  // An erased address is suppressed by its key (lib/addresses/erased.ts), whatever `transactional` says.
  const stopping = rows.filter((row) => !(transactional && row.reason === "unsubscribed"));
  return suppressedAmong(recipients.map((recipient) => recipient.email), stopping);
}

