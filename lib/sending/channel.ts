import "server-only";
import crypto from "node:crypto";
import { and, eq } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { tasks, templateVersions, type TaskChannel } from "@/db/schema";
import { readPhoneRegion, readSetting } from "@/lib/accounts/settings";
import { appendOptOutSuffix, smsSegments } from "@/lib/channels/sms-segments";
import { configuredChannels, createChannelTransport, readChannelSettings, type ChannelSettings } from "@/lib/channels";
import type { Channel, ChannelMessage, ChannelTransport, MessagingChannel } from "@/lib/channels/types";
import { compileTemplate } from "@/lib/templates/compile";
import { compileWhatsAppVariables, renderWhatsAppVariables } from "@/lib/templates/whatsapp";
import type { ChannelSendContext } from "./context";

/*
 * Tasks on a messaging channel (issue 21): SMS and WhatsApp. What a recipient of an SMS task is
 * sent is its template version's `text`, rendered with the same Liquid variables as mail, plus the
 * opt-out sentence where the company requires it. It is rendered once when the delivery row is
 * written, to count (and reserve) its segments, and again when its batch is sent: the same template
 * and contact give the same text, and the row's `segments` is what quota is charged. A recipient of
 * a WhatsApp task is sent the version's approved Meta template with its variables rendered for the
 * contact (decision 0089); it costs one unit.
 */

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The schema's channel names and lib/channels' are the same list. */
const sameChannels: Same<TaskChannel, Channel> = true;
void sameChannels;

/** The channels a task may be created on today (WeCom has a transport but no task path yet). */
export const TASK_CHANNELS_OFFERED = ["email", "sms", "whatsapp"] as const satisfies readonly Channel[];
export type OfferedChannel = (typeof TASK_CHANNELS_OFFERED)[number];

/** The opt-out sentence's language: Chinese carriers require "拒收请回复R", elsewhere "Reply STOP". */
function suffixLocale(e164: string): "zh" | "en" {
  return e164.startsWith("+86") ? "zh" : "en";
}

export type SmsRecipient = { email: string; name: string | null; attributes: Record<string, string> | null; address: string };

/** The text one recipient of an SMS task is sent. */
export function renderSms(context: Pick<ChannelSendContext, "template" | "optOutSuffix">, recipient: SmsRecipient): string {
  const rendered = context.template.render(
    { email: recipient.email, name: recipient.name ?? "", attributes: recipient.attributes ?? {} },
    // No sender and no unsubscribe link on SMS: an opt-out is a reply.
    { sender_name: "", sender_address: "", unsubscribe_url: "" },
  );
  const text = rendered.text.trim();
  return context.optOutSuffix ? appendOptOutSuffix(text, suffixLocale(recipient.address)) : text;
}

/**
 * The SMS parts the recipient's text costs (at least 1: an empty text is not sent for free). A text
 * that cannot be rendered holds 1: its batch fails it as unsendable and gives that back.
 */
export function smsCost(context: Pick<ChannelSendContext, "template" | "optOutSuffix">, recipient: SmsRecipient): number {
  let text: string;
  try {
    text = renderSms(context, recipient);
  } catch {
    return 1;
  }
  return Math.max(1, smsSegments(text).segments);
}

/** Whether this server can send on the channel (FANOUT_SMS_PROVIDER …, FANOUT_WHATSAPP_TOKEN …); settings that cannot be read count as none. */
export function channelConfigured(channel: MessagingChannel): boolean {
  try {
    return readChannelSettings(process.env)[channel] !== undefined;
  } catch {
    return false;
  }
}

/**
 * The message one recipient of a messaging-channel task is sent. A WhatsApp version without an
 * approved template (refused at task creation) goes as free text and no window: the transport
 * refuses it with its reason (whatsappOutsideWindow), and the delivery fails with that.
 */
export function channelMessageFor(context: ChannelSendContext, recipient: SmsRecipient & { id: number }): ChannelMessage {
  const base = { id: String(recipient.id), channel: context.channel, to: recipient.address };
  const approved = context.channel === "whatsapp" ? context.whatsapp : null;
  if (!approved) return { ...base, text: renderSms(context, recipient) };
  const variables = renderWhatsAppVariables(approved.variables, { email: recipient.email, name: recipient.name ?? "", attributes: recipient.attributes ?? {} });
  return { ...base, template: { name: approved.name, language: approved.language, variables } };
}

/** Quota units a recipient's row holds on the channel: an SMS its segments; null (one unit) for the others. */
export function channelCost(context: ChannelSendContext, recipient: SmsRecipient): number | null {
  return context.channel === "sms" ? smsCost(context, recipient) : null;
}

export type ChannelTransports = Partial<Record<MessagingChannel, ChannelTransport>>;

/**
 * The transports of every channel the environment configures (FANOUT_SMS_PROVIDER …), for the
 * engine beside its mail transport. Settings that cannot be read are logged (naming the variable,
 * never a secret) and leave every channel out: mail goes on, and a channel's task fails with its reason.
 */
export function channelTransportsFromEnv(env: Record<string, string | undefined>, log: (message: string) => void = () => undefined): ChannelTransports {
  let settings: ChannelSettings;
  try {
    settings = readChannelSettings(env);
  } catch (error) {
    log(`channel settings: ${error instanceof Error ? error.message : String(error)}`);
    return {};
  }
  return Object.fromEntries(configuredChannels(settings).map((channel) => [channel, createChannelTransport(channel, settings)]));
}

/**
 * The segments one SMS of a template is estimated at before any recipient is known: its text for a
 * contact without name or attributes, with the opt-out sentence of the company's phone region.
 */
export async function estimateSmsSegments(db: Executor, text: string): Promise<number> {
  const region = await readPhoneRegion(db);
  const template = compileTemplate({ id: `sms-estimate:${crypto.createHash("sha256").update(text).digest("hex")}`, version: 0, subject: "", html: "", text });
  return smsCost({ template, optOutSuffix: await readSetting(db, "smsOptOutSuffix") }, { email: "", name: "", attributes: {}, address: region === "CN" ? "+86" : "+1" });
}

/** A messaging-channel task's context: its frozen template version compiled (a WhatsApp one's variables too), and the company's SMS opt-out rule. */
export async function loadChannelContext(db: Executor, taskId: string, channel: Exclude<TaskChannel, "email">): Promise<{ context: ChannelSendContext; bytes: number }> {
  const [row] = await db
    .select({ departmentId: tasks.departmentId, clientIp: tasks.clientIp, templateId: tasks.templateId, version: tasks.templateVersion, text: templateVersions.text, whatsapp: templateVersions.whatsapp })
    .from(tasks)
    .innerJoin(templateVersions, and(eq(templateVersions.templateId, tasks.templateId), eq(templateVersions.version, tasks.templateVersion)))
    .where(eq(tasks.id, taskId));
  if (!row?.templateId) throw new Error(`Task ${taskId} has no template version`);
  const text = row.text ?? "";
  const context: ChannelSendContext = {
    channel: channel satisfies MessagingChannel,
    taskId,
    departmentId: row.departmentId,
    clientIp: row.clientIp,
    template: compileTemplate({ id: row.templateId, version: row.version, subject: "", html: "", text }),
    optOutSuffix: channel === "sms" && (await readSetting(db, "smsOptOutSuffix")),
    ...(channel === "whatsapp"
      ? { whatsapp: row.whatsapp ? { name: row.whatsapp.name, language: row.whatsapp.language, variables: compileWhatsAppVariables(row.templateId, row.version, row.whatsapp) } : null }
      : {}),
  };
  return { context, bytes: text.length + JSON.stringify(row.whatsapp ?? "").length };
}
