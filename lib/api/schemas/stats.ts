import "server-only";
import { z } from "zod";
import { PERIODS } from "@/lib/reports/periods";
import { TASK_CHANNELS } from "@/db/schema";

const day = z.iso.date();

/** Calendar days in FANOUT_TIMEZONE; weeks start on Monday. */
export const periodQuery = z.object({
  period: z.enum(PERIODS).optional().meta({ description: "Absent: custom when from or to is given, else this_month" }),
  from: day.optional().meta({ description: "First day of a custom period (YYYY-MM-DD)" }),
  to: day.optional().meta({ description: "Last day of a custom period (YYYY-MM-DD), at most 366 days after from" }),
});

const channelQuery = (what: string) =>
  z.enum(TASK_CHANNELS).optional().meta({ description: `Only this channel's ${what} (an SMS, WhatsApp or WeCom row's domain is the channel's name); absent: all channels` });

export const sendsQuery = periodQuery.extend({ channel: channelQuery("sends") });

export const failuresQuery = periodQuery.extend({
  by: z.enum(["sender", "recipient"]).default("sender").meta({ description: "Group by the sender's domain or the recipient's" }),
  channel: channelQuery("failures"),
});

const rowBase = { date: day, departmentId: z.string(), department: z.string() };
const count = z.number().int();

export const sendReport = z.object({
  period: z.enum(PERIODS),
  from: day,
  to: day,
  total: count,
  rows: z.array(z.object({ ...rowBase, ip: z.string(), domain: z.string().meta({ description: "Sender domain" }), sent: count })),
});

export const failureReport = z.object({
  period: z.enum(PERIODS),
  by: z.enum(["sender", "recipient"]),
  from: day,
  to: day,
  total: count,
  rows: z.array(
    z.object({
      ...rowBase,
      domain: z.string().meta({ description: 'Sender domain, or with by=recipient the recipient domain; "*" on the others row' }),
      failed: count,
      user_unknown: count,
      mailbox_full: count,
      rejected: count,
      other: count,
      others: z
        .literal(true)
        .optional()
        .meta({ description: "With by=recipient, present on the row summing the day and department's recipient domains past the ten with the most failures" }),
    }),
  ),
});
