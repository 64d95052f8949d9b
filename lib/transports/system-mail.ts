import crypto from "node:crypto";
import nodemailer from "nodemailer";
import type { Executor } from "@/db/client";
import { outboxMessages } from "@/db/schema";
import { readEnv } from "@/lib/config/env";

export type SystemMessage = { departmentId: string | null; kind: string; to: string; subject: string; text: string; html: string };

export function publicBaseUrl(): string {
  return readEnv().publicUrl ?? `http://localhost:${process.env.PORT ?? "3000"}`;
}

function systemSender(): string {
  const host = new URL(publicBaseUrl()).hostname;
  return process.env.FANOUT_SYSTEM_FROM ?? `no-reply@${host.includes(".") ? host : "fanout.localhost"}`;
}

/**
 * Messages Fanout sends on its own behalf (subscription confirmations): through SMTP_URL when
 * set, otherwise into the outbox table, where the console can show them.
 */
export async function sendSystemMessage(db: Executor, message: SystemMessage): Promise<{ messageId: string; via: "smtp" | "outbox" }> {
  const from = systemSender();
  const messageId = `<${crypto.randomUUID()}@${from.split("@")[1]}>`;
  const mail = { from, to: message.to, subject: message.subject, text: message.text, html: message.html, messageId };
  const smtpUrl = process.env.SMTP_URL;
  if (smtpUrl) {
    const transport = nodemailer.createTransport(smtpUrl);
    try {
      await transport.sendMail(mail);
    } finally {
      transport.close();
    }
    return { messageId, via: "smtp" };
  }
  const built = await nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" }).sendMail(mail);
  await db.insert(outboxMessages).values({
    departmentId: message.departmentId,
    kind: message.kind,
    fromAddress: from,
    toAddress: message.to,
    subject: message.subject,
    messageId,
    mime: (built.message as Buffer).toString("utf8"),
  });
  return { messageId, via: "outbox" };
}
