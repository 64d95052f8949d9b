import "server-only";
import crypto from "node:crypto";
import type { Executor } from "@/db/client";
import { outboxMessages } from "@/db/schema";
import { buildMime } from "./mime";
import type { SendResult, Transport } from "./types";

/**
 * "Sends" by storing each message's complete MIME in `outbox_messages` (kind "delivery"), where
 * the console shows it: the embedded mode's transport when no relay or provider is configured.
 * A batch is one INSERT, so it is stored entirely or not at all; the result's providerId is the
 * row id.
 */
export function createOutboxTransport(db: Executor): Transport {
  return {
    name: "outbox",
    maxBatch: 100,
    target: "outbox_messages table",
    async sendBatch(messages, options) {
      const results: SendResult[] = new Array(messages.length);
      const rows: (typeof outboxMessages.$inferInsert)[] = [];
      const stored: number[] = [];
      for (const [index, message] of messages.entries()) {
        if (options?.signal?.aborted) {
          results[index] = { id: message.id, ok: false, retry: true, reply: "not stored: the batch was aborted" };
          continue;
        }
        try {
          const mime = await buildMime(message);
          const id = crypto.randomUUID();
          rows.push({
            id,
            departmentId: message.departmentId ?? null,
            kind: message.kind ?? "delivery",
            fromAddress: message.from.address,
            toAddress: message.to,
            subject: message.subject,
            messageId: message.messageId,
            mime: mime.toString("utf8"),
          });
          stored.push(index);
          results[index] = { id: message.id, ok: true, providerId: id };
        } catch (error) {
          // The message itself cannot be composed (a bad address or attachment): trying again changes nothing.
          results[index] = { id: message.id, ok: false, retry: false, reply: `could not compose the message: ${(error as Error).message}` };
        }
      }
      if (rows.length === 0) return results;
      try {
        await db.insert(outboxMessages).values(rows);
      } catch (error) {
        for (const index of stored) {
          results[index] = { id: messages[index]!.id, ok: false, retry: true, reply: `could not store the message: ${(error as Error).message}` };
        }
      }
      return results;
    },
    async close() {},
  };
}
