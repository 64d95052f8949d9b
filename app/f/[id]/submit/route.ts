import { getDb } from "@/lib/database";
import { readEnv } from "@/lib/config/env";
import { definePublicRoute } from "@/lib/entry/public-route";
import { readFormValues } from "@/lib/forms/body";
import { formLanguage, publicSignupForm } from "@/lib/forms/public";
import { TYPED_COOKIE, TYPED_COOKIE_SECONDS, encodeFormErrors, encodeTypedValues } from "@/lib/forms/round-trip";
import { submitSignupForm, type FormError } from "@/lib/forms/submission";

/** A few fields of text: far more than a person types into a sign-up form. */
const FORM_BODY_BYTES = 64 * 1024;

/**
 * The hosted form's post, from its own page or from the snippet on any other site (a plain HTML
 * form post: no CORS, no cookie needed). Always answers 303 — to the thanks page, or back to the
 * form with the refusals in the URL and what was typed in a short-lived cookie — so a reload never
 * posts twice. Public by design: the form's id is published, and the limits are the per-IP ones.
 */
export const POST = definePublicRoute<{ id: string }>({
  maxBodyBytes: FORM_BODY_BYTES,
  handle: async ({ request, params, ip, body }) => {
    const db = await getDb();
    const form = await publicSignupForm(db, params.id);
    if (!form) return new Response("Not found\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
    const values = await readFormValues(await body(), request.headers.get("content-type"));
    const language = formLanguage(values?.lang, request.headers.get("accept-language"), form.language);
    const page = `/f/${form.id}`;
    const cookie = (value: string, seconds: number) =>
      `${TYPED_COOKIE}=${value}; Path=${page}; Max-Age=${seconds}; HttpOnly; SameSite=Lax${/^https:/i.test(readEnv().publicUrl ?? "") ? "; Secure" : ""}`;
    const back = (errors: FormError[], typed: Record<string, string>) =>
      seeOther(`${page}?lang=${language}&errors=${encodeFormErrors(errors)}`, cookie(encodeTypedValues(typed), TYPED_COOKIE_SECONDS));
    if (!values) return back([{ field: "form", reason: "formNotAForm" }], {});
    const outcome = await submitSignupForm(db, form, values, ip);
    if (!outcome.ok) return back(outcome.errors, values);
    return seeOther(`${page}/thanks?lang=${language}`, cookie("", 0));
  },
});

function seeOther(location: string, cookie: string): Response {
  return new Response(null, { status: 303, headers: { location, "set-cookie": cookie, "cache-control": "no-store" } });
}
