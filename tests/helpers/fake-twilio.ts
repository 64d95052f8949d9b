import crypto from "node:crypto";
import { postWebhook, startFakeServer, type RecordedCall } from "./fake-provider";

/**
 * Twilio's Messages API on loopback: `POST /2010-04-01/Accounts/{Sid}/Messages.json` with HTTP Basic
 * auth (401 code 20003 otherwise), form-encoded To / From or MessagingServiceSid / Body. Answers
 * 201 with the message resource; 400 with Twilio's error codes for numbers told to fail
 * (21211 invalid To, 21610 unsubscribed recipient); 429 code 20429 with Retry-After for the first
 * N requests when told. Posts status callbacks and incoming messages back signed with
 * X-Twilio-Signature as Twilio does (computed here independently of lib/channels).
 */

export type FakeTwilioOptions = {
  accountSid: string;
  authToken: string;
  invalid: string[];
  unsubscribed: string[];
  /** Answer 429 to the next N requests, with this Retry-After (seconds). */
  rateLimitFirst: number;
  retryAfter: string;
};

export type TwilioSent = { sid: string; to: string; from?: string; messagingServiceSid?: string; body: string; statusCallback?: string };

/** Twilio's signature: base64 HMAC-SHA1 of the URL followed by each sorted name and its value. */
export function signTwilio(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params).sort().reduce((text, name) => text + name + params[name], url);
  return crypto.createHmac("sha1", authToken).update(Buffer.from(data, "utf8")).digest("base64");
}

export async function startFakeTwilio(initial: Partial<FakeTwilioOptions> & Pick<FakeTwilioOptions, "accountSid" | "authToken">) {
  const options: FakeTwilioOptions = { invalid: [], unsubscribed: [], rateLimitFirst: 0, retryAfter: "2", ...initial };
  const sent: TwilioSent[] = [];
  const twilioError = (status: number, code: number, message: string, headers?: Record<string, string>) => ({
    status,
    headers,
    body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  });

  const answer = (call: RecordedCall) => {
    const expected = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString("base64")}`;
    if (call.headers.authorization !== expected) return twilioError(401, 20003, "Authenticate");
    if (call.method !== "POST" || call.path !== `/2010-04-01/Accounts/${options.accountSid}/Messages.json`) {
      return twilioError(404, 20404, `The requested resource ${call.path} was not found`);
    }
    if (options.rateLimitFirst > 0) {
      options.rateLimitFirst--;
      return twilioError(429, 20429, "Too Many Requests", { "retry-after": options.retryAfter });
    }
    const form = new URLSearchParams(call.body);
    const to = form.get("To") ?? "";
    if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
    if (!form.get("From") && !form.get("MessagingServiceSid")) return twilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message");
    if (!form.get("Body")) return twilioError(400, 21602, "Message body is required.");
    if (options.invalid.includes(to) || !/^\+[1-9]\d{6,14}$/.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (options.unsubscribed.includes(to)) return twilioError(400, 21610, "Attempt to send to unsubscribed recipient");
    const sid = `SM${crypto.randomBytes(16).toString("hex")}`;
    const message: TwilioSent = {
      sid,
      to,
      from: form.get("From") ?? undefined,
      messagingServiceSid: form.get("MessagingServiceSid") ?? undefined,
      body: form.get("Body")!,
      statusCallback: form.get("StatusCallback") ?? undefined,
    };
    sent.push(message);
    return { status: 201, body: { sid, account_sid: options.accountSid, to, from: message.from ?? null, body: message.body, status: "queued", num_segments: "1", error_code: null, error_message: null } };
  };

  const server = await startFakeServer(answer);
  /** Posts form `params` to `url`, signed with the account's auth token (or `token`, to forge one). */
  const postSigned = (url: string, params: Record<string, string>, token = options.authToken) =>
    postWebhook(url, new URLSearchParams(params).toString(), { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signTwilio(token, url, params) });
  return {
    ...server,
    options,
    sent,
    postSigned,
    /** A status callback for a sent message, as Twilio posts it to the message's StatusCallback. */
    sendStatus: (url: string, message: TwilioSent, status: string, errorCode?: string) =>
      postSigned(url, { AccountSid: options.accountSid, MessageSid: message.sid, SmsSid: message.sid, MessageStatus: status, SmsStatus: status, To: message.to, From: message.from ?? "", ApiVersion: "2010-04-01", ...(errorCode ? { ErrorCode: errorCode } : {}) }),
    /** An incoming SMS from `from`, as Twilio posts it to the number's messaging webhook. */
    sendInbound: (url: string, from: string, body: string) =>
      postSigned(url, { AccountSid: options.accountSid, MessageSid: `SM${crypto.randomBytes(16).toString("hex")}`, From: from, To: "+15005550006", Body: body, NumMedia: "0", ApiVersion: "2010-04-01" }),
  };
}

export type FakeTwilio = Awaited<ReturnType<typeof startFakeTwilio>>;
