import { getDb } from "@/lib/database";
import { definePublicRoute } from "@/lib/entry/public-route";
import { trackingLimiter } from "@/lib/entry/rate-limit";
import { recordOpen } from "@/lib/feedback/tracking";
import { readOpenToken } from "@/lib/tokens/delivery-links";

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

const HEADERS = {
  "Content-Type": "image/gif",
  "Content-Length": String(PIXEL.length),
  "Cache-Control": "no-store, no-cache, must-revalidate, private, max-age=0",
  Pragma: "no-cache",
  Expires: "0",
};

/**
 * The open pixel. Every answer is the same image, whatever the token: a forged one learns nothing
 * and records nothing, and a failure to record never shows a broken image. A delivery opened more
 * often than FANOUT_RATE_LIMIT_TRACKING a minute still gets its image, but the extra opens are not
 * written (one message's trail cannot be flooded with rows).
 */
export const GET = definePublicRoute<{ token: string }>({
  handle: async ({ request, params, ip }) => {
    const deliveryId = readOpenToken(params.token);
    if (deliveryId !== null && trackingLimiter.take(`open:${deliveryId}`).ok) {
      try {
        await recordOpen(await getDb(), deliveryId, { userAgent: request.headers.get("user-agent"), ip });
      } catch (error) {
        console.error("Recording an open failed:", error);
      }
    }
    return new Response(new Uint8Array(PIXEL), { status: 200, headers: HEADERS });
  },
});

/** A HEAD is a check, not a reader: the same answer, nothing recorded. */
export const HEAD = definePublicRoute({
  handle: () => new Response(null, { status: 200, headers: HEADERS }),
});
