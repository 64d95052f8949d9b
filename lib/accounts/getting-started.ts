import "server-only";
import { and, desc, eq, gt, isNull, or, type Column } from "drizzle-orm";
import { auditLog, departments, pools, senderDomains, senders, tasks, templates } from "@/db/schema";
import { authorize, departmentScope } from "@/lib/access/policy";
import type { Ctx } from "@/lib/access/context";
import { readSetting } from "./settings";

export const GETTING_STARTED_STEPS = ["department", "domain", "sender", "pool", "template", "testSend", "task"] as const;
export type GettingStartedStepKey = (typeof GETTING_STARTED_STEPS)[number];
export type GettingStartedStep = { key: GettingStartedStepKey; done: boolean; href: string };

/**
 * The dashboard's getting-started checklist, read from the data itself: each step is done when what
 * it asks for exists (for a department user, in their department). Managers read and never write,
 * so they have no checklist (tasks.manage). A department user has a department already: that step
 * is an admin's. The steps link to the page where each is done; the test send to the newest
 * template's page, where its test-send panel is.
 */
export async function gettingStarted(ctx: Ctx): Promise<GettingStartedStep[]> {
  const { db, actor } = ctx;
  authorize(actor, "tasks.manage");
  const own = (column: Column) => departmentScope(actor, column);
  const exists = async (rows: Promise<unknown[]>) => (await rows).length > 0;
  const requireVerified = await readSetting(db, "requireVerifiedDomains");
  const usable = and(eq(senderDomains.approval, "approved"), requireVerified ? eq(senderDomains.status, "verified") : undefined);
  // A department's senders may use the company-wide domains too.
  const domainScope = actor.role === "admin" ? undefined : or(own(senderDomains.departmentId), isNull(senderDomains.departmentId));
  const [department, domain, sender, pool, newestTemplate, testSend, task] = await Promise.all([
    actor.role === "admin" ? exists(db.select({ id: departments.id }).from(departments).limit(1)) : Promise.resolve(true),
    exists(db.select({ id: senderDomains.id }).from(senderDomains).where(and(usable, domainScope)).limit(1)),
    exists(db.select({ id: senders.id }).from(senders).where(own(senders.departmentId)).limit(1)),
    exists(db.select({ id: pools.id }).from(pools).where(and(gt(pools.contactCount, 0), own(pools.departmentId))).limit(1)),
    db.select({ id: templates.id }).from(templates).where(own(templates.departmentId)).orderBy(desc(templates.createdAt)).limit(1),
    // lib/templates/test-send.ts records every test send in the operation log, which is kept.
    exists(db.select({ id: auditLog.id }).from(auditLog).where(and(eq(auditLog.action, "template.test_send"), own(auditLog.departmentId))).limit(1)),
    exists(db.select({ id: tasks.id }).from(tasks).where(and(gt(tasks.sent, 0), own(tasks.departmentId))).limit(1)),
  ]);
  const template = newestTemplate[0];
  const steps: GettingStartedStep[] = [
    { key: "department", done: department, href: "/admin/departments" },
    { key: "domain", done: domain, href: "/senders" },
    { key: "sender", done: sender, href: "/senders" },
    { key: "pool", done: pool, href: "/pools" },
    { key: "template", done: template !== undefined, href: template ? "/templates" : "/templates/new" },
    { key: "testSend", done: testSend, href: template ? `/templates/${template.id}` : "/templates/new" },
    { key: "task", done: task, href: "/tasks/new" },
  ];
  return actor.role === "admin" ? steps : steps.filter((step) => step.key !== "department");
}
