import type { BounceCategory } from "@/db/schema";
import { categoryOfStatus } from "./status-code";
import { findWording, type Wording } from "./vocabulary";

export type DiagnosticInput = { status?: string | null; code?: number | null; text?: string | null };

/** The first wording of the vocabulary a reply uses, or undefined when it uses none. */
export function wordingOf(text: string | null | undefined): Wording | undefined {
  return text ? findWording(text) : undefined;
}

/** Classifies one reply text (SMTP reply at send time, provider message, DSN diagnostic). */
export function classifyDiagnostic(input: DiagnosticInput): { category: BounceCategory; hard: boolean } {
  const status = input.status ?? enhancedStatusIn(input.text);
  const code = input.code ?? smtpCodeIn(input.text);
  const permanent = isPermanent(status, code, input.text);
  const category = decideCategory(status, code, wordingOf(input.text))?.category ?? categoryOfCode(code);
  return { category, hard: permanent ?? category !== "other" };
}

/** Strong words, then a decisive status code, then weak words, then any status code; undefined when none speaks. */
export function decideCategory(status: string | null, code: number | null, wording: Wording | undefined) {
  const byStatus = categoryOfStatus(status);
  const transientDomainTrouble = wording?.aboutDomain && isPermanent(status, code) === false;
  if (wording?.strong) return { category: transientDomainTrouble ? "other" : wording.category, decided: true } as const;
  if (byStatus?.decisive) return { category: byStatus.category, decided: true } as const;
  if (wording) return { category: wording.category, decided: true } as const;
  if (byStatus) return { category: byStatus.category, decided: true } as const;
  return undefined;
}

function categoryOfCode(code: number | null | undefined): BounceCategory {
  if (code === 552) return "mailbox_full";
  if (code === 550 || code === 551 || code === 553) return "user_unknown";
  if (code === 554 || code === 571) return "rejected";
  return "other";
}

/** True for 5xx / permanent, false for 4xx / temporary, null when nothing says. */
export function isPermanent(status: string | null | undefined, code: number | null | undefined, text?: string | null): boolean | null {
  if (status) return status.startsWith("5");
  if (code) return code >= 500;
  if (/permanent/i.test(text ?? "")) return true;
  if (/temporar|delayed|will (be )?retr|try (again|later)/i.test(text ?? "")) return false;
  return null;
}

const ENHANCED_STATUS = /(?<![\w.])([45])\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)/;

const REPLY_WITH_STATUS = /(?<![\w.])[45]\d\d[\s-]+'?(?:[45]\d\d[\s-]+)?([45]\.\d{1,3}\.\d{1,3})(?![\w]|\.\d)/;

/** The enhanced status code of a reply: the one right after the SMTP code when there is one, else the first. */
export function enhancedStatusIn(text: string | null | undefined): string | null {
  return REPLY_WITH_STATUS.exec(text ?? "")?.[1] ?? ENHANCED_STATUS.exec(text ?? "")?.[0] ?? null;
}

export function smtpCodeIn(text: string | null | undefined): number | null {
  const match = /(?<![\w.-])([45][0-5]\d)(?=[\s-]|$)(?![\s-]*\d+\.\d+\.\d+\.\d)/.exec(text ?? "");
  return match ? Number(match[1]) : null;
}
