import { getDb } from "@/lib/database";
import { definePublicRoute, json } from "@/lib/entry/public-route";
import { AppError } from "@/lib/errors";
import { MAX_INBOUND_BYTES, receiveInboundMail } from "@/lib/feedback/inbound";

/**
 * Raw MIME of a message that came back to a Fanout return path or unsubscribe address, as any
 * relay can forward it (`?to=` may carry the envelope recipient). The signed token in that address
 * is the credential: without a valid one nothing changes. It sits inside the message, so the body
 * is read (bounded) before it can be checked.
 */
export const POST = definePublicRoute({
  maxBodyBytes: MAX_INBOUND_BYTES,
  handle: async ({ request, body }) => {
    const raw = Buffer.from(await body());
    if (raw.length === 0) throw new AppError("invalid_input", "inboundEmpty");
    const envelope = new URL(request.url).searchParams.getAll("to");
    const result = await receiveInboundMail(await getDb(), raw, envelope);
    switch (result.outcome) {
      case "no_feedback_address":
        throw new AppError("unprocessable", "inboundNotOurs");
      case "invalid_token":
        throw new AppError("not_found", "inboundBadToken", { params: { address: result.address } });
      case "not_found":
        throw new AppError("not_found", "inboundDeliveryGone");
      default:
        return json(result, 202);
    }
  },
});
