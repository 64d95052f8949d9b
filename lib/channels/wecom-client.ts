import { callProvider, providerText, transientFailure, type Failure } from "./http";
import { channelReason } from "./reasons";
import { asRecord } from "./webhook";

export const WECOM_DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com";
export const WECOM_PROVIDER = "WeCom";

export type WeComConfig = {
  corpId: string;
  /** The application's secret (or the customer-contact secret for 客户群发). */
  secret: string;
  agentId: number;
  baseUrl?: string;
  /** A token is fetched again this long before WeCom says it expires (default 5 min). */
  tokenMarginMs?: number;
  timeoutMs?: number;
  /** The clock, for tests of expiry. */
  now?: () => number;
};

/** The token is no longer valid (40014 invalid, 42001 expired): fetch a new one, once. */
const STALE_TOKEN = new Set([40014, 42001]);
/** -1 system busy, 45009 API frequency limit, 45033 concurrency limit. */
const TRANSIENT = new Set([-1, 45009, 45033]);
/** 40001 invalid secret, 40013 invalid corpid, 40056 invalid agentid, 48002 API forbidden for this app, 60020 IP not allowed. */
const CREDENTIALS = new Set([40001, 40013, 40056, 48002, 60020]);

export type WeComAnswer = { ok: true; body: Record<string, unknown> } | { ok: false; failure: Failure };
type TokenAnswer = { ok: true; token: string } | { ok: false; failure: Failure };

/**
 * The access token WeCom's API wants on every call, cached until `expires_in` minus a margin and
 * fetched once for concurrent callers; a call answered "token invalid or expired" fetches a new
 * one and is repeated once (WeCom may end a token early, e.g. when the secret is reset).
 */
export function createWeComClient(config: WeComConfig) {
  const baseUrl = (config.baseUrl ?? WECOM_DEFAULT_BASE_URL).replace(/\/+$/, "");
  const now = config.now ?? Date.now;
  const margin = config.tokenMarginMs ?? 5 * 60_000;
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<TokenAnswer> | undefined;

  async function fetchToken(signal?: AbortSignal): Promise<TokenAnswer> {
    const query = new URLSearchParams({ corpid: config.corpId, corpsecret: config.secret });
    const answer = await request(`${baseUrl}/cgi-bin/gettoken?${query}`, { method: "GET" }, { signal, timeoutMs: config.timeoutMs });
    if (!answer.ok) return answer;
    const token = answer.body.access_token;
    const expiresIn = Number(answer.body.expires_in);
    if (typeof token !== "string" || !Number.isFinite(expiresIn)) {
      return { ok: false, failure: { retry: true, reply: channelReason("answered", { provider: WECOM_PROVIDER, detail: "gettoken without access_token" }) } };
    }
    cached = { token, expiresAt: now() + Math.max(0, expiresIn * 1000 - margin) };
    return { ok: true, token };
  }

  async function token(signal: AbortSignal | undefined, fresh: boolean): Promise<TokenAnswer> {
    if (fresh) cached = undefined;
    if (cached && now() < cached.expiresAt) return { ok: true, token: cached.token };
    pending ??= fetchToken(signal).finally(() => (pending = undefined));
    return pending;
  }

  /** One call with `?access_token=`, with the one refresh a stale token earns. */
  async function call(path: string, body: unknown, signal?: AbortSignal): Promise<WeComAnswer> {
    for (let attempt = 0; ; attempt++) {
      const current = await token(signal, attempt > 0);
      if (!current.ok) return current;
      const url = `${baseUrl}${path}?access_token=${encodeURIComponent(current.token)}`;
      const answer = await request(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }, { signal, timeoutMs: config.timeoutMs });
      if (!answer.ok && answer.staleToken && attempt === 0) continue;
      return answer;
    }
  }

  return { baseUrl, call, token: (signal?: AbortSignal) => token(signal, false) };
}

/** An API answer: errcode 0 is a body; every other errcode is a failure, classified. */
async function request(url: string, init: RequestInit, options: { signal?: AbortSignal; timeoutMs?: number }): Promise<WeComAnswer & { staleToken?: boolean }> {
  const outcome = await callProvider(WECOM_PROVIDER, url, init, options);
  if (!outcome.ok) return outcome;
  const body = asRecord(outcome.answer.json);
  const errcode = typeof body?.errcode === "number" ? body.errcode : undefined;
  const detail = `${errcode ?? outcome.answer.status} ${providerText(body?.errmsg ?? outcome.answer.text)}`;
  if (body && errcode === 0 && outcome.answer.status === 200) return { ok: true, body };
  const transient = transientFailure(WECOM_PROVIDER, outcome.answer, detail, errcode !== undefined && TRANSIENT.has(errcode));
  if (transient) return { ok: false, failure: transient };
  if (errcode !== undefined && STALE_TOKEN.has(errcode)) {
    return { ok: false, staleToken: true, failure: { retry: true, reply: channelReason("credentialsRefused", { provider: WECOM_PROVIDER, detail }) } };
  }
  const reason = errcode !== undefined && CREDENTIALS.has(errcode) ? "credentialsRefused" : "answered";
  return { ok: false, failure: { retry: false, reply: channelReason(reason, { provider: WECOM_PROVIDER, detail }) } };
}
