import { getDb } from "@/db/client";
import { clientIp } from "@/lib/auth/session";
import { readUnsubscribeToken, unsubscribeDelivery } from "@/lib/feedback/unsubscribe";

/** A one-click body is one short form field; anything much larger is not one. */
const MAX_BODY_BYTES = 16 * 1024;

/**
 * RFC 8058 one-click unsubscribe: the URL in the List-Unsubscribe header, POSTed by the mail
 * provider with the body `List-Unsubscribe=One-Click` (form-urlencoded or multipart). The signed
 * token is the authority; a forged one gets 404 and changes nothing.
 */
export async function POST(request: Request, { params }: { params: Promise<{ token: string }> }) {
  const deliveryId = readUnsubscribeToken((await params).token);
  if (deliveryId === null) return text(404, "This link is invalid.");
  if (!(await isOneClick(request))) return text(400, "Expected the body List-Unsubscribe=One-Click (RFC 8058).");
  const result = await unsubscribeDelivery(await getDb(), deliveryId, {
    method: "one-click",
    ip: clientIp(request.headers),
    userAgent: request.headers.get("user-agent") ?? undefined,
  });
  return result ? text(200, "Unsubscribed.") : text(404, "This link is invalid.");
}

/** A browser that opens the header's URL is sent to the page, which asks before doing anything. */
export async function GET(_request: Request, { params }: { params: Promise<{ token: string }> }) {
  return new Response(null, { status: 303, headers: { Location: `/u/${encodeURIComponent((await params).token)}`, "Cache-Control": "no-store" } });
}

async function isOneClick(request: Request): Promise<boolean> {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) return false;
  try {
    if ((request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data")) {
      return oneClickValue((await request.formData()).get("List-Unsubscribe"));
    }
    const body = await request.text();
    return body.length <= MAX_BODY_BYTES && oneClickValue(new URLSearchParams(body.trim()).get("List-Unsubscribe"));
  } catch {
    return false;
  }
}

function oneClickValue(value: FormDataEntryValue | null): boolean {
  return typeof value === "string" && value.trim().toLowerCase() === "one-click";
}

function text(status: number, body: string) {
  return new Response(`${body}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}
