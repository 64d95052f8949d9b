import { NextResponse, type NextRequest } from "next/server";
import { readEnv } from "@/lib/config/env";

/**
 * The Content-Security-Policy of one response. Scripts run only when they carry this request's
 * nonce (Next.js puts it on its own scripts, read from the request's CSP header) or are loaded by
 * such a script ('strict-dynamic'): markup injected into a page — inline handlers, <script>,
 * javascript: URLs — never runs. Styles allow inline ones: React and recharts write style
 * attributes, and template previews (srcdoc frames inherit this policy) are e-mail HTML full of
 * them. Images and fonts may come from anywhere, as a message's do.
 */
function contentSecurityPolicy(nonce: string, { development, https }: { development: boolean; https: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline' https:",
    "img-src 'self' data: blob: https: http:",
    "font-src 'self' data: https:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

const ATTACHMENT_DOWNLOAD = /^\/(?:g\/[^/]+\/a|groups\/[^/]+\/attachments)\/[^/]+\/\d+$/;

/** A fresh CSP nonce for every request, plus HSTS when the console is served over https. */
export function proxy(request: NextRequest) {
  // A group archive's attachment download keeps the stricter policy its route sets (sandbox; default-src 'none': lib/groups/archive-download.ts).
  if (ATTACHMENT_DOWNLOAD.test(request.nextUrl.pathname)) return NextResponse.next();
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
  const https = /^https:/i.test(readEnv().publicUrl ?? "");
  const policy = contentSecurityPolicy(nonce, { development: process.env.NODE_ENV === "development", https });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", policy);
  if (https) response.headers.set("strict-transport-security", "max-age=31536000; includeSubDomains");
  return response;
}

export const config = {
  matcher: [
    {
      // Build output and the icon carry no markup; prefetches are not documents (next.config.ts gives all of them the static headers).
      source: "/((?!_next/static|_next/image|favicon.svg).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
