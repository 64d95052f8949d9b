import "server-only";
import { eq, notInArray, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { deliveryDailySender, TASK_CHANNELS, type TaskChannel } from "@/db/schema";
import { MESSAGING_CHANNELS } from "@/lib/channels/types";

/*
 * A rollup row's channel, read from its sender domain (decision 0090): the engine and the feedback
 * paths key a messaging channel's counts under the sender domain that is the channel's name ("sms",
 * "whatsapp", "wecom"), which no mail domain can be (a mail domain has a dot). Everything else is
 * e-mail. No column and no migration: the rollups already carry the answer.
 */

export type ReportChannel = TaskChannel;
export const REPORT_CHANNELS = TASK_CHANNELS;

const messaging = [...MESSAGING_CHANNELS] as string[];

/** The channel named by a query parameter; anything else (absent, unknown) is all channels. */
export function readChannel(value: string | string[] | null | undefined): ReportChannel | null {
  const first = Array.isArray(value) ? value[0] : value;
  return REPORT_CHANNELS.find((channel) => channel === first) ?? null;
}

/**
 * The rollup rows of one channel, or undefined (no condition) for all of them: by the sender domain,
 * or by another column keyed the same way (delivery_daily_failures' recipient domain).
 */
export function channelCondition(channel: ReportChannel | null | undefined, column: AnyPgColumn = deliveryDailySender.senderDomain): SQL | undefined {
  if (!channel) return undefined;
  return channel === "email" ? notInArray(column, messaging) : eq(column, channel);
}

/**
 * The channel a rollup row counts for, as a grouping expression. The names are constants written
 * into the SQL, not parameters, so the select and its group by are the same expression.
 */
const messagingList = sql.raw(messaging.map((channel) => `'${channel}'`).join(", "));
export const rollupChannel = sql<ReportChannel>`case when ${deliveryDailySender.senderDomain} in (${messagingList}) then ${deliveryDailySender.senderDomain} else 'email' end`;

/** The messaging channel a rollup's sender domain stands for, or null for a mail domain. */
export function channelOfDomain(domain: string): Exclude<ReportChannel, "email"> | null {
  return MESSAGING_CHANNELS.find((channel) => channel === domain) ?? null;
}
