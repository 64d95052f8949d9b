import { getDb } from "@/db/client";
import { handleResendEvent, resendWebhookSecret, verifySvixSignature } from "@/lib/feedback/resend-webhook";

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Resend's delivery events. The svix signature (RESEND_WEBHOOK_SECRET) is the only credential;
 * an unsigned, mis-signed or stale request is refused before anything is read into the database.
 */
export async function POST(request: Request) {
  const secret = resendWebhookSecret();
  if (!secret) return problem(503, "not_configured", "RESEND_WEBHOOK_SECRET is not set: Resend events cannot be verified");
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) return problem(413, "payload_too_large", `The body is larger than ${MAX_BODY_BYTES} bytes`);
  const body = await request.text();
  const headers = { id: request.headers.get("svix-id"), timestamp: request.headers.get("svix-timestamp"), signature: request.headers.get("svix-signature") };
  if (!verifySvixSignature(secret, headers, body)) return problem(401, "unauthorized", "The svix signature does not match this body, or its timestamp is more than five minutes off");
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return problem(400, "invalid_input", "The body is not valid JSON");
  }
  if (typeof event !== "object" || event === null) return problem(400, "invalid_input", "The body is not a Resend event");
  const result = await handleResendEvent(await getDb(), headers.id!, event);
  return Response.json({ result });
}

function problem(status: number, code: string, message: string) {
  return Response.json({ error: { code, message } }, { status });
}
