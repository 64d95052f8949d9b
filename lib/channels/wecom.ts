import type { SendResult } from "@/lib/transports/types";
import { failEach } from "./http";
import { channelReason } from "./reasons";
import type { ChannelMessage, ChannelTransport } from "./types";
import { textOf } from "./webhook";
import { createWeComClient, WECOM_PROVIDER, type WeComConfig } from "./wecom-client";

export { WECOM_DEFAULT_BASE_URL, type WeComConfig } from "./wecom-client";

/** A WeCom userid: 1–64 letters, digits and _ - . @ (a `|` would split `touser`). */
export const WECOM_USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;

/** `touser` takes at most 1,000 user ids per request. */
export const WECOM_MAX_USERS = 1000;

/**
 * WeCom (企业微信) application messages: `POST /cgi-bin/message/send` with `touser` as up to 1,000
 * user ids joined by `|`, so one request serves every message of a batch that shares a text (a
 * campaign without per-person fields is one request per thousand people). WeCom answers for the
 * request as a whole and lists the ids it could not reach in `invaliduser` (and, for accounts
 * without a licence, `unlicenseduser`): those fail, finally; the rest share the request's msgid.
 */
export function createWeComTransport(config: WeComConfig): ChannelTransport {
  const client = createWeComClient(config);

  async function sendGroup(text: string, messages: ChannelMessage[], signal?: AbortSignal): Promise<SendResult[]> {
    const users = [...new Set(messages.map((message) => message.to))];
    const answer = await client.call("/cgi-bin/message/send", { touser: users.join("|"), msgtype: "text", agentid: config.agentId, text: { content: text }, safe: 0 }, signal);
    if (!answer.ok) return failEach(messages, answer.failure);
    const unreached = new Set([...idList(answer.body.invaliduser), ...idList(answer.body.unlicenseduser)]);
    const msgid = textOf(answer.body.msgid);
    return messages.map((message): SendResult =>
      unreached.has(message.to)
        ? { id: message.id, ok: false, retry: false, reply: channelReason("invalidRecipient", { provider: WECOM_PROVIDER, detail: `invaliduser ${message.to}` }) }
        : { id: message.id, ok: true, ...(msgid ? { providerId: msgid } : {}), reply: "ok" },
    );
  }

  async function sendBatch(messages: ChannelMessage[], options: { signal?: AbortSignal } = {}): Promise<SendResult[]> {
    const results = new Map<string, SendResult>();
    const groups = new Map<string, ChannelMessage[]>();
    for (const message of messages) {
      if (!message.text) results.set(message.id, { id: message.id, ok: false, retry: false, reply: channelReason("needsText", { provider: WECOM_PROVIDER }) });
      else if (!WECOM_USER_ID.test(message.to)) results.set(message.id, { id: message.id, ok: false, retry: false, reply: channelReason("invalidRecipient", { provider: WECOM_PROVIDER, detail: `"${message.to.slice(0, 64)}" is not a WeCom userid` }) });
      else groups.set(message.text, [...(groups.get(message.text) ?? []), message]);
    }
    for (const [text, group] of groups) {
      for (let start = 0; start < group.length; start += WECOM_MAX_USERS) {
        for (const result of await sendGroup(text, group.slice(start, start + WECOM_MAX_USERS), options.signal)) results.set(result.id, result);
      }
    }
    return messages.map((message) => results.get(message.id)!);
  }

  return {
    channel: "wecom",
    name: "wecom",
    maxBatch: WECOM_MAX_USERS,
    target: `${client.baseUrl} (corp ${config.corpId}, agent ${config.agentId})`,
    sendBatch,
    close: async () => {},
  };
}

/** "a|b" → ["a", "b"]; WeCom leaves the field out or empty when every id was reached. */
function idList(value: unknown): string[] {
  return typeof value === "string" && value !== "" ? value.split("|") : [];
}

/**
 * 客户群发 (customer group-send): `POST /cgi-bin/externalcontact/add_msg_template` creates a
 * task that the sending employee confirms in their WeCom app; nothing reaches a customer until
 * they do, so this answers with the task's msgid and the ids WeCom refused (`fail_list`), not with
 * deliveries. The client needs the customer-contact secret (or an app with that permission).
 */
export async function createCustomerGroupSend(
  config: WeComConfig,
  request: { externalUserIds: string[]; sender?: string; text: string },
  signal?: AbortSignal,
): Promise<{ ok: true; msgid: string; failed: string[] } | { ok: false; retry: boolean; reply: string }> {
  const body = { chat_type: "single", external_userid: request.externalUserIds, ...(request.sender ? { sender: request.sender } : {}), text: { content: request.text } };
  const answer = await createWeComClient(config).call("/cgi-bin/externalcontact/add_msg_template", body, signal);
  if (!answer.ok) return { ok: false, retry: answer.failure.retry, reply: answer.failure.reply };
  const failed = Array.isArray(answer.body.fail_list) ? answer.body.fail_list.filter((id): id is string => typeof id === "string") : [];
  return { ok: true, msgid: textOf(answer.body.msgid) ?? "", failed };
}
