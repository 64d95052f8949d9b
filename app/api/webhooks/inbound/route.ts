import { getDb } from "@/db/client";
import { MAX_INBOUND_BYTES, receiveInboundMail } from "@/lib/feedback/inbound";

/**
 * Raw MIME of a message that came back to a Fanout return path or unsubscribe address, as any
 * relay can forward it (`?to=` may carry the envelope recipient). The signed token in that address
 * is the credential: without a valid one nothing changes.
 */
export async function POST(request: Request) {
  if (Number(request.headers.get("content-length") ?? 0) > MAX_INBOUND_BYTES) return problem(413, "payload_too_large", `The message is larger than ${MAX_INBOUND_BYTES} bytes`);
  const raw = Buffer.from(await request.arrayBuffer());
  if (raw.length > MAX_INBOUND_BYTES) return problem(413, "payload_too_large", `The message is larger than ${MAX_INBOUND_BYTES} bytes`);
  if (raw.length === 0) return problem(400, "invalid_input", "The body is empty: post the raw message (message/rfc822)");
  const envelope = new URL(request.url).searchParams.getAll("to");
  const result = await receiveInboundMail(await getDb(), raw, envelope);
  switch (result.outcome) {
    case "no_feedback_address":
      return problem(422, "invalid_input", "The message is not addressed to a Fanout return path (bounce+…@) or unsubscribe address (unsubscribe+…@)");
    case "invalid_token":
      return problem(404, "not_found", `${result.address} names no delivery: its token is malformed or its signature does not match`);
    case "not_found":
      return problem(404, "not_found", "The delivery this message names no longer exists");
    default:
      return Response.json(result, { status: 202 });
  }
}

function problem(status: number, code: string, message: string) {
  return Response.json({ error: { code, message } }, { status });
}
