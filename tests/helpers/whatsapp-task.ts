import crypto from "node:crypto";
import type { Database } from "@/db/client";
import type { ContactChannel } from "@/db/schema";
import { addContacts } from "@/lib/pools/contacts";
import type { TaskInput } from "@/lib/sending/tasks";
import { createTemplate } from "@/lib/templates/store";
import { makeSendingSetup, type SendingSetup } from "./sending";
import { unique } from "./factories";

/** The fake Meta account, and the environment that points the server's WhatsApp channel at it. */
export const WHATSAPP_ACCOUNT = { token: "whatsapp-task-token", phoneNumberId: "109876543210987", appSecret: "whatsapp-task-app-secret" };
export function whatsappEnv(baseUrl: string): Record<string, string> {
  return {
    FANOUT_WHATSAPP_TOKEN: WHATSAPP_ACCOUNT.token,
    FANOUT_WHATSAPP_PHONE_NUMBER_ID: WHATSAPP_ACCOUNT.phoneNumberId,
    FANOUT_WHATSAPP_APP_SECRET: WHATSAPP_ACCOUNT.appSecret,
    FANOUT_WHATSAPP_BASE_URL: baseUrl,
  };
}

/** The approved Meta template the setup's WhatsApp template sends: {{1}} the name, {{2}} the city. */
export const APPROVED = { name: "order_ready_pickup", language: "zh_CN", variables: ["{{ name }}", "{{ attributes.city }}"] };

const CITIES = ["上海", "Berlin", "São Paulo", "Nairobi"];
export const whatsappPhone = (index: number) => `+4915${String(index).padStart(9, "0")}`;

export type WhatsAppContact = { email: string; phone: string; name: string; city: string };
export type WhatsAppSetup = SendingSetup & { whatsappTemplateId: string; freeTextTemplateId: string; contacts: WhatsAppContact[] };

/**
 * A department (with makeSendingSetup's mail setup and no mail-only contacts) whose pool holds
 * `count` contacts with a number, WhatsApp consent, a name and a city each, a WhatsApp template with
 * the approved template above, and one with free text only.
 */
export async function makeWhatsAppSetup(db: Database, options: { count: number; quota?: number | null; extra?: { email: string; phone?: string; channelConsent?: ContactChannel[] }[] }): Promise<WhatsAppSetup> {
  const setup = await makeSendingSetup(db, { emails: [], quota: options.quota ?? null });
  const tag = unique("w");
  const contacts = Array.from({ length: options.count }, (_, index) => ({ email: `wa-${index}.${tag}@example.net`, phone: whatsappPhone(index), name: `Kunde ${index} ${tag}`, city: CITIES[index % CITIES.length]! }));
  await addContacts(
    setup.ctx,
    setup.poolId,
    contacts.map((contact) => ({ email: contact.email, name: contact.name, phone: contact.phone, attributes: { city: contact.city }, channelConsent: ["whatsapp"] })),
  );
  if (options.extra?.length) await addContacts(setup.ctx, setup.poolId, options.extra);
  const template = await createTemplate(setup.ctx, { name: unique("wa-template"), departmentId: setup.departmentId, channel: "whatsapp", subject: "", html: "", whatsapp: APPROVED });
  const freeText = await createTemplate(setup.ctx, { name: unique("wa-free"), departmentId: setup.departmentId, channel: "whatsapp", subject: "", html: "", text: "Hello {{ name }}, your order is ready." });
  return { ...setup, whatsappTemplateId: template.id, freeTextTemplateId: freeText.id, contacts };
}

/** A WhatsApp task for the setup's whole pool, sent now. */
export function whatsappTaskInput(setup: WhatsAppSetup, overrides: Partial<TaskInput> = {}): TaskInput {
  return { name: unique("wa-task"), channel: "whatsapp", templateId: setup.whatsappTemplateId, poolIds: [setup.poolId], departmentId: setup.departmentId, ...overrides };
}

/** A request to the WhatsApp webhook route signed as Meta signs it (X-Hub-Signature-256 over the raw body), or with another secret to forge one. */
export function signedWhatsAppRequest(payload: unknown, secret = WHATSAPP_ACCOUNT.appSecret): Request {
  const body = JSON.stringify(payload);
  const signature = `sha256=${crypto.createHmac("sha256", secret).update(Buffer.from(body, "utf8")).digest("hex")}`;
  return new Request("http://fanout.test/api/webhooks/whatsapp", { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": signature } });
}
