import "server-only";
import { normalizeAddress } from "@/lib/addresses/normalize";
import { invalidInput } from "@/lib/errors";
import { parseFeedbackAddress } from "@/lib/tokens/delivery-addresses";

export type ReplyInput = {
  /** Collect replies: each message's Reply-To is its delivery's own address at Fanout (e-mail tasks). */
  replyTracking?: boolean;
  /** Forward each person's reply to this mailbox; naming one turns reply collection on. */
  replyForwardTo?: string | null;
};

/** A task's reply columns from what its creator asked, or the field that is wrong. */
export function checkReplySettings(input: ReplyInput, channel: string): { replyTracking: boolean; replyForwardTo: string | null } {
  const forward = (input.replyForwardTo ?? "").trim();
  const replyTracking = input.replyTracking === true || forward !== "";
  if (!replyTracking) return { replyTracking: false, replyForwardTo: null };
  if (channel !== "email") throw invalidInput("repliesEmailOnly", { field: forward ? "replyForwardTo" : "replyTracking" });
  if (forward === "") return { replyTracking, replyForwardTo: null };
  const checked = normalizeAddress(forward);
  if (!checked.ok) throw invalidInput(checked.reason, { field: "replyForwardTo", params: checked.params });
  // A forward to one of our own reply addresses would come straight back.
  if (parseFeedbackAddress(checked.email)) throw invalidInput("replyForwardLoops", { field: "replyForwardTo" });
  return { replyTracking, replyForwardTo: checked.email };
}
