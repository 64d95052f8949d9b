import type { BounceCategory } from "@/db/schema";
import { classifyDiagnostic, decideCategory, enhancedStatusIn, isPermanent, smtpCodeIn, wordingOf } from "./classify";
import { addressOf, type DsnRecipient } from "./dsn";
import { kindOf, type BounceKind } from "./kind";
import { headerValue, parseMessage, toBinaryString, type HeaderFields } from "./mime";
import { collectParts, type ReportParts } from "./parts";
import { oneLine, readPlainBounce } from "./plain-text";
import type { Reason } from "./vocabulary";

type AnalysisFields = {
  hard: boolean;
  status: string | null;
  recipient: string | null;
  diagnostic: string;
  originalMessageId: string | null;
  feedbackType?: string;
  /** Sisimai-style finer reason (userunknown, requireptr …) of a bounce or delay, when its words name one. */
  reason?: Reason;
};

/**
 * A bounce or a delay always has a category (`other` when no words, code or status speak); the other
 * kinds of message have none.
 */
export type BounceAnalysis =
  | (AnalysisFields & { kind: Extract<BounceKind, "bounce" | "delay">; category: BounceCategory })
  | (AnalysisFields & { kind: Exclude<BounceKind, "bounce" | "delay">; category: null });

/**
 * A report is read up to its first MiB: its own parts come first, and of the returned message after
 * them only the headers are used. With the caps of the MIME reader this bounds the work per message
 * whatever its size (the SMTP entrance and the inbound webhook take up to 10 MB).
 */
export const MAX_ANALYZED_BYTES = 1024 * 1024;

export async function analyzeMessage(raw: Buffer | string): Promise<BounceAnalysis> {
  const root = parseMessage(toBinaryString(raw, MAX_ANALYZED_BYTES));
  const parts = collectParts(root);
  const originalMessageId = messageIdOf(parts.originalHeaders);
  const failure = failureOf(root.headers, parts);
  const kind = kindOf(root.headers, parts, failure.evidence);
  if (kind === "complaint") {
    return {
      kind,
      category: null,
      hard: false,
      status: null,
      recipient: addressOf(headerValue(parts.feedbackReport ?? new Map(), "original-rcpt-to")) ?? addressOf(headerValue(parts.originalHeaders ?? new Map(), "to")),
      diagnostic: "",
      originalMessageId,
      feedbackType: headerValue(parts.feedbackReport ?? new Map(), "feedback-type")?.toLowerCase() ?? "abuse",
    };
  }
  if (kind === "auto_reply" || kind === "not_a_bounce") {
    return { kind, category: null, hard: false, status: null, recipient: null, diagnostic: "", originalMessageId };
  }
  const verdict = classifyFailure(failure, parts.notification);
  return {
    kind,
    category: verdict.category,
    hard: kind === "bounce" && verdict.hard,
    status: failure.status,
    recipient: failure.recipient,
    diagnostic: failure.diagnostic,
    originalMessageId,
    ...(verdict.reason ? { reason: verdict.reason } : {}),
  };
}

const FAILURE_WORDS =
  /could not be delivered|couldn't be delivered|cannot be delivered|was not delivered|not be delivered|undeliverable|delivery (has )?failed|failed permanently|permanent (error|failure)|delivery to the following recipient|送信できませんでした|配信できませんでした|无法送达|未能送达|退信/i;

type Failure = { recipient: string | null; status: string | null; diagnostic: string; action: string | null; evidence: boolean };

/** The failed recipient and the reply about it, from the RFC 3464 report when there is one, else from the text. */
function failureOf(headers: HeaderFields, parts: ReportParts): Failure {
  const ignored = new Set([addressOf(headerValue(headers, "to")), addressOf(headerValue(headers, "from")), addressOf(headerValue(parts.originalHeaders ?? new Map(), "from"))].filter((address): address is string => !!address));
  const text = readPlainBounce(parts.notification, ignored);
  const reported = pickRecipient(parts.deliveryStatus);
  const failedHeader = addressOf(headerValue(headers, "x-failed-recipients"));
  const diagnostic = reported?.diagnostic ? oneLine(reported.diagnostic) : text.diagnostic;
  return {
    recipient: reported?.recipient ?? failedHeader ?? text.recipient,
    status: preciseStatus(reported?.status ?? null, reported ? enhancedStatusIn(diagnostic) : text.status),
    diagnostic,
    action: reported?.action ?? null,
    evidence: parts.deliveryStatus.length > 0 || !!failedHeader || /\b[45]\d\d\b|[45]\.\d\.\d/.test(text.diagnostic) || FAILURE_WORDS.test(parts.notification),
  };
}

function pickRecipient(recipients: DsnRecipient[]): DsnRecipient | undefined {
  return recipients.find((recipient) => recipient.action === "failed") ?? recipients.find((recipient) => recipient.action === "delayed") ?? recipients[0];
}

/** The remote server's own code is more precise than the one the reporting MTA sums it up with. */
function preciseStatus(reported: string | null, replied: string | null): string | null {
  const usable = (status: string | null) => (status && !/^\d\.0\.9\d\d$/.test(status) ? status : null);
  return usable(replied) ?? usable(reported);
}

// A refusal at MAIL FROM or at connection time is about the sender, whatever words it uses.
const SENDER_STAGE = /(after|in reply to) (the )?(mail from|initial connection|connect|helo|ehlo)|(sender|my name) was rejected/i;

function classifyFailure(failure: Failure, notification: string): { category: BounceCategory; hard: boolean; reason?: Reason } {
  const text = failure.diagnostic;
  const code = smtpCodeIn(text);
  const hard = isPermanent(failure.status, code, text) ?? (failure.action === "failed" || /permanent/i.test(notification));
  let words = wordingOf(text);
  let decided = decideCategory(failure.status, code, words);
  if (!decided) {
    words = wordingOf(notification);
    decided = decideCategory(failure.status, code, words);
  }
  let category = decided?.category ?? classifyDiagnostic({ status: failure.status, code, text }).category;
  if (category === "user_unknown" && SENDER_STAGE.test(notification)) category = "rejected";
  if (!code && failure.recipient?.endsWith("@googlegroups.com")) category = "rejected"; // Google Groups refusing a post
  // The finer reason is the words' when they agree with the category finally chosen.
  return words?.category === category ? { category, hard, reason: words.reason } : { category, hard };
}

function messageIdOf(headers: HeaderFields | null): string | null {
  const value = headers ? headerValue(headers, "message-id") : undefined;
  return /<[^<>\s]+>/.exec(value ?? "")?.[0] ?? null;
}
