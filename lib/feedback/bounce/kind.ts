import { headerValue, type HeaderFields } from "./mime";
import type { ReportParts } from "./parts";

export type BounceKind = "bounce" | "delay" | "complaint" | "auto_reply" | "not_a_bounce";

const BOUNCE_SENDER = /mailer-daemon|postmaster|mail delivery|mail ?administrator|mdaemon|mail system|bounce|returned/i;
const BOUNCE_SUBJECT =
  /undeliver|undelivered|delivery (status notification|failure|failed|has failed|problem|report|notification)|failure notice|returned mail|mail delivery failed|could not be delivered|delivery (has )?failed|not (be )?delivered|nondeliverable|non-delivery|rejected|bounce|error|warning|delayed|mail system error|failed|loop (alert|detected)|配信|不能|退信|未送达|失败|エラー|не доставлено/i;
const DELAY_TEXT =
  /has not yet been delivered|has been delayed|delivery (is |has been )?delayed|will (continue to )?(be )?retr(y|ied)|still trying|warning message only|do not need to re-?send|temporary failure report|delivery attempts will continue|is delayed/i;
const AUTO_REPLY_SUBJECT = /out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response|antwort)|^auto:|vacation|abwesenheit|absence|away from|自動応答|自动回复|不在/i;

/** What kind of message this is, before any reason is looked for. */
export function kindOf(headers: HeaderFields, parts: ReportParts, hasFailureEvidence: boolean): BounceKind {
  const contentType = headerValue(headers, "content-type") ?? "";
  if (parts.feedbackReport || /report-type\s*=\s*"?feedback-report/i.test(contentType)) return "complaint";
  const actions = parts.deliveryStatus.map((recipient) => recipient.action ?? "");
  if (actions.includes("failed")) return "bounce";
  if (actions.includes("delayed")) return "delay";
  if (actions.length > 0 && actions.every((action) => ["delivered", "relayed", "expanded"].includes(action))) return "not_a_bounce";
  const fromDaemon = BOUNCE_SENDER.test(headerValue(headers, "from") ?? "");
  const bounceSubject = BOUNCE_SUBJECT.test(headerValue(headers, "subject") ?? "");
  if (!hasFailureEvidence && !fromDaemon && !bounceSubject) return isAutoReply(headers) ? "auto_reply" : "not_a_bounce";
  if (isAutoReply(headers) && !fromDaemon && !hasFailureEvidence) return "auto_reply";
  if (DELAY_TEXT.test(parts.notification) && !/permanent|given up|giving up/i.test(parts.notification)) return "delay";
  return "bounce";
}

/**
 * Sent by a machine rather than written by a person: an out-of-office or other automatic answer
 * (RFC 3834 Auto-Submitted, the X-Autoreply family, its usual subjects) or bulk or list mail
 * (Precedence). Replies count these apart, and group addresses never pass them on.
 */
export function isAutomatic(headers: HeaderFields): boolean {
  const precedence = headerValue(headers, "precedence")?.trim().toLowerCase() ?? "";
  const autoSubmitted = headerValue(headers, "auto-submitted")?.trim().toLowerCase() ?? "no";
  return isAutoReply(headers) || autoSubmitted !== "no" || ["bulk", "junk", "list", "auto_reply"].includes(precedence);
}

function isAutoReply(headers: HeaderFields): boolean {
  const autoSubmitted = headerValue(headers, "auto-submitted")?.toLowerCase() ?? "";
  return (
    autoSubmitted.startsWith("auto-replied") ||
    headers.has("x-autoreply") ||
    headers.has("x-autorespond") ||
    AUTO_REPLY_SUBJECT.test(headerValue(headers, "subject") ?? "")
  );
}
