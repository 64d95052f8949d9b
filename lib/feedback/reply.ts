import type { BounceCategory } from "@/db/schema";
import { classifyDiagnostic } from "@/lib/feedback/bounce";

/**
 * The category of a failure from what the receiving server or provider answered at send time
 * (ARCHITECTURE.md "Bounce categories"), with the same vocabulary as the bounces that arrive later.
 */
export function categoryOfReply(reply: { code?: number; enhancedStatus?: string; reply?: string }): BounceCategory {
  return classifyDiagnostic({ status: reply.enhancedStatus, code: reply.code, text: reply.reply }).category;
}
