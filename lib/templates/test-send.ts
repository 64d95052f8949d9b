import crypto from "node:crypto";
import { recordAudit } from "@/lib/audit/record";
import type { Ctx } from "@/lib/context";
import { invalidInput } from "@/lib/errors";
import { normalizeAddress } from "@/lib/pools/validate";
import { dkimKeyFor } from "@/lib/senders/domains";
import { loadSender } from "@/lib/senders/senders";
import { transportFromEnv } from "@/lib/transports";
import { loadAttachments } from "./attachments";
import { buildMessage } from "./message";
import { loadTemplate, renderContent, sampleContact } from "./store";

export const MAX_TEST_RECIPIENTS = 10;

/** Sends the current version to a few addresses through the configured transport; answers per address. */
export async function testSend(ctx: Ctx, input: { templateId: string; senderId: string; recipients: string; contactId?: number }) {
  const template = await loadTemplate(ctx, input.templateId);
  const sender = await loadSender(ctx, input.senderId);
  if (sender.departmentId !== template.departmentId) throw invalidInput("The sender belongs to another department", { field: "senderId" });
  const addresses = input.recipients.split(/[\s,;]+/).filter(Boolean);
  if (addresses.length === 0) throw invalidInput("Give at least one address", { field: "recipients" });
  if (addresses.length > MAX_TEST_RECIPIENTS) throw invalidInput(`At most ${MAX_TEST_RECIPIENTS} test addresses`, { field: "recipients" });
  const checked = addresses.map((address) => ({ address, check: normalizeAddress(address) }));
  const bad = checked.find((entry) => !entry.check.ok);
  if (bad && !bad.check.ok) throw invalidInput(`${bad.address}: ${bad.check.reason}`, { field: "recipients" });
  const contact = await sampleContact(ctx, template.departmentId, input.contactId);
  const rendered = renderContent(template.content, contact, { sender_name: sender.name, sender_address: sender.address });
  const files = await loadAttachments(ctx.db, template.departmentId, template.content.attachmentIds);
  const dkim = await dkimKeyFor(ctx.db, sender.domainId);
  const messages = checked.map(({ check }) =>
    buildMessage({
      deliveryId: `test-${crypto.randomUUID()}`,
      to: check.ok ? check.email : "",
      from: { address: sender.address, name: sender.name || undefined },
      rendered: { ...rendered, subject: `[TEST] ${rendered.subject}` },
      attachments: files,
      dkim,
    }),
  );
  const transport = transportFromEnv(ctx.db);
  try {
    const results = await transport.sendBatch(messages);
    await recordAudit(ctx.db, ctx.actor, {
      action: "template.test_send",
      objectType: "template",
      objectId: template.id,
      departmentId: template.departmentId,
      summary: `Test-sent version ${template.currentVersion} of "${template.name}" to ${messages.length} address(es) via ${transport.name}: ${results.filter((result) => result.ok).length} accepted`,
    });
    return {
      transport: transport.name,
      results: results.map((result, index) => ({
        to: messages[index]!.to,
        ok: result.ok,
        code: result.code ?? null,
        reply: result.ok ? (result.reply ?? result.providerId ?? "accepted") : result.reply,
      })),
    };
  } finally {
    await transport.close();
  }
}
