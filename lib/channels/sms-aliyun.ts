import crypto from "node:crypto";
import type { SendResult } from "@/lib/transports/types";
import { aliyunCanonicalQuery, aliyunPercentEncode, aliyunSignature, aliyunTimestamp } from "./aliyun-signature";
import { callProvider, providerText, transientFailure, type Failure, type ProviderAnswer, type ResultBody } from "./http";
import { perMessageTransport } from "./per-message";
import { channelReason } from "./reasons";
import type { ChannelMessage, ChannelTransport } from "./types";
import { asRecord, textOf } from "./webhook";

export const ALIYUN_SMS_DEFAULT_BASE_URL = "https://dysmsapi.aliyuncs.com";
const PROVIDER = "Aliyun SMS";

export type AliyunSmsConfig = {
  accessKeyId: string;
  accessKeySecret: string;
  /** The approved sign name (签名), shown as 【…】 before the text. */
  signName: string;
  /** The approved template a plain-text message is sent through; its one variable carries the text. */
  templateCode?: string;
  /** That variable's name in the template (default "content", i.e. a template "${content}"). */
  textParam?: string;
  baseUrl?: string;
  regionId?: string;
  /** Requests in flight at once (default 5; Aliyun's default QPS per account is far higher). */
  concurrency?: number;
  timeoutMs?: number;
};

/** Codes Aliyun documents as momentary: flow control per account or per number, and its own faults. */
const TRANSIENT_CODES = new Set(["Throttling.User", "Throttling", "isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "InternalError", "ServiceUnavailable"]);
/** The key, its signature or the account: nothing a retry changes. isv.DENY_IP_RANGE: this server's IP is not allowed. */
const CREDENTIAL_CODES = new Set(["InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "SignatureDoesNotMatch", "IncompleteSignature", "isv.ACCOUNT_NOT_EXISTS", "isv.ACCOUNT_ABNORMAL", "isv.DENY_IP_RANGE"]);
const RECIPIENT_CODES = new Set(["isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT"]);
/** isv.BUSINESS_LIMIT_CONTROL is the per-number limit (one message a minute to a number by default). */
const PER_NUMBER_WAIT_MS = 60_000;

/**
 * Aliyun Dysmsapi `SendSms` (version 2017-05-25), one signed POST per message. SendBatchSms takes
 * up to 100 numbers but answers with one Code and one BizId for the whole request, so one invalid
 * number would fail (or hide the fate of) the other 99; one request per message keeps the answer
 * per delivery, and the delivery id travels as OutId so receipts can be matched either way.
 */
export function createAliyunSmsTransport(config: AliyunSmsConfig): ChannelTransport {
  const baseUrl = (config.baseUrl ?? ALIYUN_SMS_DEFAULT_BASE_URL).replace(/\/+$/, "");

  function paramsFor(message: ChannelMessage): { params: Record<string, string> } | { failure: Failure } {
    const template = message.template;
    const templateCode = template?.name ?? config.templateCode;
    if (!templateCode) return { failure: { retry: false, reply: channelReason("needsTemplate", { provider: PROVIDER }) } };
    if (!template && !message.text) return { failure: { retry: false, reply: channelReason("needsText", { provider: PROVIDER }) } };
    const templateParam = template ? (template.params ?? {}) : { [config.textParam ?? "content"]: message.text! };
    const params = {
      AccessKeyId: config.accessKeyId,
      Action: "SendSms",
      Format: "JSON",
      OutId: message.id,
      PhoneNumbers: aliyunNumber(message.to),
      RegionId: config.regionId ?? "cn-hangzhou",
      SignName: config.signName,
      SignatureMethod: "HMAC-SHA1",
      SignatureNonce: crypto.randomUUID(),
      SignatureVersion: "1.0",
      TemplateCode: templateCode,
      TemplateParam: JSON.stringify(templateParam),
      Timestamp: aliyunTimestamp(new Date()),
      Version: "2017-05-25",
    };
    return { params };
  }

  async function sendOne(message: ChannelMessage, signal?: AbortSignal): Promise<SendResult> {
    const prepared = paramsFor(message);
    if ("failure" in prepared) return { id: message.id, ok: false, ...prepared.failure };
    const params = prepared.params;
    const body = `${aliyunCanonicalQuery(params)}&Signature=${aliyunPercentEncode(aliyunSignature("POST", params, config.accessKeySecret))}`;
    const outcome = await callProvider(PROVIDER, `${baseUrl}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body }, { signal, timeoutMs: config.timeoutMs });
    if (!outcome.ok) return { id: message.id, ok: false, ...outcome.failure };
    return { id: message.id, ...resultOf(outcome.answer) };
  }

  return perMessageTransport({ channel: "sms", name: "aliyun", target: `${baseUrl} (AccessKey ${config.accessKeyId}, sign ${config.signName})` }, { provider: PROVIDER, concurrency: config.concurrency }, sendOne);
}

/** Aliyun wants mainland numbers bare (13800138000) and others with their country code, no plus. */
export function aliyunNumber(e164: string): string {
  const digits = e164.startsWith("+") ? e164.slice(1) : e164;
  return digits.startsWith("86") && digits.length === 13 ? digits.slice(2) : digits;
}

function resultOf(answer: ProviderAnswer): ResultBody {
  const body = asRecord(answer.json);
  const code = textOf(body?.Code);
  const detail = `${code ?? answer.status}: ${providerText(body?.Message ?? answer.text)}`;
  if (code === "OK") return { ok: true, providerId: textOf(body?.BizId), code: answer.status, reply: "OK" };
  const failure = (retry: boolean, reply: string): ResultBody => ({ ok: false, retry, code: answer.status, reply });
  // Without Aliyun's JSON (a gateway's error page) the HTTP status decides.
  const transient = transientFailure(PROVIDER, answer, detail, code !== undefined && TRANSIENT_CODES.has(code));
  if (transient) return { ok: false, ...transient, ...(code === "isv.BUSINESS_LIMIT_CONTROL" ? { retryAfterMs: PER_NUMBER_WAIT_MS } : {}) };
  if (code === undefined) return failure(false, channelReason("answered", { provider: PROVIDER, detail }));
  if (CREDENTIAL_CODES.has(code)) return failure(false, channelReason("credentialsRefused", { provider: PROVIDER, detail }));
  if (code === "isv.AMOUNT_NOT_ENOUGH") return failure(false, channelReason("balanceLow", { detail }));
  if (RECIPIENT_CODES.has(code)) return failure(false, channelReason("invalidRecipient", { provider: PROVIDER, detail }));
  return failure(false, channelReason("answered", { provider: PROVIDER, detail }));
}
