import "server-only";
import crypto from "node:crypto";
import type { Executor } from "@/db/client";
import { readEnv } from "@/lib/config/env";
import { transportFromEnv } from "./index";

export type SystemMessage = {
  departmentId: string | null;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  replyTo?: string;
  attachments?: { filename: string; contentType: string; content: Buffer }[];
};

export function publicBaseUrl(): string {
  const env = readEnv();
  return env.publicUrl ?? `http://localhost:${env.port}`;
}

function systemSender(): string {
  const host = new URL(publicBaseUrl()).hostname;
  return readEnv().mail.systemFrom ?? `no-reply@${host.includes(".") ? host : "fanout.localhost"}`;
}

/**
 * Messages Fanout sends on its own behalf (subscription confirmations), through the configured
 * transport like any other: Resend, SMTP_URL, or the outbox the console shows.
 */
export async function sendSystemMessage(db: Executor, message: SystemMessage): Promise<{ messageId: string; via: string }> {
  const from = systemSender();
  const messageId = `<${crypto.randomUUID()}@${from.split("@")[1]}>`;
  const transport = transportFromEnv(db);
  try {
    const [result] = await transport.sendBatch([
      {
        id: `system-${crypto.randomUUID()}`,
        kind: message.kind,
        departmentId: message.departmentId ?? undefined,
        from: { address: from },
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        ...(message.replyTo ? { replyTo: message.replyTo } : {}),
        ...(message.attachments ? { attachments: message.attachments } : {}),
        messageId,
        headers: {},
      },
    ]);
    if (!result?.ok) throw new Error(`The ${message.kind} message to ${message.to} was not sent: ${result?.reply ?? "no answer"}`);
    return { messageId, via: transport.name };
  } finally {
    await transport.close();
  }
}
