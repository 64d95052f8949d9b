import "server-only";
import { and, eq } from "drizzle-orm";
import type { Executor } from "@/db/client";
import { signupForms } from "@/db/schema";
import { isUuid } from "@/lib/ids";
import { safeColour, safeLogoUrl, type FormLanguage } from "./settings";
import { signupFormColumns } from "./store";

const { enabled: _enabled, updatedAt: _updatedAt, ...publicColumns } = signupFormColumns;

/** What the public page and the submission read of a form: its look made safe, nothing of the department but its id. */
export type PublicForm = {
  id: string;
  poolId: string;
  departmentId: string;
  title: string;
  intro: string;
  askName: boolean;
  fields: { attribute: string; label: string; required: boolean }[];
  consentText: string;
  logoUrl: string;
  colour: string;
  language: FormLanguage;
};

/**
 * An enabled form by its public id, or null (unknown, switched off, or not an id): the page and
 * the submission both answer 404 then. The id is a random UUID, published on purpose.
 */
export async function publicSignupForm(db: Executor, id: string): Promise<PublicForm | null> {
  if (!isUuid(id)) return null;
  const [form] = await db
    .select(publicColumns)
    .from(signupForms)
    .where(and(eq(signupForms.id, id), eq(signupForms.enabled, true)));
  if (!form) return null;
  return { ...form, colour: safeColour(form.colour), logoUrl: safeLogoUrl(form.logoUrl) };
}

/**
 * The page's language: `?lang=zh|en` (the page's own switch, and the snippet's hidden field), else
 * the first of Chinese or English the browser prefers (Accept-Language, by weight), else the form's.
 */
export function formLanguage(requested: string | null | undefined, acceptLanguage: string | null, fallback: FormLanguage): FormLanguage {
  if (requested === "zh" || requested === "en") return requested;
  let best: { language: FormLanguage; weight: number } | null = null;
  for (const part of (acceptLanguage ?? "").split(",").slice(0, 20)) {
    const [tag = "", ...options] = part.trim().toLowerCase().split(";");
    const language = tag === "zh" || tag.startsWith("zh-") ? "zh" : tag === "en" || tag.startsWith("en-") ? "en" : null;
    if (!language) continue;
    const q = options.map((option) => /^\s*q=([0-9.]+)\s*$/.exec(option)?.[1]).find((value) => value !== undefined);
    const weight = q === undefined ? 1 : Number(q);
    if (Number.isFinite(weight) && weight > 0 && (!best || weight > best.weight)) best = { language, weight };
  }
  return best?.language ?? fallback;
}
