import "server-only";
import type { Executor } from "@/db/client";
import { sendSystemMessage } from "@/lib/transports/system-mail";

export type ForwardedReply = { departmentId: string; to: string; recipient: string; subject: string; text: string; raw: Buffer; replyTo?: string };

/**
 * Sends a recorded reply on to the task's mailbox: a message from Fanout's system address (the
 * replier's own domain would fail DMARC from here) whose Reply-To is the person who replied, with
 * their text inline and the reply as received attached (message/rfc822), so nothing of it is lost.
 */
export async function forwardReply(db: Executor, reply: ForwardedReply): Promise<void> {
  const subject = reply.subject ? `Fwd: ${reply.subject}` : `Fwd: reply from ${reply.recipient}`;
  const intro = `Reply from ${reply.recipient} / 来自 ${reply.recipient} 的回复`;
  await sendSystemMessage(db, {
    departmentId: reply.departmentId,
    kind: "reply-forward",
    to: reply.to,
    subject,
    text: `${intro}\n\n${reply.text}`,
    html: "",
    ...(reply.replyTo ? { replyTo: reply.replyTo } : {}),
    attachments: [{ filename: "reply.eml", contentType: "message/rfc822", content: reply.raw }],
  });
}
