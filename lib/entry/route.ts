import "server-only";
import { z } from "zod";
import { getDb } from "@/db/client";
import type { Actor } from "@/lib/auth/actor";
import { actorFromApiKey } from "@/lib/auth/api-keys";
import { authorize, type Permission } from "@/lib/auth/policy";
import { clientIp } from "@/lib/auth/session";
import type { Ctx } from "@/lib/context";
import { AppError, toErrorBody } from "@/lib/errors";
import { sessionActorFromRequest } from "./request";

export type RouteContext<P> = { params: Promise<P> };
export type RouteInfo = { kind: "route"; permission: Permission; auth: "apikey" | "session" };

export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  return Response.json(body, { status, headers });
}

export function errorResponse(error: unknown): Response {
  const { status, body } = toErrorBody(error);
  return json(body, status);
}

export async function readJson<S extends z.ZodType>(request: Request, schema: S, maxBytes = 5 * 1024 * 1024): Promise<z.output<S>> {
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > maxBytes) throw new AppError("payload_too_large", `The body is larger than ${maxBytes} bytes`);
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    throw new AppError("invalid_input", "The body is not valid JSON");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError("invalid_input", `${issue?.path.join(".") || "body"}: ${issue?.message}`, {
      issues: parsed.error.issues.map((item) => ({ path: item.path.join("."), message: item.message })),
    });
  }
  return parsed.data;
}

/**
 * Every route handler goes through here: the caller is resolved from an API key
 * (`Authorization: Bearer`) or the console session, checked against the policy, and any
 * error becomes the public error shape.
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

async function resolveCaller(db: Ctx["db"], request: Request, auth: "apikey" | "session"): Promise<Actor> {
  if (auth === "session") {
    const actor = await sessionActorFromRequest(db, request);
    if (!actor) throw new AppError("unauthorized", "Sign in first");
    return actor;
  }
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw new AppError("unauthorized", "Send an API key as 'Authorization: Bearer <key>'");
  const actor = await actorFromApiKey(db, match[1], clientIp(request.headers));
  if (!actor) throw new AppError("unauthorized", "The API key is unknown or revoked");
  return actor;
}
