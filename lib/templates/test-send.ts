import "server-only";
import crypto from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import { suppressedAmong, withErasedKeys } from "@/lib/addresses/erased";
import { suppressions } from "@/db/schema";
import { admitTestSends } from "@/lib/accounts/mail-limits";
import { consumeQuota, releaseQuota, reserveQuota } from "@/lib/accounts/quota";
import { operatorId } from "@/lib/access/actor";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/access/context";
import { invalidInput } from "@/lib/errors";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { dkimKeyFor } from "@/lib/senders/domains";
import { loadSender } from "@/lib/senders/senders";
import { transportFromEnv } from "@/lib/transports";
import type { SendResult } from "@/lib/transports/types";
import { loadAttachments } from "./attachments";
import { buildMessage } from "./message";
import { loadTemplate, renderContent, sampleContact } from "./store";

export const MAX_TEST_RECIPIENTS = 10;

/**
 * Sends the current version to a few addresses through the configured transport; answers per
 * address. Suppressed addresses are skipped (and said so); the rest count against the
 * department's and the company's quota and the hourly test-send limits (lib/accounts/mail-limits.ts).
 */
export async function testSend(ctx: Ctx, input: { templateId: string; senderId: string; recipients: string; contactId?: number }) {
  const template = await loadTemplate(ctx, input.templateId);
  const sender = await loadSender(ctx, input.senderId);
  if (sender.departmentId !== template.departmentId) throw invalidInput("senderOfOtherDepartment", { field: "senderId" });
  const addresses = input.recipients.split(/[\s,;]+/).filter(Boolean);
  if (addresses.length === 0) throw invalidInput("testAddressMissing", { field: "recipients" });
  if (addresses.length > MAX_TEST_RECIPIENTS) throw invalidInput("tooManyTestAddresses", { field: "recipients", params: { max: MAX_TEST_RECIPIENTS } });
  const checked = addresses.map((address) => ({ address, check: normalizeAddress(address) }));
  const bad = checked.find((entry) => !entry.check.ok);
  if (bad && !bad.check.ok) throw invalidInput("invalidAddress", { field: "recipients", params: { ...bad.check.params, address: bad.address, problem: bad.check.reason } });
  const emails = [...new Set(checked.map(({ check }) => (check.ok ? check.email : "")))];
  // Suppression wins here too: a test message is still a message to that person.
  const suppressed = suppressedAmong(
    emails,
    await ctx.db
      .select({ email: suppressions.email, reason: suppressions.reason })
      .from(suppressions)
      .where(and(eq(suppressions.departmentId, template.departmentId), inArray(suppressions.email, withErasedKeys(emails)))),
  );
  const sendable = emails.filter((email) => !suppressed.has(email));
  const contact = await sampleContact(ctx, template.departmentId, input.contactId);
  const rendered = renderContent(template.content, contact, { sender_name: sender.name, sender_address: sender.address });
  const files = await loadAttachments(ctx.db, template.departmentId, template.content.attachmentIds);
  const dkim = await dkimKeyFor(ctx.db, sender.domainId);
  const messages = sendable.map((to) =>
    buildMessage({
      deliveryId: `test-${crypto.randomUUID()}`,
      to,
      from: { address: sender.address, name: sender.name || undefined },
      rendered: { ...rendered, subject: `[TEST] ${rendered.subject}` },
      attachments: files,
      dkim,
    }),
  );
  await ctx.db.transaction(async (tx) => {
    await admitTestSends(tx, { departmentId: template.departmentId, operatorId: operatorId(ctx.actor), emails: sendable });
    await reserveQuota(tx, template.departmentId, sendable.length);
  });
  const transport = transportFromEnv(ctx.db);
  let results: SendResult[] = [];
  try {
    if (messages.length > 0) results = await transport.sendBatch(messages);
    const skipped = [...suppressed.entries()].map(([to, reason]) => ({ to, ok: false, code: null, reply: `Skipped: the address is suppressed (${reason})`, skipped: reason }));
    return {
      transport: transport.name,
      results: [
        ...results.map((result, index) => ({
          to: messages[index]!.to,
          ok: result.ok,
          code: result.code ?? null,
          reply: result.ok ? (result.reply ?? result.providerId ?? "accepted") : result.reply,
          skipped: null,
        })),
        ...skipped,
      ],
    };
  } finally {
    // What went out is used; what was refused or never tried goes back, whatever happened.
    const accepted = results.filter((result) => result.ok).length;
    await ctx.db.transaction(async (tx) => {
      await consumeQuota(tx, template.departmentId, accepted);
      await releaseQuota(tx, template.departmentId, sendable.length - accepted);
      await recordAudit(tx, ctx.actor, {
        action: "template.test_send",
        objectType: "template",
        objectId: template.id,
        departmentId: template.departmentId,
        summary: {
          key: "template.testSend",
          params: {
            version: template.currentVersion,
            name: template.name,
            count: messages.length,
            transport: transport.name,
            accepted,
            suppressed: suppressed.size,
            suppressedList: [...suppressed.keys()].join(", "),
          },
          notes: [suppressed.size > 0 && "skippedSuppressed"],
        },
      });
    });
    await transport.close();
  }
}
