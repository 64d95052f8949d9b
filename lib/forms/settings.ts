import { z } from "zod";
import { MAX_ATTRIBUTE_KEY } from "@/lib/pools/contact-limits";

/** How much a hosted sign-up form may hold: a short page, never a survey. */
export const FORM_LIMITS = { fields: 10, title: 200, intro: 2000, label: 100, consent: 1000, logoUrl: 500, attribute: MAX_ATTRIBUTE_KEY } as const;
export const FORM_LANGUAGES = ["zh", "en"] as const;
export type FormLanguage = (typeof FORM_LANGUAGES)[number];
export const DEFAULT_COLOUR = "#2563eb";

const COLOUR = /^#[0-9a-f]{6}$/i;
/** The contact's own columns: a form asks for them by its address box and "ask name", never as attributes. */
const RESERVED_ATTRIBUTES = new Set(["email", "name"]);
// Control characters (C0, DEL, C1) and the replacement character a badly decoded byte leaves.
const UNREADABLE = /[\u0000-\u001f\u007f-\u009f\ufffd]/;

/** A colour the page may paint with: `#rrggbb` as stored, else the default (a value is never CSS of the department's own). */
export function safeColour(value: string): string {
  return COLOUR.test(value) ? value.toLowerCase() : DEFAULT_COLOUR;
}

/** A logo the page may show: an https URL, else none. */
export function safeLogoUrl(value: string): string {
  if (!value || value.length > FORM_LIMITS.logoUrl) return "";
  try {
    return new URL(value).protocol === "https:" ? value : "";
  } catch {
    return "";
  }
}

const text = (max: number) => z.string().trim().max(max);
const checkbox = z.preprocess((value) => value === true || value === "on" || value === "true", z.boolean());

const field = z.object({
  attribute: z
    .string()
    .trim()
    .min(1)
    .max(FORM_LIMITS.attribute)
    .refine((name) => !UNREADABLE.test(name), { params: { rule: "formAttributeUnreadable" } })
    .refine((name) => !RESERVED_ATTRIBUTES.has(name.toLowerCase()), { params: { rule: "formAttributeReserved" } }),
  label: z.string().trim().min(1).max(FORM_LIMITS.label),
  required: checkbox,
});

/** The fields as the console posts them: a JSON list in one form value, or the list itself. */
const fieldList = z.preprocess(
  (value) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value || "[]");
    } catch {
      return null;
    }
  },
  z
    .array(field)
    .max(FORM_LIMITS.fields)
    .superRefine((fields, context) => {
      const seen = new Set<string>();
      fields.forEach((one, index) => {
        const key = one.attribute.toLowerCase();
        if (seen.has(key)) context.addIssue({ code: "custom", path: [index, "attribute"], message: "twice", params: { rule: "formAttributeTwice", values: { name: one.attribute } } });
        seen.add(key);
      });
    }),
);

/**
 * A pool's sign-up form as the console saves it. The look is two values checked here (a colour
 * `#rrggbb`, an https logo), so the public page never paints with anything the department typed.
 */
export const signupFormSettings = z.object({
  enabled: checkbox,
  title: text(FORM_LIMITS.title).min(1),
  intro: text(FORM_LIMITS.intro).optional().default(""),
  askName: checkbox,
  fields: fieldList,
  consentText: text(FORM_LIMITS.consent).optional().default(""),
  logoUrl: z
    .string()
    .trim()
    .max(FORM_LIMITS.logoUrl)
    .optional()
    .default("")
    .refine((url) => url === "" || safeLogoUrl(url) === url, { params: { rule: "notHttpsUrl", values: { max: FORM_LIMITS.logoUrl } } }),
  colour: z
    .string()
    .trim()
    .refine((colour) => COLOUR.test(colour), { params: { rule: "notColour", values: { example: DEFAULT_COLOUR } } })
    .transform((colour) => colour.toLowerCase()),
  language: z.enum(FORM_LANGUAGES),
});

export type SignupFormSettings = z.output<typeof signupFormSettings>;
export type SignupFormSettingsInput = z.input<typeof signupFormSettings>;

function luminance(colour: string): number {
  const channel = (offset: number) => {
    const value = parseInt(colour.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** White or black, whichever reads better on `colour` (either way at least 4.5:1, WCAG AA). */
export function textOn(colour: string): "#ffffff" | "#000000" {
  const light = luminance(safeColour(colour));
  return 1.05 / (light + 0.05) >= (light + 0.05) / 0.05 ? "#ffffff" : "#000000";
}
