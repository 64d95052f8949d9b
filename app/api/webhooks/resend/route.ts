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
    if (!secret) throw new AppError("not_configured", "webhookSecretMissing");
    const headers = { id: request.headers.get("svix-id"), timestamp: request.headers.get("svix-timestamp"), signature: request.headers.get("svix-signature") };
    if (!headers.id || !headers.timestamp || !headers.signature) throw new AppError("unauthorized", "svixHeadersMissing");
    const text = new TextDecoder().decode(await body());
    if (!verifySvixSignature(secret, headers, text)) throw new AppError("unauthorized", "svixMismatch");
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      throw new AppError("invalid_input", "bodyNotJson");
    }
    if (typeof event !== "object" || event === null) throw new AppError("invalid_input", "notResendEvent");
    return json({ result: await handleResendEvent(await getDb(), headers.id, event) });
  },
});
