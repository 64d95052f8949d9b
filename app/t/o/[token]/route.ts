import { getDb } from "@/db/client";
import { clientIp } from "@/lib/auth/session";
import { readOpenToken, recordOpen } from "@/lib/feedback/tracking";

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
 * and records nothing, and a failure to record never shows a broken image.
 */
export async function GET(request: Request, { params }: { params: Promise<{ token: string }> }) {
  const deliveryId = readOpenToken((await params).token);
  if (deliveryId !== null) {
    try {
      await recordOpen(await getDb(), deliveryId, { userAgent: request.headers.get("user-agent"), ip: clientIp(request.headers) });
    } catch (error) {
      console.error("Recording an open failed:", error);
    }
  }
  return new Response(new Uint8Array(PIXEL), { status: 200, headers: HEADERS });
}

/** A HEAD is a check, not a reader: the same answer, nothing recorded. */
export async function HEAD() {
  return new Response(null, { status: 200, headers: HEADERS });
}
