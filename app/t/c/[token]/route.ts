import { getDb } from "@/lib/database";
import { definePublicRoute } from "@/lib/entry/public-route";
import { trackingLimiter } from "@/lib/entry/rate-limit";
import { recordClick } from "@/lib/feedback/tracking";
import { readClickToken } from "@/lib/tokens/delivery-links";

/**
 * A tracked link: a redirect to the URL signed into the token, and only there (no open redirect).
 * A forged or altered token gets 404 and records nothing. Clicks on one delivery beyond
 * FANOUT_RATE_LIMIT_TRACKING a minute still go where the link goes, but are not written.
 */
export const GET = definePublicRoute<{ token: string }>({
  handle: async ({ request, params, ip }) => {
    const link = readClickToken(params.token);
    if (!link) return invalid();
    if (trackingLimiter.take(`click:${link.deliveryId}`).ok) {
      try {
        await recordClick(await getDb(), link.deliveryId, link.url, { userAgent: request.headers.get("user-agent"), ip });
      } catch (error) {
        // The person still gets where the link goes.
        console.error("Recording a click failed:", error);
      }
    }
    return redirect(link.location);
  },
});

/** Link scanners check links with HEAD: they are sent on as well, but nothing is counted. */
export const HEAD = definePublicRoute<{ token: string }>({
  handle: ({ params }) => {
    const link = readClickToken(params.token);
    return link ? redirect(link.location) : invalid();
  },
});

function redirect(url: string) {
  return new Response(null, { status: 302, headers: { Location: url, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
}

function invalid() {
  return new Response("This link is invalid.\n", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}
