import "server-only";
import { NextRequest } from "next/server";
import { clientIp } from "@/lib/auth/session";
import { readBodyBytes } from "./body";
import { limit, publicLimiter } from "./rate-limit";
import { errorResponse, type RouteContext } from "./route";

export { json } from "./route";

export type PublicRouteInfo = { kind: "public-route"; maxBodyBytes: number; perIpLimit: boolean };

export type PublicRequest<P> = {
  /** The request without its body: the body is read only through `body()`, which is bounded. */
  request: Request;
  params: P;
  /** The caller's address (lib/auth/session.ts clientIp): never a header the client chose. */
  ip: string;
  /** The body, at most `maxBodyBytes` of it (413 `payload_too_large` past that, chunked or not). */
  body: () => Promise<Uint8Array>;
};

/**
 * Every endpoint anyone may call goes through here, in this order: the caller's IP is rate limited
 * (429 `rate_limited` with Retry-After), then the handler checks its credential (a signed token in
 * the URL, a signature) before it asks for the body, and the body can only be read through a
 * byte-counted reader. Errors become the public error shape; a 500 says nothing of what failed.
 */
export function definePublicRoute<P = Record<string, never>>(spec: {
  /** Bytes the body may have; 0 (the default) means the endpoint takes no body. */
  maxBodyBytes?: number;
  /** false only for callers that are themselves signed machines we must not throttle (Inngest). */
  perIpLimit?: boolean;
  handle: (input: PublicRequest<P>) => Promise<Response> | Response;
}) {
  const maxBodyBytes = spec.maxBodyBytes ?? 0;
  const perIpLimit = spec.perIpLimit ?? true;
  const handler = async (request: Request, context?: RouteContext<P>): Promise<Response> => {
    try {
      const ip = clientIp(request.headers);
      if (perIpLimit) limit(publicLimiter, ip);
      let read: Promise<Uint8Array> | undefined;
      return await spec.handle({
        request: new Request(request.url, { method: request.method, headers: request.headers, signal: request.signal }),
        params: (await context?.params) ?? ({} as P),
        ip,
        body: () => (read ??= readBodyBytes(request, maxBodyBytes)),
      });
    } catch (error) {
      return errorResponse(error);
    }
  };
  const info: PublicRouteInfo = { kind: "public-route", maxBodyBytes, perIpLimit };
  return Object.assign(handler, { entryPoint: info });
}

/**
 * The same request with a body already read through the bounded reader, for handlers that parse
 * requests themselves (next-auth and Inngest expect Next's request type, with `nextUrl`).
 */
export function withBody(request: Request, body: Uint8Array): NextRequest {
  const method = request.method.toUpperCase();
  return new NextRequest(request.url, { method, headers: request.headers, body: method === "GET" || method === "HEAD" ? undefined : new Uint8Array(body) });
}
