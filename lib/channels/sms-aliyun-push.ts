import type { InboundReply, Receipt } from "./types";
import { asArray, asRecord, badField, textOf, toE164, webhookJson, type WebhookBody } from "./webhook";

/**
 * Aliyun's HTTP push ("HTTP批量推送") of SmsReport (receipts) and SmsUp (replies): a JSON array per
 * POST. The push carries no signature and no credential of any kind, so whoever knows the URL can
 * post to it: the route that receives it must be a secret path (a long random token in the URL,
 * configured in Aliyun's console) and must answer {"code":0} only after the events are stored.
 * Times are Beijing time, "2017-02-02 22:23:24", without a zone.
 */

/** What Aliyun expects back; anything else makes it push the batch again. */
export const ALIYUN_PUSH_ACK = { code: 0, msg: "成功" } as const;

const BEIJING_TIME = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/;

function beijingTime(value: unknown, path: string): Date {
  const match = BEIJING_TIME.exec(textOf(value) ?? "");
  const at = match ? new Date(`${match[1]}T${match[2]}+08:00`) : undefined;
  if (!at || Number.isNaN(at.getTime())) throw badField(path, "required");
  return at;
}

function required(item: Record<string, unknown> | undefined, field: string, path: string): string {
  const value = textOf(item?.[field]);
  if (value === undefined || value === "") throw badField(`${path}.${field}`, "required");
  return value;
}

function entries(body: WebhookBody): { item: Record<string, unknown> | undefined; path: string }[] {
  const json = webhookJson(body);
  if (!Array.isArray(json)) throw badField("(body)", "required");
  return asArray(json).map((item, index) => ({ item: asRecord(item), path: `[${index}]` }));
}

/** SmsReport: `success` true is delivered; false is failed with `err_code` and `err_msg`. */
export function parseAliyunReports(body: WebhookBody): Receipt[] {
  return entries(body).map(({ item, path }) => {
    const providerId = required(item, "biz_id", path);
    const at = beijingTime(item?.report_time, `${path}.report_time`);
    if (typeof item?.success !== "boolean") throw badField(`${path}.success`, "required");
    if (item.success) return { providerId, status: "delivered", at };
    const reason = [textOf(item.err_code), textOf(item.err_msg)].filter(Boolean).join(" ");
    return { providerId, status: "failed", at, ...(reason ? { reason } : {}) };
  });
}

/** SmsUp: a reply to one of our numbers; mainland numbers arrive without +86. */
export function parseAliyunReplies(body: WebhookBody): InboundReply[] {
  return entries(body).map(({ item, path }) => {
    const number = required(item, "phone_number", path);
    const text = textOf(item?.content) ?? "";
    const from = /^1\d{10}$/.test(number) ? toE164(number, "86") : toE164(number);
    const sequence = textOf(item?.sequence_id);
    return { channel: "sms", from, text, at: beijingTime(item?.send_time, `${path}.send_time`), ...(sequence ? { providerId: sequence } : {}) };
  });
}
