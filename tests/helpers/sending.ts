import { eq } from "drizzle-orm";
import type { Database } from "@/db/client";
import { senderDomains } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { addContacts } from "@/lib/pools/contacts";
import { createPool } from "@/lib/pools/pools";
import { sendingConfig, type SendingConfig } from "@/lib/sending/config";
import type { TaskInput } from "@/lib/sending/tasks";
import { addDomain } from "@/lib/senders/domains";
import { createSender } from "@/lib/senders/senders";
import { createTemplate } from "@/lib/templates/store";
import { LocalRunner } from "@/lib/sending/runner";
import { createSmtpTransport } from "@/lib/transports";
import { makeDepartment, unique } from "./factories";

export const PERSONAL_TEMPLATE = {
  subject: "Hello {{ name }}",
  html: '<p>Dear {{ name }} from {{ attributes.city }},</p><p><a href="https://example.com/offer">See the offer</a></p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
};

/** Engine settings for tests: no waiting between retries unless asked, small batches. */
export function testSendingConfig(overrides: Partial<SendingConfig> = {}): SendingConfig {
  return { ...sendingConfig({}), batchSize: 10, retryBaseMs: 0, leaseMs: 60_000, tickMs: 50, ...overrides };
}

export type SendingSetup = {
  ctx: Ctx;
  departmentId: string;
  poolId: string;
  templateId: string;
  senderId: string;
  emails: string[];
};

/**
 * A department with a pool of `count` contacts (recipient-0@…, or the given addresses), a
 * personalised template and a sender on its own domain, made the way the console makes them.
 */
export async function makeSendingSetup(db: Database, options: { count?: number; emails?: string[]; quota?: number | null; domain?: string } = {}): Promise<SendingSetup> {
  const ctx: Ctx = { db, actor: systemActor("test") };
  const department = await makeDepartment(db, { quota: options.quota ?? null });
  const tag = unique("t");
  const emails = options.emails ?? Array.from({ length: options.count ?? 20 }, (_, index) => `recipient-${index}.${tag}@example.net`);
  const pool = await createPool(ctx, { name: unique("pool"), departmentId: department.id });
  for (let start = 0; start < emails.length; start += 10_000) {
    await addContacts(
      ctx,
      pool.id,
      emails.slice(start, start + 10_000).map((email, index) => ({ email, name: `Person ${start + index}`, attributes: { city: index % 2 ? "上海" : "Berlin" } })),
    );
  }
  const template = await createTemplate(ctx, { name: unique("template"), departmentId: department.id, ...PERSONAL_TEMPLATE });
  const domain = await addVerifiedDomain(ctx, options.domain ?? `${tag}.example.org`, department.id);
  const sender = await createSender(ctx, { departmentId: department.id, address: `news@${domain.domain}`, name: "Fanout News" });
  return { ctx, departmentId: department.id, poolId: pool.id, templateId: template.id, senderId: sender.id, emails };
}

/**
 * A domain added as the caller adds it, then marked verified as a passing DNS check would: new
 * installations require verified domains before a sender may use one.
 */
export async function addVerifiedDomain(ctx: Ctx, name: string, departmentId: string | null): Promise<{ id: string; domain: string }> {
  const domain = await addDomain(ctx, { domain: name, departmentId });
  await ctx.db.update(senderDomains).set({ status: "verified", checkedAt: new Date() }).where(eq(senderDomains.id, domain.id));
  return { id: domain.id, domain: domain.domain };
}

/** A task for the whole pool of a setup, sent now unless said otherwise. */
export function taskInput(setup: SendingSetup, overrides: Partial<TaskInput> = {}): TaskInput {
  return { name: unique("task"), templateId: setup.templateId, poolIds: [setup.poolId], senderId: setup.senderId, departmentId: setup.departmentId, ...overrides };
}

/** Sends everything due through the SMTP server at `smtpUrl` with a local runner of its own, stopped after. */
export async function sendAllDue(db: Database, smtpUrl: string, options: { timeoutMs?: number } = {}): Promise<void> {
  const engine = new LocalRunner(db, { transport: createSmtpTransport({ url: smtpUrl }), config: testSendingConfig({ batchSize: 100 }), log: () => undefined });
  try {
    await engine.drain(options);
  } finally {
    await engine.stop();
  }
}

/** A person's browser (an open or click an hour after the send is taken for a person's, not a prefetcher's or scanner's). */
export const PERSON_VISIT = { userAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36" };
