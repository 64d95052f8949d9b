import "server-only";
import { getDb } from "@/lib/database";
import type { Actor } from "@/lib/access/actor";
import { apiKeyCaller, hashSecret } from "@/lib/auth/api-keys";
import { authorize, type Permission } from "@/lib/access/policy";
import { clientIp } from "@/lib/auth/session";
import type { Ctx } from "@/lib/access/context";
import { readEnv } from "@/lib/config/env";
import { AppError, toErrorBody } from "@/lib/errors";
import { apiKeyLimiter, limit } from "./rate-limit";
import { sessionActorFromRequest } from "./request";

export { readJson } from "./body";

export type RouteContext<P> = { params: Promise<P> };
export type RouteInfo = { kind: "route"; permission: Permission; auth: "apikey" | "session" };

export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  return Response.json(body, { status, headers });
}

export function errorResponse(error: unknown): Response {
  const { status, body } = toErrorBody(error);
  const retryAfter = (body.error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  return json(body, status, status === 429 && retryAfter ? { "Retry-After": String(retryAfter) } : undefined);
}

/**
 * Every route handler goes through here: the caller is resolved from an API key
 * (`Authorization: Bearer`, rate limited per key) or the console session (a mutating request
 * must come from the console's own origin), checked against the policy, and any error becomes
 * the public error shape.
 */
export function defineRoute<P = Record<string, never>>(spec: {
  permission: Permission;
  auth?: "apikey" | "session";
  handle: (ctx: Ctx, request: Request, params: P) => Promise<Response>;
}) {
  const auth = spec.auth ?? "apikey";
  const handler = async (request: Request, context: RouteContext<P>): Promise<Response> => {
    try {
      const db = await getDb();
      const actor = await resolveCaller(db, request, auth);
      authorize(actor, spec.permission);
      return await spec.handle({ db, actor }, request, await context.params);
    } catch (error) {
      return errorResponse(error);
    }
  };
  const info: RouteInfo = { kind: "route", permission: spec.permission, auth };
  return Object.assign(handler, { entryPoint: info });
}

const MUTATING_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * A cookie rides along with any request the browser makes, including one a foreign page starts,
 * so a cookie-authenticated change must prove it came from the console itself: Sec-Fetch-Site
 * (same-origin, or none for a request the user made directly), else an Origin equal to ours.
 */
function assertSameOrigin(request: Request) {
  if (!MUTATING_METHODS.has(request.method.toUpperCase())) return;
  const site = request.headers.get("sec-fetch-site");
  if (site === "same-origin" || site === "none") return;
  const origin = request.headers.get("origin");
  if (!site && origin && ownOrigins(request).has(origin.toLowerCase())) return;
  throw new AppError("forbidden", "crossSite");
}

function ownOrigins(request: Request): Set<string> {
  const origins = new Set<string>([new URL(request.url).origin.toLowerCase()]);
  const host = request.headers.get("host");
  if (host) for (const scheme of ["http", "https"]) origins.add(`${scheme}://${host}`.toLowerCase());
  const publicUrl = readEnv().publicUrl;
  if (publicUrl) origins.add(new URL(publicUrl).origin.toLowerCase());
  return origins;
}

async function resolveCaller(db: Ctx["db"], request: Request, auth: "apikey" | "session"): Promise<Actor> {
  if (auth === "session") {
    assertSameOrigin(request);
    const actor = await sessionActorFromRequest(db, request);
    if (!actor) throw new AppError("unauthorized", "signInFirst");
    return actor;
  }
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new AppError("unauthorized", "bearerRequired");
  const bucket = hashSecret(match[1]);
  // A key seen before is counted before the lookup, at the rate its bucket remembers, so a flood
  // of requests costs no database work once over the limit; a new one is counted at its own rate.
  const seen = apiKeyLimiter.has(bucket);
  if (seen) limit(apiKeyLimiter, bucket);
  const caller = await apiKeyCaller(db, match[1], clientIp(request.headers));
  if (!seen) limit(apiKeyLimiter, bucket, caller?.rateLimitPerMinute ?? null);
  else apiKeyLimiter.remember(bucket, caller?.rateLimitPerMinute ?? null);
  if (!caller) throw new AppError("unauthorized", "apiKeyUnknown");
  return caller.actor;
}
