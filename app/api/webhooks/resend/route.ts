import { getDb } from "@/lib/database";
import { definePublicRoute, json } from "@/lib/entry/public-route";
import { AppError } from "@/lib/errors";
import { handleResendEvent, resendWebhookSecret, verifySvixSignature } from "@/lib/feedback/resend-webhook";

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Resend's delivery events. The svix signature (RESEND_WEBHOOK_SECRET) is the only credential;
 * it signs the body, so the body is read (bounded) first, and an unsigned, mis-signed or stale
 * request is refused before anything is read into the database.
 */
export const POST = definePublicRoute({
  maxBodyBytes: MAX_BODY_BYTES,
  handle: async ({ request, body }) => {
    const secret = resendWebhookSecret();
    if (!secret) throw new AppError("not_configured", "RESEND_WEBHOOK_SECRET is not set: Resend events cannot be verified");
    const headers = { id: request.headers.get("svix-id"), timestamp: request.headers.get("svix-timestamp"), signature: request.headers.get("svix-signature") };
    if (!headers.id || !headers.timestamp || !headers.signature) throw new AppError("unauthorized", "The svix-id, svix-timestamp and svix-signature headers are required");
    const text = new TextDecoder().decode(await body());
    if (!verifySvixSignature(secret, headers, text)) throw new AppError("unauthorized", "The svix signature does not match this body, or its timestamp is more than five minutes off");
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      throw new AppError("invalid_input", "The body is not valid JSON");
    }
    if (typeof event !== "object" || event === null) throw new AppError("invalid_input", "The body is not a Resend event");
    return json({ result: await handleResendEvent(await getDb(), headers.id, event) });
  },
});
