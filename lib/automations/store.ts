import "server-only";
import { and, count, desc, eq, sql } from "drizzle-orm";
import { queryRows } from "@/db/client";
import { toArray } from "@/db/sql";
import { automationEnrolments, automations, pools, tags, tasks, type Automation, type AutomationStatus, type AutomationStep, type AutomationTrigger } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { authorize, departmentScope, resolveTargetDepartment } from "@/lib/access/policy";
import { recordAudit } from "@/lib/audit/record";
import { AppError, conflict, invalidInput, notFound } from "@/lib/errors";
import { isUuid } from "@/lib/ids";
import { checkTagNames } from "@/lib/pools/tag-names";
import { loadSender } from "@/lib/senders/senders";
import { assertTemplateUsable } from "@/lib/templates/store";
import { AUTOMATION_LIMITS } from "@/lib/campaigns/limits";

/*
 * Automations as people make and run them (issue 18, decision 0096): checked, audited, listed with
 * their department filter, paused and resumed. The engine that moves contacts through them is
 * engine.ts; what enrols them is enrol.ts and dates.ts.
 */

export { AUTOMATION_LIMITS };

export type AutomationInput = { name: string; trigger: AutomationTrigger; steps: AutomationStep[]; senderId: string; departmentId?: string | null; status?: AutomationStatus };

const stepField = (index: number) => `steps.${index}`;

async function checkTrigger(ctx: Ctx, trigger: AutomationTrigger, departmentId: string): Promise<AutomationTrigger> {
  const inDepartment = async (found: { departmentId: string } | undefined, what: "pool" | "tag" | "task", field: string) => {
    if (!found) throw invalidInput("automationTriggerMissing", { field, params: { what } });
    if (found.departmentId !== departmentId) throw invalidInput("automationTriggerOfOtherDepartment", { field, params: { what } });
  };
  switch (trigger?.type) {
    case "subscribed": {
      const [pool] = isUuid(trigger.poolId) ? await ctx.db.select({ departmentId: pools.departmentId }).from(pools).where(eq(pools.id, trigger.poolId)) : [];
      await inDepartment(pool, "pool", "trigger.poolId");
      return { type: "subscribed", poolId: trigger.poolId };
    }
    case "tag_added": {
      const [tag] = isUuid(trigger.tagId) ? await ctx.db.select({ departmentId: tags.departmentId }).from(tags).where(eq(tags.id, trigger.tagId)) : [];
      await inDepartment(tag, "tag", "trigger.tagId");
      return { type: "tag_added", tagId: trigger.tagId };
    }
    case "clicked": {
      const [task] = isUuid(trigger.taskId) ? await ctx.db.select({ departmentId: tasks.departmentId }).from(tasks).where(eq(tasks.id, trigger.taskId)) : [];
      await inDepartment(task, "task", "trigger.taskId");
      return { type: "clicked", taskId: trigger.taskId };
    }
    case "date_attribute": {
      const attribute = (trigger.attribute ?? "").trim();
      if (!attribute || attribute.length > 100) throw invalidInput("automationAttributeInvalid", { field: "trigger.attribute" });
      if (!Number.isInteger(trigger.daysBefore) || trigger.daysBefore < 0 || trigger.daysBefore > AUTOMATION_LIMITS.maxDaysBefore) {
        throw invalidInput("automationDaysBeforeOutOfRange", { field: "trigger.daysBefore", params: { max: AUTOMATION_LIMITS.maxDaysBefore } });
      }
      return { type: "date_attribute", attribute, yearly: trigger.yearly === true, daysBefore: trigger.daysBefore };
    }
    default:
      throw invalidInput("automationTriggerUnknown", { field: "trigger.type" });
  }
}

/** Each step checked where it stands: a wait's hours, a send's template (the department's, e-mail, usable), a tag step's names, a branch's targets (forward only, so no step runs twice). */
async function checkSteps(ctx: Ctx, steps: AutomationStep[], departmentId: string): Promise<AutomationStep[]> {
  if (!Array.isArray(steps) || steps.length === 0 || steps.length > AUTOMATION_LIMITS.maxSteps) {
    throw invalidInput("automationStepCount", { field: "steps", params: { max: AUTOMATION_LIMITS.maxSteps } });
  }
  const checked: AutomationStep[] = [];
  for (const [index, step] of steps.entries()) {
    const field = stepField(index);
    const params = { step: index + 1 };
    switch (step?.type) {
      case "wait":
        if (!Number.isInteger(step.hours) || step.hours < 1 || step.hours > AUTOMATION_LIMITS.maxWaitHours) {
          throw invalidInput("automationWaitOutOfRange", { field, params: { ...params, max: AUTOMATION_LIMITS.maxWaitHours } });
        }
        checked.push({ type: "wait", hours: step.hours });
        break;
      case "send": {
        const template = await assertTemplateUsable(ctx, step.templateId).catch((error: unknown) => {
          throw error instanceof AppError && error.code === "not_found" ? invalidInput("automationTemplateMissing", { field, params }) : error;
        });
        if (template.departmentId !== departmentId) throw invalidInput("templateOfOtherDepartment", { field, params });
        if (template.channel !== "email") throw invalidInput("automationTemplateNotEmail", { field, params });
        checked.push({ type: "send", templateId: template.id });
        break;
      }
      case "tag": {
        const add = checkTagNames(step.add ?? []);
        const remove = checkTagNames(step.remove ?? []);
        if (!add.ok) throw invalidInput(add.reason, { field, params: { ...params, ...add.params } });
        if (!remove.ok) throw invalidInput(remove.reason, { field, params: { ...params, ...remove.params } });
        if (add.names.length + remove.names.length === 0) throw invalidInput("nothingToTag", { field, params });
        checked.push({ type: "tag", add: add.names, remove: remove.names });
        break;
      }
      case "branch": {
        const target = (next: number | null | undefined) => next === null || next === undefined || (Number.isInteger(next) && next > index && next < steps.length);
        if (!Number.isInteger(step.sendStep) || step.sendStep >= index || steps[step.sendStep]?.type !== "send") throw invalidInput("automationBranchNeedsSend", { field, params });
        if (!target(step.yes) || !target(step.no)) throw invalidInput("automationBranchBackwards", { field, params });
        if (step.on !== "opened" && step.on !== "clicked") throw invalidInput("automationBranchOn", { field, params });
        checked.push({ type: "branch", on: step.on, sendStep: step.sendStep, yes: step.yes ?? null, no: step.no ?? null });
        break;
      }
      default:
        throw invalidInput("automationStepUnknown", { field, params });
    }
  }
  if (!checked.some((step) => step.type === "send")) throw invalidInput("automationNeedsSend", { field: "steps" });
  return checked;
}

export async function createAutomation(ctx: Ctx, input: AutomationInput): Promise<AutomationView> {
  const departmentId = resolveTargetDepartment(ctx.actor, input.departmentId);
  authorize(ctx.actor, "tasks.manage", { departmentId });
  const name = (input.name ?? "").trim();
  if (!name) throw invalidInput("automationNameMissing", { field: "name" });
  if (name.length > 200) throw invalidInput("automationNameTooLong", { field: "name" });
  const trigger = await checkTrigger(ctx, input.trigger, departmentId);
  const steps = await checkSteps(ctx, input.steps, departmentId);
  const sender = await loadSender(ctx, input.senderId ?? "").catch((error: unknown) => {
    throw error instanceof AppError && error.code === "not_found" ? invalidInput(error.reason, { field: "senderId", params: error.params }) : error;
  });
  if (sender.departmentId !== departmentId) throw invalidInput("senderOfOtherDepartment", { field: "senderId" });
  const row = await ctx.db.transaction(async (tx) => {
    const [made] = await tx
      .insert(automations)
      .values({ departmentId, name, trigger, steps, senderId: sender.id, status: input.status ?? "active", createdBy: ctx.actor.label })
      .returning();
    await recordAudit(tx, ctx.actor, { action: "automation.create", objectType: "automation", objectId: made!.id, departmentId, summary: { key: "automation.create", params: { name, steps: steps.length } } });
    return made!;
  });
  return (await automationViews(ctx, [row]))[0]!;
}

async function loadAutomation(ctx: Ctx, id: string, permission: "tasks.view" | "tasks.manage"): Promise<Automation> {
  if (!isUuid(id)) throw notFound("automation");
  const [row] = await ctx.db.select().from(automations).where(eq(automations.id, id));
  if (!row) throw notFound("automation");
  authorize(ctx.actor, permission, { departmentId: row.departmentId });
  return row;
}

/** Pauses (enrolments wait where they are, new ones still recorded) or resumes (they go on from there) an automation. */
export async function setAutomationStatus(ctx: Ctx, id: string, status: AutomationStatus): Promise<AutomationView> {
  const current = await loadAutomation(ctx, id, "tasks.manage");
  const row = await ctx.db.transaction(async (tx) => {
    const [changed] = await tx
      .update(automations)
      .set({ status, updatedAt: new Date() })
      .where(and(eq(automations.id, id), sql`${automations.status} <> ${status}`))
      .returning();
    if (!changed) throw conflict("automationAlready", { params: { status } });
    const action = status === "paused" ? "automation.pause" : "automation.resume";
    await recordAudit(tx, ctx.actor, { action, objectType: "automation", objectId: id, departmentId: current.departmentId, summary: { key: status === "paused" ? "automation.pause" : "automation.resume", params: { name: current.name } } });
    return changed;
  });
  return (await automationViews(ctx, [row]))[0]!;
}

/**
 * Deletes an automation and its enrolments (their step runs go with them; the messages it sent stay,
 * as the tasks and deliveries they are). An enrolment in the middle of a step finishes that step
 * first (the delete waits for its lock) and is then gone. Audited with how many it had enrolled.
 */
export async function deleteAutomation(ctx: Ctx, id: string): Promise<{ id: string; name: string; enrolled: number }> {
  const current = await loadAutomation(ctx, id, "tasks.manage");
  return ctx.db.transaction(async (tx) => {
    const [enrolled] = await tx.select({ value: count() }).from(automationEnrolments).where(eq(automationEnrolments.automationId, id));
    const deleted = await tx.delete(automations).where(eq(automations.id, id)).returning({ id: automations.id });
    if (deleted.length === 0) throw notFound("automation");
    const total = enrolled?.value ?? 0;
    await recordAudit(tx, ctx.actor, {
      action: "automation.delete",
      objectType: "automation",
      objectId: id,
      departmentId: current.departmentId,
      summary: { key: "automation.delete", params: { name: current.name, count: total } },
    });
    return { id, name: current.name, enrolled: total };
  });
}

export async function getAutomation(ctx: Ctx, id: string): Promise<AutomationView> {
  return (await automationViews(ctx, [await loadAutomation(ctx, id, "tasks.view")]))[0]!;
}

export async function listAutomations(ctx: Ctx, options: { offset?: number; limit?: number } = {}): Promise<AutomationView[]> {
  authorize(ctx.actor, "tasks.view");
  const rows = await ctx.db
    .select()
    .from(automations)
    .where(departmentScope(ctx.actor, automations.departmentId))
    .orderBy(desc(automations.createdAt))
    .offset(options.offset ?? 0)
    .limit(Math.min(options.limit ?? 50, 200));
  return automationViews(ctx, rows);
}

export type StepFigures = { at: number; ran: number; sent: number; opened: number; clicked: number; yes: number; no: number };

/** An automation as the API answers it: its definition and how its enrolments stand, overall and at each step. */
export type AutomationView = Awaited<ReturnType<typeof automationViews>>[number];

async function automationViews(ctx: Ctx, rows: Automation[]) {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const counts = await queryRows<{ automation_id: string; status: string; step: number; n: number }>(
    ctx.db,
    sql`select automation_id, status, step, count(*)::int as n from automation_enrolments where automation_id = any(${toArray(ids)}::uuid[]) group by 1, 2, 3`,
  );
  const runs = await queryRows<{ automation_id: string; step: number; ran: number; sent: number; opened: number; clicked: number; yes: number; no: number }>(
    ctx.db,
    sql`select e.automation_id, r.step, count(*)::int as ran,
               count(*) filter (where r.outcome = 'sent')::int as sent,
               count(*) filter (where r.outcome = 'yes')::int as yes, count(*) filter (where r.outcome = 'no')::int as no,
               count(d.id) filter (where d.first_open_at is not null or d.first_click_at is not null)::int as opened,
               count(d.id) filter (where d.first_click_at is not null)::int as clicked
        from automation_step_runs r join automation_enrolments e on e.id = r.enrolment_id
        left join contacts c on c.id = e.contact_id
        left join deliveries d on d.task_id = r.task_id and d.email = c.email
        where e.automation_id = any(${toArray(ids)}::uuid[])
        group by 1, 2`,
  );
  return rows.map((row) => {
    const mine = counts.filter((count) => count.automation_id === row.id);
    const total = (status: string) => mine.filter((count) => count.status === status).reduce((sum, count) => sum + Number(count.n), 0);
    return {
      id: row.id,
      departmentId: row.departmentId,
      name: row.name,
      status: row.status,
      trigger: row.trigger,
      steps: row.steps,
      senderId: row.senderId,
      createdAt: row.createdAt.toISOString(),
      createdBy: row.createdBy,
      enrolments: { active: total("active"), done: total("done"), stopped: total("stopped") },
      stepFigures: row.steps.map((_, index): StepFigures => {
        const run = runs.find((one) => one.automation_id === row.id && Number(one.step) === index);
        const at = mine.filter((count) => count.status === "active" && Number(count.step) === index).reduce((sum, count) => sum + Number(count.n), 0);
        return { at, ran: Number(run?.ran ?? 0), sent: Number(run?.sent ?? 0), opened: Number(run?.opened ?? 0), clicked: Number(run?.clicked ?? 0), yes: Number(run?.yes ?? 0), no: Number(run?.no ?? 0) };
      }),
    };
  });
}

/** The welcome series offered first on the console: a welcome at once, a follow-up after two days, and a third only to those who did not open the first. */
export function welcomeSeries(templates: { welcome: string; followUp: string; reminder: string }): AutomationStep[] {
  return [
    { type: "send", templateId: templates.welcome },
    { type: "wait", hours: 48 },
    { type: "send", templateId: templates.followUp },
    { type: "wait", hours: 72 },
    { type: "branch", on: "opened", sendStep: 0, yes: null, no: 5 },
    { type: "send", templateId: templates.reminder },
  ];
}

