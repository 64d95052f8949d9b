import { getDb } from "@/lib/database";
import { definePublicRoute, withBody } from "@/lib/entry/public-route";
import { unsubscribeDelivery } from "@/lib/feedback/unsubscribe";
import { readUnsubscribeToken } from "@/lib/tokens/delivery-links";

/** A one-click body is one short form field; anything much larger is not one. */
const MAX_BODY_BYTES = 16 * 1024;

/**
 * RFC 8058 one-click unsubscribe: the URL in the List-Unsubscribe header, POSTed by the mail
 * provider with the body `List-Unsubscribe=One-Click` (form-urlencoded or multipart). The signed
 * token is the authority, checked before the body is read; a forged one gets 404 and changes nothing.
 */
export const POST = definePublicRoute<{ token: string }>({
  maxBodyBytes: MAX_BODY_BYTES,
  handle: async ({ request, params, ip, body }) => {
    const deliveryId = readUnsubscribeToken(params.token);
    if (deliveryId === null) return text(404, "This link is invalid.");
    if (!(await isOneClick(withBody(request, await body())))) return text(400, "Expected the body List-Unsubscribe=One-Click (RFC 8058).");
    const result = await unsubscribeDelivery(await getDb(), deliveryId, {
      method: "one-click",
      ip,
      userAgent: request.headers.get("user-agent") ?? undefined,
    });
    return result ? text(200, "Unsubscribed.") : text(404, "This link is invalid.");
  },
});

/** A browser that opens the header's URL is sent to the page, which asks before doing anything. */
export const GET = definePublicRoute<{ token: string }>({
  handle: ({ params }) => new Response(null, { status: 303, headers: { Location: `/u/${encodeURIComponent(params.token)}`, "Cache-Control": "no-store" } }),
});

async function isOneClick(request: Request): Promise<boolean> {
  try {
    if ((request.headers.get("content-type") ?? "").toLowerCase().startsWith("multipart/form-data")) {
      return oneClickValue((await request.formData()).get("List-Unsubscribe"));
    }
    return oneClickValue(new URLSearchParams((await request.text()).trim()).get("List-Unsubscribe"));
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
