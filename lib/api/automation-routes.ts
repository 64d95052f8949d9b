import "server-only";
import type { ApiRoute } from "./registry";
import { automation, automationList, deletedAutomation, createAutomationBody } from "./schemas/automations";
import { idPath } from "./schemas/common";

/** Pause and resume: a POST on one automation answering it (as registry.ts's taskAction for tasks). */
const statusChange = (summary: string) =>
  ({
    method: "post",
    summary,
    auth: "apikey",
    permission: "tasks.manage",
    params: idPath,
    status: 200,
    answer: { description: "The automation", schema: automation },
    errors: [400, 403, 404, 409],
  }) as const;

/** The /api/v1/automations operations (registry.ts spreads them into apiRoutes). */
export const automationRoutes = {
  listAutomations: {
    method: "get",
    path: "/automations",
    summary: "Automations the key may see, newest first, with how their enrolments stand",
    auth: "apikey",
    permission: "tasks.view",
    status: 200,
    answer: { description: "Automations", schema: automationList },
    errors: [403],
  },
  createAutomation: {
    method: "post",
    path: "/automations",
    summary: "Create an automation: a trigger (a subscription to a pool, a tag added, a date attribute coming round, a click in a task) and steps (wait, send, tag, branch on opened or clicked)",
    auth: "apikey",
    permission: "tasks.manage",
    body: createAutomationBody,
    status: 201,
    answer: { description: "The automation", schema: automation },
    errors: [400, 403],
  },
  getAutomation: {
    method: "get",
    path: "/automations/{id}",
    summary: "An automation with its enrolments and each step's figures",
    auth: "apikey",
    permission: "tasks.view",
    params: idPath,
    status: 200,
    answer: { description: "The automation", schema: automation },
    errors: [400, 403, 404],
  },
  pauseAutomation: { ...statusChange("Pause: every enrolment waits at its step until the automation is resumed"), path: "/automations/{id}/pause" },
  resumeAutomation: { ...statusChange("Resume: enrolments go on from the step they were at (waits already over run at once)"), path: "/automations/{id}/resume" },
  deleteAutomation: {
    method: "delete",
    path: "/automations/{id}",
    summary: "Delete an automation: its enrolled contacts leave the series at once; what it already sent stays in the tasks and logs",
    auth: "apikey",
    permission: "tasks.manage",
    params: idPath,
    status: 200,
    answer: { description: "What was deleted", schema: deletedAutomation },
    errors: [400, 403, 404],
  },
} as const satisfies Record<string, ApiRoute>;
