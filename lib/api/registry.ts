/*
 * Every /api/v1 operation, once (the file is long because it is the whole catalogue, read in one place): its method and path, who may call it, the zod schemas of its
 * path parameters, query, headers and body, and its answers. The route handlers validate with
 * these schemas (lib/entry/api-route.ts defineApiRoute), the OpenAPI document is generated from
 * them (lib/api/openapi.ts), and tests/db/api-contract.test.ts sends every entry a refused and an
 * accepted request, so the published document cannot drift from what the server does.
 *
 * To add a route:
 *   1. export its schemas from lib/api/schemas/<area>.ts;
 *   2. add an entry below (the key is the operation id), e.g.
 *        sendMessage: { method: "post", path: "/messages", summary: "...", auth: "apikey",
 *          permission: "tasks.manage", body: sendMessageBody, status: 202,
 *          answer: { description: "...", schema: sentMessages }, errors: [403, 404, 409] },
 *   3. in app/api/v1/<path>/route.ts: export const POST = defineApiRoute(apiRoutes.sendMessage,
 *        async (ctx, { body, params, query, headers }) => result) (return a Response to set headers);
 *   4. give it a refused and an accepted sample in tests/db/api-contract.test.ts (it fails until
 *      you do; tests/db/api.test.ts fails while a route folder and the document disagree).
 */
import "server-only";
import type { z } from "zod";
import type { Permission } from "@/lib/access/policy";
import { idPath } from "./schemas/common";
import { health, openApiDocumentBody } from "./schemas/meta";
import { addContactsBody, addContactsResult, contactPage, createPoolBody, importHeaders, importQuery, importReport, listContactsQuery, pool, poolList } from "./schemas/pools";
import { segmentRoutes } from "./segment-routes";
import { automationRoutes } from "./automation-routes";
import { senderList } from "./schemas/senders";
import { failureReport, failuresQuery, sendReport, sendsQuery } from "./schemas/stats";
import { subscribeBody, subscribeResult, unsubscribeBody, unsubscribeResult } from "./schemas/subscriptions";
import { sendMessageAnswerSchema, sendMessageHeaders, sendMessageRequestSchema } from "./schemas/messages";
import { createdTask, createTaskBody, deliveriesQuery, delivery, deliveryPage, abWinnerBody, followUpBody, repliesQuery, replyPage, resumeTaskQuery, task } from "./schemas/tasks";
import { changeContactTagsBody, changeContactTagsResult, createTagBody, deletedTag, listTagsQuery, renameTagBody, tag, tagList } from "./schemas/tags";
import { createdTemplate, createTemplateBody } from "./schemas/templates";
import { createWebhookRequest, createWebhookResponse, listWebhooksResponse } from "./schemas/webhooks";

/** Error answers an operation may give besides 401 (any keyed route), 413 (any with a body) and 429 (all). */
export type ErrorStatus = 400 | 403 | 404 | 409 | 422;

type Schema = z.ZodType;
type ObjectSchema = z.ZodObject;

export type ApiRoute = {
  method: "get" | "post" | "patch" | "delete";
  /** Under /api/v1, with `{name}` for path parameters as the app/api/v1 folders name them. */
  path: string;
  summary: string;
  /** apikey: `Authorization: Bearer`, checked against `permission`; public: anyone (rate limited per IP). */
  auth: "apikey" | "public";
  permission?: Permission;
  params?: ObjectSchema;
  query?: ObjectSchema;
  headers?: ObjectSchema;
  /** A JSON body. */
  body?: Schema;
  /** A raw body (not JSON) in one of these media types; the handler reads it bounded. */
  upload?: { mediaTypes: string[]; description: string };
  /** Bytes a JSON body may have; absent: DEFAULT_JSON_BYTES (lib/entry/body.ts). */
  maxBodyBytes?: number;
  status: 200 | 201 | 202;
  answer: { description: string; schema: Schema };
  errors: readonly ErrorStatus[];
};

const taskAction = (summary: string) =>
  ({
    method: "post",
    summary,
    auth: "apikey",
    permission: "tasks.manage",
    params: idPath,
    status: 200,
    answer: { description: "The task", schema: task },
    errors: [400, 403, 404, 409],
  }) as const;

export const apiRoutes = {
  health: {
    method: "get",
    path: "/health",
    summary: "Liveness and version",
    auth: "public",
    status: 200,
    answer: { description: "The server answers", schema: health },
    errors: [],
  },
  openApiDocument: {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    auth: "public",
    status: 200,
    answer: { description: "OpenAPI 3.1 document", schema: openApiDocumentBody },
    errors: [],
  },
  listPools: {
    method: "get",
    path: "/pools",
    summary: "Pools the key may use",
    auth: "apikey",
    permission: "pools.manage",
    status: 200,
    answer: { description: "Pools", schema: poolList },
    errors: [403],
  },
  createPool: {
    method: "post",
    path: "/pools",
    summary: "Create a pool (a company key names departmentId)",
    auth: "apikey",
    permission: "pools.manage",
    body: createPoolBody,
    status: 201,
    answer: { description: "The pool", schema: pool },
    errors: [400, 403, 409],
  },
  listContacts: {
    method: "get",
    path: "/pools/{id}/contacts",
    summary: "A page of the pool's contacts, by id",
    auth: "apikey",
    permission: "pools.manage",
    params: idPath,
    query: listContactsQuery,
    status: 200,
    answer: { description: "Contacts and the cursor of the next page (null at the end)", schema: contactPage },
    errors: [400, 403, 404],
  },
  addContacts: {
    method: "post",
    path: "/pools/{id}/contacts",
    summary: "Add or update up to 10,000 contacts (with a phone number, WeCom user id and channel consent if given)",
    auth: "apikey",
    permission: "pools.manage",
    params: idPath,
    body: addContactsBody,
    maxBodyBytes: 20 * 1024 * 1024,
    status: 200,
    answer: { description: "What happened", schema: addContactsResult },
    errors: [400, 403, 404],
  },
  importContacts: {
    method: "post",
    path: "/pools/{id}/import",
    summary: "Import a table (header row with an email column; UTF-8 with or without BOM, GB18030, UTF-16; or an .xlsx workbook)",
    auth: "apikey",
    permission: "pools.manage",
    params: idPath,
    query: importQuery,
    headers: importHeaders,
    upload: {
      mediaTypes: ["text/csv", "text/tab-separated-values", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
      description: "The table; other columns than email become attributes; a phone column (phone, mobile, tel, 手机, 手机号, 电话 …) is also read as the contact's phone number, in the company's phone region",
    },
    status: 200,
    answer: { description: "The import report", schema: importReport },
    errors: [400, 403, 404],
  },
  listTags: {
    method: "get",
    path: "/tags",
    summary: "The department's tags (a company key: every department's), each with how many contacts carry it",
    auth: "apikey",
    permission: "pools.manage",
    query: listTagsQuery,
    status: 200,
    answer: { description: "Tags by name", schema: tagList },
    errors: [400, 403],
  },
  createTag: {
    method: "post",
    path: "/tags",
    summary: "Add a tag to the department's vocabulary (a company key names departmentId); 409 when the name exists in any case",
    auth: "apikey",
    permission: "pools.manage",
    body: createTagBody,
    status: 201,
    answer: { description: "The tag", schema: tag },
    errors: [400, 403, 409],
  },
  renameTag: {
    method: "patch",
    path: "/tags/{id}",
    summary: "Rename a tag; contacts keep it. 409 when another tag has the name in any case",
    auth: "apikey",
    permission: "pools.manage",
    params: idPath,
    body: renameTagBody,
    status: 200,
    answer: { description: "The tag", schema: tag },
    errors: [400, 403, 404, 409],
  },
  deleteTag: {
    method: "delete",
    path: "/tags/{id}",
    summary: "Delete a tag and take it off every contact",
    auth: "apikey",
    permission: "pools.manage",
    params: idPath,
    status: 200,
    answer: { description: "What was deleted, with the contacts that carried it", schema: deletedTag },
    errors: [400, 403, 404],
  },
  changeContactTags: {
    method: "post",
    path: "/contacts/tags",
    summary: "Put tags on and take tags off contacts by id, in one statement whatever their number; an id of another department is 403 and changes nothing",
    auth: "apikey",
    permission: "pools.manage",
    body: changeContactTagsBody,
    maxBodyBytes: 4 * 1024 * 1024,
    status: 200,
    answer: { description: "Counts", schema: changeContactTagsResult },
    errors: [400, 403, 404],
  },
  subscribe: {
    method: "post",
    path: "/subscribe",
    summary: "Add a person to a pool; with doubleOptIn they stay pending until they confirm",
    auth: "apikey",
    permission: "pools.manage",
    body: subscribeBody,
    status: 200,
    answer: { description: "Status", schema: subscribeResult },
    errors: [400, 403, 404],
  },
  unsubscribe: {
    method: "post",
    path: "/unsubscribe",
    summary: "Unsubscribe an address from a pool, or (without poolId) from the department",
    auth: "apikey",
    permission: "pools.manage",
    body: unsubscribeBody,
    status: 200,
    answer: { description: "Status", schema: unsubscribeResult },
    errors: [400, 403, 404],
  },
  listSenders: {
    method: "get",
    path: "/senders",
    summary: "Sender identities the key may use",
    auth: "apikey",
    permission: "senders.manage",
    status: 200,
    answer: { description: "Senders", schema: senderList },
    errors: [403],
  },
  createTemplate: {
    method: "post",
    path: "/templates",
    summary: "Create a template ({{ name }}, {{ email }}, {{ attributes.X }} personalise); refused with line and column when it does not parse",
    auth: "apikey",
    permission: "templates.manage",
    body: createTemplateBody,
    status: 201,
    answer: { description: "The template", schema: createdTemplate },
    errors: [400, 403],
  },
  createTask: {
    method: "post",
    path: "/tasks",
    summary: "Create a send task; it reserves the department's quota (409 quota_exceeded says what is left) and starts at scheduledAt, or now",
    auth: "apikey",
    permission: "tasks.manage",
    body: createTaskBody,
    status: 201,
    answer: { description: "The task", schema: createdTask },
    errors: [400, 403, 404, 409],
  },
  getTask: {
    method: "get",
    path: "/tasks/{id}",
    summary: "A task with its counters",
    auth: "apikey",
    permission: "reports.view",
    params: idPath,
    status: 200,
    answer: { description: "The task", schema: task },
    errors: [400, 403, 404],
  },
  pauseTask: { ...taskAction("Stop taking new batches (the batch in flight finishes)"), path: "/tasks/{id}/pause" },
  resumeTask: { ...taskAction("Continue where the task stopped"), path: "/tasks/{id}/resume", query: resumeTaskQuery },
  cancelTask: { ...taskAction("Stop for good; waiting recipients are cancelled and their quota given back"), path: "/tasks/{id}/cancel" },
  createFollowUp: {
    method: "post",
    path: "/tasks/{id}/follow-up",
    summary:
      "Resend a completed, tracked e-mail task to its non-openers: a new task of the same template version and sender, perhaps under a new subject, afterDays after the task finished; who has not opened it (people's opens, a click counts) is decided when it starts",
    auth: "apikey",
    permission: "tasks.manage",
    params: idPath,
    body: followUpBody,
    status: 201,
    answer: { description: "The follow-up task", schema: createdTask },
    errors: [400, 403, 404, 409],
  },
  chooseAbWinner: {
    method: "post",
    path: "/tasks/{id}/ab-winner",
    summary:
      "End a task's A/B test by hand: the variant goes to the rest of its audience, whatever the rule says (both are kept in abTest.decision); 409 while the test share is still being sent or once a winner was chosen",
    auth: "apikey",
    permission: "tasks.manage",
    params: idPath,
    body: abWinnerBody,
    status: 200,
    answer: { description: "The task", schema: task },
    errors: [400, 403, 404, 409],
  },
  listDeliveries: {
    method: "get",
    path: "/tasks/{id}/deliveries",
    summary: "The task's per-recipient log, a page at a time",
    auth: "apikey",
    permission: "reports.view",
    params: idPath,
    query: deliveriesQuery,
    status: 200,
    answer: { description: "A page of deliveries", schema: deliveryPage },
    errors: [400, 403, 404],
  },
  listReplies: {
    method: "get",
    path: "/tasks/{id}/replies",
    summary: "Replies to a task that collects them (replyTracking), newest first, 20 a page, with its reply rate",
    auth: "apikey",
    permission: "tasks.view",
    params: idPath,
    query: repliesQuery,
    status: 200,
    answer: { description: "A page of replies", schema: replyPage },
    errors: [400, 403, 404],
  },
  sendReport: {
    method: "get",
    path: "/stats/sends",
    summary: "Messages sent per day, department, client IP and sender domain, from the daily rollup",
    auth: "apikey",
    permission: "reports.view",
    query: sendsQuery,
    status: 200,
    answer: { description: "The send report", schema: sendReport },
    errors: [400, 403],
  },
  failureReport: {
    method: "get",
    path: "/stats/failures",
    summary: "Failed messages per day, department and domain, by category, from the daily rollup",
    auth: "apikey",
    permission: "reports.view",
    query: failuresQuery,
    status: 200,
    answer: { description: "The failure report", schema: failureReport },
    errors: [400, 403],
  },
  sendMessage: {
    method: "post",
    path: "/messages",
    summary:
      "Send one transactional message to one address or up to 100 recipients, each with their own data, now or at sendAt. It goes through the engine's own lane, ahead of campaign batches. Quota and suppressions apply; `transactional: true` sends to addresses that unsubscribed, never to hard bounces, complaints or suppressions added by hand. 404: unknown template or sender; 422: the data does not render the template (names the variable and recipient)",
    auth: "apikey",
    permission: "tasks.manage",
    headers: sendMessageHeaders,
    body: sendMessageRequestSchema,
    status: 202,
    answer: { description: "Accepted: one delivery per recipient (a suppressed one says so)", schema: sendMessageAnswerSchema },
    errors: [400, 403, 404, 409, 422],
  },
  getDelivery: {
    method: "get",
    path: "/deliveries/{id}",
    summary: "One delivery: its state, the receiving server's reply, feedback, and opens and clicks (people's apart from machines')",
    auth: "apikey",
    permission: "reports.view",
    params: idPath,
    status: 200,
    answer: { description: "The delivery", schema: delivery },
    errors: [400, 403, 404],
  },
  listWebhooks: {
    method: "get",
    path: "/webhooks",
    summary: "The webhook endpoints the key's department (or, for a company key, the company) has subscribed",
    auth: "apikey",
    permission: "webhooks.manage",
    status: 200,
    answer: { description: "Webhook endpoints, without their secrets", schema: listWebhooksResponse },
    errors: [403],
  },
  createWebhook: {
    method: "post",
    path: "/webhooks",
    summary:
      "Subscribe a URL to events. Each event is posted as JSON signed in the Standard Webhooks format (webhook-id, webhook-timestamp, webhook-signature headers) with the secret answered here once; failed posts are retried with growing waits for 24 h, after which (or at a 410 answer) the endpoint is disabled",
    auth: "apikey",
    permission: "webhooks.manage",
    body: createWebhookRequest,
    status: 201,
    answer: { description: "The endpoint, with its signing secret (shown only here)", schema: createWebhookResponse },
    errors: [400, 403, 404],
  },
  ...segmentRoutes,
  ...automationRoutes,
} as const satisfies Record<string, ApiRoute>;

export type ApiRouteId = keyof typeof apiRoutes;
