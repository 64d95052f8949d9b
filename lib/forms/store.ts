import "server-only";
import { and, eq } from "drizzle-orm";
import { signupForms } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import { validationAppError } from "@/lib/entry/validation";
import { loadPool, type PoolView } from "@/lib/pools/pools";
import type { PublicForm } from "./public";
import { signupFormSettings, type SignupFormSettingsInput } from "./settings";

/** What the console shows and edits of a pool's form. */
export const signupFormColumns = {
  id: signupForms.id,
  poolId: signupForms.poolId,
  departmentId: signupForms.departmentId,
  enabled: signupForms.enabled,
  title: signupForms.title,
  intro: signupForms.intro,
  askName: signupForms.askName,
  fields: signupForms.fields,
  consentText: signupForms.consentText,
  logoUrl: signupForms.logoUrl,
  colour: signupForms.colour,
  language: signupForms.language,
  updatedAt: signupForms.updatedAt,
};

export type SignupFormView = PublicForm & { enabled: boolean; updatedAt: Date };

/** A pool (the caller's to manage) and its sign-up form, null while none was saved. */
export async function loadSignupForm(ctx: Ctx, poolId: string): Promise<{ pool: PoolView; form: SignupFormView | null }> {
  const pool = await loadPool(ctx, poolId);
  const [form] = await ctx.db
    .select(signupFormColumns)
    .from(signupForms)
    .where(and(eq(signupForms.poolId, pool.id), departmentScope(ctx.actor, signupForms.departmentId)));
  return { pool, form: form ?? null };
}

/**
 * Creates or replaces a pool's form (one per pool), audited as `form.update`. The settings are
 * checked here whoever calls, each refusal naming its field; the form belongs to the pool's
 * department, which the caller must manage.
 */
export async function saveSignupForm(ctx: Ctx, poolId: string, input: SignupFormSettingsInput): Promise<SignupFormView> {
  authorize(ctx.actor, "pools.manage");
  const parsed = signupFormSettings.safeParse(input);
  if (!parsed.success) throw validationAppError(parsed.error, input);
  const settings = parsed.data;
  return ctx.db.transaction(async (tx) => {
    const pool = await loadPool({ db: tx, actor: ctx.actor }, poolId, { forUpdate: true });
    const [form] = await tx
      .insert(signupForms)
      .values({ ...settings, poolId: pool.id, departmentId: pool.departmentId })
      .onConflictDoUpdate({ target: signupForms.poolId, set: { ...settings, departmentId: pool.departmentId, updatedAt: new Date() } })
      .returning(signupFormColumns);
    await recordAudit(tx, ctx.actor, {
      action: "form.update",
      objectType: "signup_form",
      objectId: form!.id,
      departmentId: pool.departmentId,
      summary: { key: settings.enabled ? "form.update" : "form.updateOff", params: { title: settings.title, pool: pool.name, fields: settings.fields.length } },
    });
    return form!;
  });
}
