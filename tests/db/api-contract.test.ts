import path from "node:path";
import { createAutomation } from "@/lib/automations/store";
import SwaggerParser from "@apidevtools/swagger-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { contacts, tasks } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { createTag } from "@/lib/audiences/tags";
import { createApiKey } from "@/lib/accounts/api-keys";
import { openApiDocument } from "@/lib/api/openapi";
import { apiRoutes, type ApiRoute, type ApiRouteId } from "@/lib/api/registry";
import { sendMessage } from "@/lib/messages/send";
import { createTask } from "@/lib/sending/tasks";
import { createSegment } from "@/lib/audiences/segments/store";
import { describeOnDatabases } from "../helpers/db";
import { makeSendingSetup, taskInput, type SendingSetup } from "../helpers/sending";

/*
 * Every operation of the route registry gets a request its schemas refuse (400 naming the field)
 * and one they take (its documented status, with an answer its documented schema accepts),
 * through the real handler under app/api/v1 on a real database. A registry entry without samples
 * here fails the test.
 */

/**
 * completedTaskId: a tracked e-mail task that finished, whose non-openers a follow-up can be sent to;
 * abTaskId: a task whose A/B test share was sent and that waits for its winner.
 */
type Fixture = SendingSetup & { taskId: string; completedTaskId: string; abTaskId: string; automationId: string; email: string; deliveryId: string; tagId: string; contactId: number; segmentId: string };
type Sample = { params?: Record<string, string>; query?: Record<string, string>; headers?: Record<string, string>; body?: unknown; raw?: string };
type Samples = {
  valid: (fixture: Fixture) => Sample;
  /** A request the schemas refuse, with the field details must name; null only for an operation that takes no input at all. */
  invalid: ((fixture: Fixture) => Sample & { field: string }) | null;
};

const overlongId = "0".repeat(101);
const later = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

const SAMPLES: Record<ApiRouteId, Samples> = {
  health: { valid: () => ({}), invalid: null },
  openApiDocument: { valid: () => ({}), invalid: null },
  listPools: { valid: () => ({}), invalid: null },
  createPool: {
    valid: () => ({ body: { name: "Contract pool", description: "made by the contract test" } }),
    invalid: () => ({ body: { name: "" }, field: "name" }),
  },
  listContacts: {
    valid: (f) => ({ params: { id: f.poolId }, query: { limit: "2", status: "active" } }),
    invalid: (f) => ({ params: { id: f.poolId }, query: { limit: "0" }, field: "limit" }),
  },
  addContacts: {
    valid: (f) => ({ params: { id: f.poolId }, body: { contacts: [{ email: "new.contact@contract.test", name: "New", attributes: { city: "杭州", vip: true, orders: 3 } }] } }),
    invalid: (f) => ({ params: { id: f.poolId }, body: { contacts: [{ email: "x@contract.test", attributes: { nested: { no: 1 } } }] }, field: "contacts.0.attributes.nested" }),
  },
  importContacts: {
    valid: (f) => ({ params: { id: f.poolId }, headers: { "content-type": "text/csv" }, raw: "email,city\nimported@contract.test,Wuhan\n" }),
    invalid: (f) => ({ params: { id: f.poolId }, headers: { "content-type": "application/pdf" }, raw: "%PDF-1.7", field: "content-type" }),
  },
  listTags: { valid: () => ({}), invalid: () => ({ query: { departmentId: "not-a-department" }, field: "departmentId" }) },
  createTag: { valid: () => ({ body: { name: "Contract tag" } }), invalid: () => ({ body: { name: 42 }, field: "name" }) },
  // In this order: the fixture's tag is renamed, then deleted.
  renameTag: { valid: (f) => ({ params: { id: f.tagId }, body: { name: "Renamed tag" } }), invalid: (f) => ({ params: { id: f.tagId }, body: {}, field: "name" }) },
  deleteTag: { valid: (f) => ({ params: { id: f.tagId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  changeContactTags: {
    valid: (f) => ({ body: { contactIds: [String(f.contactId)], add: ["VIP"] } }),
    invalid: (f) => ({ body: { contactIds: [f.contactId], add: "VIP" }, field: "add" }),
  },
  subscribe: {
    valid: (f) => ({ body: { poolId: f.poolId, email: "subscriber@contract.test", attributes: { source: "web" } } }),
    invalid: (f) => ({ body: { poolId: "not-a-pool", email: f.email }, field: "poolId" }),
  },
  unsubscribe: {
    valid: (f) => ({ body: { email: f.email, poolId: f.poolId } }),
    invalid: (f) => ({ body: { email: f.email, poolId: 42 }, field: "poolId" }),
  },
  listSenders: { valid: () => ({}), invalid: null },
  createTemplate: {
    valid: () => ({ body: { name: "Contract template", subject: "Hi {{ name }}", html: "<p>Hi {{ name }}</p>" } }),
    invalid: () => ({ body: { name: "Contract template", subject: "Hi" }, field: "html" }),
  },
  createTask: {
    valid: (f) => ({ body: { name: "Contract task", templateId: f.templateId, poolIds: [f.poolId], senderId: f.senderId, scheduledAt: later() } }),
    invalid: (f) => ({ body: { name: "Contract task", templateId: f.templateId, poolIds: [f.poolId], senderId: f.senderId, limit: 0 }, field: "limit" }),
  },
  getTask: { valid: (f) => ({ params: { id: f.taskId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  // In this order: the task is scheduled, then paused, resumed, cancelled.
  pauseTask: { valid: (f) => ({ params: { id: f.taskId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  resumeTask: { valid: (f) => ({ params: { id: f.taskId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  cancelTask: { valid: (f) => ({ params: { id: f.taskId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  createFollowUp: {
    valid: (f) => ({ params: { id: f.completedTaskId }, body: { subject: "Did you miss this, {{ name }}?", afterDays: 2 } }),
    invalid: (f) => ({ params: { id: f.completedTaskId }, body: { afterDays: "two" }, field: "afterDays" }),
  },
  chooseAbWinner: {
    valid: (f) => ({ params: { id: f.abTaskId }, body: { variant: "B" } }),
    invalid: (f) => ({ params: { id: f.abTaskId }, body: { variant: "E" }, field: "variant" }),
  },
  listAutomations: { valid: () => ({}), invalid: null },
  createAutomation: {
    valid: (f) => ({ body: { name: "Welcome", trigger: { type: "subscribed", poolId: f.poolId }, steps: [{ type: "send", templateId: f.templateId }, { type: "wait", hours: 48 }], senderId: f.senderId } }),
    invalid: (f) => ({ body: { name: "Welcome", trigger: { type: "subscribed", poolId: f.poolId }, steps: [], senderId: f.senderId }, field: "steps" }),
  },
  getAutomation: { valid: (f) => ({ params: { id: f.automationId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  pauseAutomation: { valid: (f) => ({ params: { id: f.automationId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  resumeAutomation: { valid: (f) => ({ params: { id: f.automationId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  // After its pause and resume: the fixture's automation goes.
  deleteAutomation: { valid: (f) => ({ params: { id: f.automationId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  listDeliveries: {
    valid: (f) => ({ params: { id: f.taskId }, query: { status: "cancelled", limit: "10" } }),
    invalid: (f) => ({ params: { id: f.taskId }, query: { status: "lost" }, field: "status" }),
  },
  listReplies: {
    valid: (f) => ({ params: { id: f.taskId }, query: { page: "1", automatic: "true" } }),
    invalid: (f) => ({ params: { id: f.taskId }, query: { page: "0" }, field: "page" }),
  },
  sendReport: { valid: () => ({ query: { period: "last_week" } }), invalid: () => ({ query: { period: "fortnight" }, field: "period" }) },
  failureReport: {
    valid: () => ({ query: { period: "custom", from: "2026-01-01", to: "2026-01-31", by: "recipient" } }),
    invalid: () => ({ query: { period: "custom", from: "2026-01-01", to: "31/01/2026" }, field: "to" }),
  },
  sendMessage: {
    valid: (f) => ({ headers: { "idempotency-key": "contract-1" }, body: { templateId: f.templateId, senderId: f.senderId, to: [{ email: "one@contract.test", name: "One", data: { city: "Wuhan" } }], sendAt: later() } }),
    invalid: (f) => ({ headers: { "idempotency-key": "has spaces in it" }, body: { templateId: f.templateId, senderId: f.senderId, to: "one@contract.test" }, field: "idempotency-key" }),
  },
  getDelivery: { valid: (f) => ({ params: { id: f.deliveryId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  listWebhooks: { valid: () => ({}), invalid: null },
  createWebhook: {
    valid: () => ({ body: { url: "https://93.184.215.14/hooks", events: ["bounced", "complained"] } }),
    invalid: () => ({ body: { url: "https://93.184.215.14/hooks", events: ["read"] }, field: "events.0" }),
  },
  listSegments: { valid: () => ({}), invalid: null },
  createSegment: {
    valid: () => ({ body: { name: "Contract segment", rule: { match: "all", conditions: [{ field: "attribute", key: "city", op: "equals", value: "Wuhan" }] } } }),
    invalid: () => ({ body: { name: "Contract segment", rule: { match: "most", conditions: [] } }, field: "rule.match" }),
  },
  countSegment: {
    valid: () => ({ body: { rule: { match: "any", conditions: [{ field: "email", op: "contains", value: "first" }] }, sample: 1 } }),
    invalid: () => ({ body: { rule: { match: "all", conditions: [] }, sample: 51 }, field: "sample" }),
  },
  getSegment: { valid: (f) => ({ params: { id: f.segmentId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
  updateSegment: {
    valid: (f) => ({ params: { id: f.segmentId }, body: { description: "changed by the contract test" } }),
    invalid: (f) => ({ params: { id: f.segmentId }, body: { name: "" }, field: "name" }),
  },
  deleteSegment: { valid: (f) => ({ params: { id: f.segmentId } }), invalid: () => ({ params: { id: overlongId }, field: "id" }) },
};

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** The handler Next would call for the entry: app/api/v1/<path, {id} as [id]>/route.ts, its export named by the method. */
async function handlerOf(route: ApiRoute): Promise<Handler> {
  const file = path.resolve(__dirname, "../../app/api/v1", `.${route.path.replace(/\{(\w+)\}/g, "[$1]")}`, "route.ts");
  const routeModule = (await import(file)) as Record<string, Handler | undefined>;
  const handler = routeModule[route.method.toUpperCase()];
  if (!handler) throw new Error(`${file} exports no ${route.method.toUpperCase()}`);
  return handler;
}

function send(route: ApiRoute, key: string, sample: Sample) {
  const pathname = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(sample.params?.[name] ?? ""));
  const url = new URL(`http://fanout.test/api/v1${pathname}`);
  for (const [name, value] of Object.entries(sample.query ?? {})) url.searchParams.set(name, value);
  const headers = new Headers({ "x-forwarded-for": "198.51.100.60", ...sample.headers });
  if (route.auth === "apikey") headers.set("authorization", `Bearer ${key}`);
  let body: string | undefined;
  if (sample.raw !== undefined) body = sample.raw;
  else if (sample.body !== undefined) {
    body = JSON.stringify(sample.body);
    headers.set("content-type", "application/json");
  }
  return { request: new Request(url, { method: route.method.toUpperCase(), headers, body }), context: { params: Promise.resolve(sample.params ?? {}) } };
}

const entries = Object.entries(apiRoutes) as [ApiRouteId, ApiRoute][];

describe("the route registry", () => {
  it("gives every operation a refused and an accepted sample, and only operations without input go without a refused one", () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(apiRoutes).sort());
    for (const [id, route] of entries) {
      const takesInput = Boolean(route.params || route.query || route.headers || route.body || route.upload);
      expect({ id, refusable: SAMPLES[id].invalid !== null }).toEqual({ id, refusable: takesInput });
    }
  });

  it("publishes a document a real OpenAPI 3.1 validator accepts, with every operation of the registry", async () => {
    const document = openApiDocument();
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
    const operations = Object.entries(document.paths ?? {}).flatMap(([pathName, item]) =>
      Object.keys(item as object).map((method) => `${method} ${pathName} ${(item as Record<string, { operationId: string }>)[method]!.operationId}`),
    );
    expect(operations.sort()).toEqual(entries.map(([id, route]) => `${route.method} ${route.path} ${id}`).sort());
  });

  it("documents what the hand-written document had drifted from: unsubscribe's departmentId, every task field, attribute value types, limits and enums", () => {
    const document = openApiDocument() as unknown as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>>; components: { schemas: Record<string, { required: string[] }> } };
    const unsubscribe = document.paths["/unsubscribe"]!.post!.requestBody!.content["application/json"]!.schema as { properties: Record<string, unknown> };
    expect(Object.keys(unsubscribe.properties)).toEqual(["email", "poolId", "departmentId"]);
    expect(document.components.schemas.Task!.required).toEqual(expect.arrayContaining(["kind", "smtpAccountId", "bounced", "complained", "reserved", "templateId", "poolIds", "createdAt"]));
    const contacts = JSON.stringify(document.paths["/pools/{id}/contacts"]!.post!.requestBody);
    expect(contacts).toContain('"maxItems":10000');
    expect(contacts).toContain('"additionalProperties":{"type":["string","number","boolean","null"]}');
  });
});

describeOnDatabases("every /api/v1 operation against its schemas", (db) => {
  let fixture: Fixture;
  let key: string;
  beforeAll(async () => {
    const setup = await makeSendingSetup(db(), { emails: ["first@contract.test", "second@contract.test"], quota: 1000 });
    const task = await createTask(setup.ctx, taskInput(setup, { scheduledAt: new Date(Date.now() + 86_400_000) }));
    // Finished as the engine leaves a task: started, materialised, nothing held.
    const completed = await createTask(setup.ctx, taskInput(setup));
    await db().update(tasks).set({ status: "completed", startedAt: new Date(), finishedAt: new Date(), materializeCursor: null }).where(eq(tasks.id, completed.id));
    const abTask = await createTask(setup.ctx, { ...taskInput(setup), abTest: { variants: [{}, { subject: "Another subject" }], sharePercent: 50, metric: "opens", waitHours: 4, winnerBy: "hand" } });
    await db().update(tasks).set({ status: "sending", startedAt: new Date(), abPhase: "waiting", abTestSentAt: new Date() }).where(eq(tasks.id, abTask.id));
    const welcome = await createAutomation(setup.ctx, { name: "Fixture welcome", trigger: { type: "subscribed", poolId: setup.poolId }, steps: [{ type: "send", templateId: setup.templateId }], senderId: setup.senderId, departmentId: setup.departmentId });
    const message = await sendMessage(setup.ctx, { templateId: setup.templateId, senderId: setup.senderId, to: "message@contract.test", data: { city: "Hangzhou" }, sendAt: later(), departmentId: setup.departmentId });
    const tag = await createTag(setup.ctx, { name: "Fixture tag", departmentId: setup.departmentId });
    const [contact] = await db().select({ id: contacts.id }).from(contacts).where(and(eq(contacts.email, "first@contract.test"), eq(contacts.departmentId, setup.departmentId)));
    const segment = await createSegment(setup.ctx, { name: "Contract fixture", rule: { match: "all", conditions: [] }, departmentId: setup.departmentId });
    fixture = { ...setup, taskId: task.id, completedTaskId: completed.id, abTaskId: abTask.id, automationId: welcome.id, email: "first@contract.test", deliveryId: message.answer.deliveries[0]!.id, tagId: tag.id, contactId: contact!.id, segmentId: segment.id };
    key = (await createApiKey({ db: db(), actor: systemActor("test") }, { name: "contract", scope: { company: false, departmentId: setup.departmentId } })).secret;
  });

  it.each(entries)("%s refuses a request its schemas refuse, naming the field, and takes one they accept", async (id, route) => {
    const handler = await handlerOf(route);
    const samples = SAMPLES[id];
    if (samples.invalid) {
      const { field, ...sample } = samples.invalid(fixture);
      const { request, context } = send(route, key, sample);
      const refused = await handler(request, context);
      const body = (await refused.json()) as { error: { code: string; message: string; details?: { issues: { path: string }[] } } };
      expect({ status: refused.status, code: body.error.code }).toEqual({ status: 400, code: "invalid_input" });
      expect(body.error.details?.issues.map((issue) => issue.path)).toContain(field);
      if (id === "importContacts") expect(body.error.message).toContain("application/pdf is not text/csv");
    }
    const { request, context } = send(route, key, samples.valid(fixture));
    const accepted = await handler(request, context);
    const answer: unknown = await accepted.json();
    expect({ status: accepted.status, answer }).toMatchObject({ status: route.status });
    const checked = route.answer.schema.safeParse(answer);
    expect(checked.success ? "matches its documented schema" : checked.error.issues).toBe("matches its documented schema");
  });
});
