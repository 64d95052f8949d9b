import type { BounceCategory } from "@/db/schema";

/**
 * The category of a failure from what the receiving server or provider answered at send time
 * (ARCHITECTURE.md "Bounce categories"): the enhanced status code first, then the words.
 */
export function categoryOfReply(reply: { code?: number; enhancedStatus?: string; reply?: string }): BounceCategory {
  const status = reply.enhancedStatus ?? /\b[245]\.(\d{1,3})\.(\d{1,3})\b/.exec(reply.reply ?? "")?.[0];
  if (status) {
    const [, subject, detail] = status.split(".").map(Number);
    if (subject === 1 && (detail === 1 || detail === 2 || detail === 10)) return "user_unknown";
    if (subject === 2 && detail === 1) return "user_unknown";
    if (subject === 2 && detail === 2) return "mailbox_full";
    if (subject === 7) return "rejected";
    if (subject === 3 && detail === 4) return "rejected"; // message too big for system
    if (subject === 2 && detail === 3) return "rejected"; // message length exceeds limit
  }
  const text = (reply.reply ?? "").toLowerCase();
  if (/user unknown|unknown user|no such (user|mailbox)|does not exist|mailbox unavailable|invalid recipient|recipient address rejected: user|mailbox not found|用户不存在/.test(text)) return "user_unknown";
  if (/mailbox (is )?full|over ?quota|quota exceeded|insufficient storage|邮箱已满|空间不足/.test(text)) return "mailbox_full";
  if (/spam|blocked|blacklist|block ?list|denied|policy|rejected|not allowed|authentication|too (big|large)|size limit|垃圾/.test(text)) return "rejected";
  if (reply.code === 552) return "mailbox_full";
  if (reply.code === 554) return "rejected";
  if (reply.code === 550 || reply.code === 551 || reply.code === 553) return "user_unknown";
  return "other";
}
