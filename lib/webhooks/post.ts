import "server-only";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { Webhook } from "standardwebhooks";
import { guardedLookup, isInwardAddress } from "./url-guard";

/** What a receiver answered, or why no answer came: the delivery log shows it. */
export type PostResult = { ok: boolean; status: number | null; body: string; error: string | null };

export type SignedPost = {
  url: string;
  secret: string;
  messageId: string;
  body: string;
  at: Date;
  timeoutMs: number;
  allowPrivate: boolean;
};

/** The part of an answer kept for the log; more is read and dropped, never buffered. */
export const RESPONSE_EXCERPT_BYTES = 1024;
const RESPONSE_READ_LIMIT = 64 * 1024;

/**
 * Connections to receivers are kept open between posts, in pools apart for each setting of
 * allowPrivate, so a connection opened while private addresses were allowed is never reused after.
 */
const agents = new Map<string, http.Agent>();

function agentFor(protocol: string, allowPrivate: boolean): http.Agent {
  const key = `${protocol}${allowPrivate}`;
  let agent = agents.get(key);
  if (!agent) {
    const options = { keepAlive: true, maxSockets: 32, lookup: guardedLookup(allowPrivate) };
    agent = protocol === "https:" ? new https.Agent(options) : new http.Agent(options);
    agents.set(key, agent);
  }
  return agent;
}

/**
 * Posts one signed event (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).
 * Redirects are not followed (a 3xx is a failed attempt), the whole exchange is bounded by the
 * timeout, and at most 64 KiB of the answer is read.
 */
export function postSigned(post: SignedPost): Promise<PostResult> {
  const url = new URL(post.url);
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (!post.allowPrivate && net.isIP(literal) && isInwardAddress(literal)) {
    return Promise.resolve({ ok: false, status: null, body: "", error: `${literal} is a loopback or private address` });
  }
  const signature = new Webhook(post.secret).sign(post.messageId, post.at, post.body);
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = client.request(
      url,
      {
        method: "POST",
        agent: agentFor(url.protocol, post.allowPrivate),
        lookup: guardedLookup(post.allowPrivate),
        headers: {
          "content-type": "application/json",
          "user-agent": "Fanout-Webhooks/1",
          "webhook-id": post.messageId,
          "webhook-timestamp": String(Math.floor(post.at.getTime() / 1000)),
          "webhook-signature": signature,
          "content-length": Buffer.byteLength(post.body),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let read = 0;
        response.on("data", (chunk: Buffer) => {
          if (read >= RESPONSE_READ_LIMIT) return;
          chunks.push(chunk);
          read += chunk.length;
          if (read >= RESPONSE_READ_LIMIT) response.destroy();
        });
        const done = () => {
          const status = response.statusCode ?? 0;
          const body = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString("utf8").replace(/\uFFFD+$/, "");
          finish({ ok: status >= 200 && status < 300, status, body, error: null });
        };
        response.on("end", done);
        response.on("close", done);
        response.on("error", done);
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      finish({ ok: false, status: null, body: "", error: `No answer within ${Math.round(post.timeoutMs / 1000)} s` });
    }, post.timeoutMs);
    request.on("error", (error) => finish({ ok: false, status: null, body: "", error: error.message.slice(0, 300) }));
    request.end(post.body);
  });
}
