/**
 * Every mutating entry point (server action or route handler) is listed in ENTRY_POINTS,
 * and this test proves for each that a manager and a department caller acting outside
 * their department are refused (403) with nothing changed, and that an admin's (or a
 * company key's) call is recorded in the operation log with operator and IP. A new entry
 * point that is not in the table fails the first test.
 */
import { createAutomation } from "@/lib/automations/store";
import fs from "node:fs";
import path from "node:path";
import { desc, eq, gt } from "drizzle-orm";
import { beforeAll, expect, it, vi } from "vitest";
import type { Database } from "@/db/client";
import { auditLog, groupPosts, imports, notifications, tasks, users } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { createApiKey } from "@/lib/accounts/api-keys";
import { createTag } from "@/lib/audiences/tags";
import { addContact } from "@/lib/pools/contact-edits";
import { storeUpload } from "@/lib/pools/import-jobs";
import { createPool } from "@/lib/pools/pools";
import { addSuppressions } from "@/lib/pools/suppression";
import { addChannelSuppressions } from "@/lib/pools/channel-suppression";
import { addDomain } from "@/lib/senders/domains";
import { createSender } from "@/lib/senders/senders";
import { createSmtpAccount } from "@/lib/gateway/smtp-accounts";
import { createTask, pauseTask } from "@/lib/sending/tasks";
import { createTemplate } from "@/lib/templates/store";
import { createWebhookEndpoint } from "@/lib/webhooks/endpoints";
import { sendTestWebhook } from "@/lib/webhooks/messages";
import { createSegment } from "@/lib/audiences/segments/store";
import { createGroup } from "@/lib/groups/groups";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { serveAnonymous, serveAs } from "../helpers/next-headers";
import { addVerifiedDomain } from "../helpers/sending";
import { snapshotState } from "../helpers/snapshot";

vi.mock("next/headers", () => import("../helpers/next-headers"));

type Outcome = { status: number };
/** Objects of a department the department caller does not belong to. */
type Other = {
  departmentId: string;
  userId: string;
  apiKeyId: string;
  poolId: string;
  secondPoolId: string;
  /** A contact in `poolId`. */
  contactId: number;
  importId: string;
  suppressedEmail: string;
  /** A number on the department's SMS suppression list. */
  suppressedPhone: string;
  domainId: string;
  domain: string;
  /** A domain the department claimed, waiting for an admin. */
  pendingDomainId: string;
  senderId: string;
  templateId: string;
  /** A task scheduled far ahead, and one paused before it started. */
  taskId: string;
  pausedTaskId: string;
  /** A tracked e-mail task that has finished sending: one its non-openers can be sent again. */
  completedTaskId: string;
  /** A task whose A/B test share has been sent and waits for its winner to be chosen by hand. */
  abWaitingTaskId: string;
  /** An active automation (a welcome series on `poolId`), and one paused. */
  automationId: string;
  pausedAutomationId: string;
  /** An enabled SMTP account (域帐号) that never submitted anything. */
  smtpAccountId: string;
  webhookId: string;
  webhookMessageId: number;
  /** A notification of the department. */
  notificationId: string;
  /** A tag of the department's vocabulary. */
  tagId: string;
  /** A saved segment no task targets. */
  segmentId: string;
  /** A group address on a pool of its own, and a post of it held for a moderator. */
  groupId: string;
  groupAddress: string;
  heldPostId: string;
};
/** The credentials of the caller being tested; API routes read `apiKey`, the rest the session. */
type Caller = { apiKey: string | null; ip: string };
type Case =
  /**
   * readOnly: changes nothing shared, so an admin's call has nothing to audit (a notification's
   * read state is the caller's own). ownOnly: acts on the caller's own row alone (a preference),
   * so there is no other department to aim it at.
   */
  | { auth: "session" | "apikey"; readOnly?: true; ownOnly?: true; call: (other: Other, caller: Caller) => Promise<Outcome> }
  | { auth: "public"; why: string };

const ROOT = path.resolve(__dirname, "../..");
const STATUS_BY_CODE: Record<string, number> = { forbidden: 403, unauthorized: 401, invalid_input: 400, not_found: 404, conflict: 409 };

async function action(file: string, name: string, input: Record<string, unknown>): Promise<Outcome> {
  const exported = (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, (input: unknown) => Promise<{ ok: boolean; error?: { code: string } }>>;
  const result = await exported[name]!(input);
  return { status: result.ok ? 200 : (STATUS_BY_CODE[result.error!.code] ?? 500) };
}

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function route(
  file: string,
  method: string,
  caller: Caller,
  options: { params?: Record<string, string>; json?: unknown; body?: string; type?: string; cookie?: string; query?: string },
) {
  const exported = (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, Handler>;
  // X-Fanout-Peer is what scripts/start.mjs sets from the socket; a browser's same-origin request carries Sec-Fetch-Site.
  const headers = new Headers({ "x-fanout-peer": caller.ip });
  if (caller.apiKey) headers.set("authorization", `Bearer ${caller.apiKey}`);
  if (options.cookie) headers.set("cookie", options.cookie);
  headers.set("sec-fetch-site", "same-origin");
  let body: string | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers.set("content-type", "application/json");
  } else if (options.type) headers.set("content-type", options.type);
  const request = new Request(`http://fanout.test/x${options.query ?? ""}`, { method, headers, body });
  const response = await exported[method]!(request, { params: Promise.resolve(options.params ?? {}) });
  return { status: response.status };
}

async function* chunks(text: string) {
  yield new TextEncoder().encode(text);
}

const POOLS_ACTIONS = "app/(console)/pools/actions.ts";
const SENDER_ACTIONS = "app/(console)/senders/actions.ts";
const TEMPLATE_ACTIONS = "app/(console)/templates/actions.ts";
const TEMPLATE_CONTENT = { subject: "Hello {{ name }}", html: "<p>Hi {{ name }}</p>" };
const SUPPRESSION_ACTIONS = "app/(console)/suppressions/actions.ts";
const SEGMENT_ACTIONS = "app/(console)/segments/actions.ts";
const SEGMENT_RULE = { match: "all", conditions: [{ field: "attribute", key: "city", op: "equals", value: "上海" }] };
const WEBHOOK_ACTIONS = "app/(console)/webhooks/actions.ts";
/** A public address written as an IP, so creating a webhook needs no DNS. */
const PUBLIC_HOOK = "https://93.184.215.14/hooks/fanout";
const TASK_ACTIONS = "app/(console)/tasks/actions.ts";
const TAG_ACTIONS = "app/(console)/tags/actions.ts";
const AUTOMATION_ACTIONS = "app/(console)/automations/actions.ts";
const GROUP_ACTIONS = "app/(console)/groups/actions.ts";
const GROUP_SETTINGS = { name: "项目组", posting: "members", strangers: "hold", replyTo: "group", moderators: "boss@example.com" };
const SMTP_ACCOUNT_ACTIONS = "app/(console)/smtp-accounts/actions.ts";
/** The console task form as posted: pools, every address, at a time in FANOUT_TIMEZONE far ahead. */
const taskForm = (other: Other) => ({ departmentId: other.departmentId, name: unique("console task"), templateId: other.templateId, audience: "pools", poolIds: other.poolId, senderId: other.senderId, amount: "all", when: "later", scheduledAt: "2099-01-01T08:00" });
const CSV = "email,name\nnew.person@example.com,New Person\n";

let sessionCookie = "";

const ENTRY_POINTS: Record<string, Case> = {
  "app/(console)/admin/company/actions.ts#updateCompany": {
    auth: "session",
    call: () => action("app/(console)/admin/company/actions.ts", "updateCompany", { name: unique("Company"), quotaTotal: "" }),
  },
  "app/(console)/admin/company/actions.ts#setRequireUnsubscribeLink": {
    auth: "session",
    call: () => action("app/(console)/admin/company/actions.ts", "setRequireUnsubscribeLink", { required: "false" }),
  },
  "app/(console)/admin/company/actions.ts#setGuardThresholds": {
    auth: "session",
    call: () => action("app/(console)/admin/company/actions.ts", "setGuardThresholds", { hardBounces: "5", unknownUsers: "3", complaints: "0.3", minAnswers: String(1000 + Math.floor(Math.random() * 1_000_000)) }),
  },
  "app/(console)/admin/company/actions.ts#setRetentionMonths": {
    auth: "session",
    call: () => action("app/(console)/admin/company/actions.ts", "setRetentionMonths", { months: String(24 + Math.floor(Math.random() * 90)) }),
  },
  "app/(console)/admin/company/actions.ts#setSmsOptOutSuffix": {
    auth: "session",
    call: () => action("app/(console)/admin/company/actions.ts", "setSmsOptOutSuffix", { optOutSuffix: "true" }),
  },
  "app/(console)/admin/company/actions.ts#setPhoneRegion": {
    auth: "session",
    call: () => action("app/(console)/admin/company/actions.ts", "setPhoneRegion", { region: "CN" }),
  },
  "app/(console)/admin/personal-data/actions.ts#erasePersonalData": {
    auth: "session",
    call: (other) => action("app/(console)/admin/personal-data/actions.ts", "erasePersonalData", { email: other.suppressedEmail, confirm: other.suppressedEmail }),
  },
  "app/(console)/notifications/actions.ts#markRead": {
    auth: "session",
    readOnly: true,
    call: (other) => action("app/(console)/notifications/actions.ts", "markRead", { id: other.notificationId }),
  },
  "app/(console)/notifications/actions.ts#markAllRead": {
    auth: "session",
    readOnly: true,
    call: (other) => action("app/(console)/notifications/actions.ts", "markAllRead", { departmentId: other.departmentId }),
  },
  "app/(console)/notifications/actions.ts#setNotificationEmail": {
    auth: "session",
    ownOnly: true,
    call: () => action("app/(console)/notifications/actions.ts", "setNotificationEmail", { email: "on" }),
  },
  "app/(console)/admin/departments/actions.ts#createDepartment": {
    auth: "session",
    call: () => action("app/(console)/admin/departments/actions.ts", "createDepartment", { name: unique("dept"), quotaAllocated: "10" }),
  },
  "app/(console)/admin/departments/actions.ts#updateDepartment": {
    auth: "session",
    call: (other) => action("app/(console)/admin/departments/actions.ts", "updateDepartment", { id: other.departmentId, name: unique("renamed"), quotaAllocated: "5" }),
  },
  "app/(console)/admin/users/actions.ts#createUser": {
    auth: "session",
    call: (other) =>
      action("app/(console)/admin/users/actions.ts", "createUser", {
        email: `${unique("new")}@example.com`,
        password: "long enough password",
        role: "department",
        departmentId: other.departmentId,
      }),
  },
  "app/(console)/admin/users/actions.ts#changeUserRole": {
    auth: "session",
    call: (other) => action("app/(console)/admin/users/actions.ts", "changeUserRole", { id: other.userId, role: "manager", readsAllDepartments: "on" }),
  },
  "app/(console)/admin/users/actions.ts#setUserStatus": {
    auth: "session",
    call: (other) => action("app/(console)/admin/users/actions.ts", "setUserStatus", { id: other.userId, disabled: "true" }),
  },
  "app/(console)/admin/users/actions.ts#resetPassword": {
    auth: "session",
    call: (other) => action("app/(console)/admin/users/actions.ts", "resetPassword", { id: other.userId, password: "another long password" }),
  },
  "app/(console)/admin/api-keys/actions.ts#createApiKey": {
    auth: "session",
    call: (other) => action("app/(console)/admin/api-keys/actions.ts", "createApiKey", { name: "integration", scope: other.departmentId }),
  },
  "app/(console)/admin/api-keys/actions.ts#revokeApiKey": {
    auth: "session",
    call: (other) => action("app/(console)/admin/api-keys/actions.ts", "revokeApiKey", { id: other.apiKeyId }),
  },
  "app/(console)/admin/api-keys/actions.ts#setApiKeyRateLimit": {
    auth: "session",
    call: (other) => action("app/(console)/admin/api-keys/actions.ts", "setApiKeyRateLimit", { id: other.apiKeyId, rateLimit: "30" }),
  },
  [`${POOLS_ACTIONS}#createPool`]: {
    auth: "session",
    call: (other) => action(POOLS_ACTIONS, "createPool", { name: unique("pool"), departmentId: other.departmentId }),
  },
  [`${POOLS_ACTIONS}#updatePool`]: {
    auth: "session",
    call: (other) => action(POOLS_ACTIONS, "updatePool", { id: other.poolId, name: unique("renamed") }),
  },
  [`${POOLS_ACTIONS}#deletePool`]: { auth: "session", call: (other) => action(POOLS_ACTIONS, "deletePool", { id: other.poolId }) },
  [`${POOLS_ACTIONS}#clearPool`]: { auth: "session", call: (other) => action(POOLS_ACTIONS, "clearPool", { id: other.poolId }) },
  [`${POOLS_ACTIONS}#clearUncategorised`]: {
    auth: "session",
    call: (other) => action(POOLS_ACTIONS, "clearUncategorised", { departmentId: other.departmentId }),
  },
  [`${POOLS_ACTIONS}#addContact`]: {
    auth: "session",
    call: (other) => action(POOLS_ACTIONS, "addContact", { poolId: other.poolId, email: `${unique("hand")}@example.com`, name: "By hand", attributeKey: "城市", attributeValue: "北京" }),
  },
  [`${POOLS_ACTIONS}#updateContact`]: {
    auth: "session",
    call: (other) => action(POOLS_ACTIONS, "updateContact", { poolId: other.poolId, id: String(other.contactId), name: "Renamed" }),
  },
  [`${POOLS_ACTIONS}#deleteContacts`]: { auth: "session", call: (other) => action(POOLS_ACTIONS, "deleteContacts", { poolId: other.poolId, ids: String(other.contactId) }) },
  [`${POOLS_ACTIONS}#unsubscribeContacts`]: {
    auth: "session",
    call: (other) => action(POOLS_ACTIONS, "unsubscribeContacts", { poolId: other.poolId, ids: String(other.contactId) }),
  },
  [`${POOLS_ACTIONS}#resubscribeContact`]: { auth: "session", call: (other) => action(POOLS_ACTIONS, "resubscribeContact", { poolId: other.poolId, id: String(other.contactId) }) },
  [`${POOLS_ACTIONS}#transferContacts`]: {
    auth: "session",
    call: (other) => action(POOLS_ACTIONS, "transferContacts", { fromPoolId: other.poolId, toPoolId: other.secondPoolId, mode: "copy" }),
  },
  [`${POOLS_ACTIONS}#startImport`]: {
    auth: "session",
    call: (other) =>
      action(POOLS_ACTIONS, "startImport", { id: other.importId, emailColumn: "0", nameColumn: "1", attributeColumns: "[]", hasHeader: "on" }),
  },
  [`${SUPPRESSION_ACTIONS}#addSuppressions`]: {
    auth: "session",
    call: (other) => action(SUPPRESSION_ACTIONS, "addSuppressions", { departmentId: other.departmentId, addresses: "blocked@example.com", reason: "manual" }),
  },
  [`${SUPPRESSION_ACTIONS}#removeSuppression`]: {
    auth: "session",
    call: (other) => action(SUPPRESSION_ACTIONS, "removeSuppression", { departmentId: other.departmentId, email: other.suppressedEmail, reason: "asked again" }),
  },
  [`${SUPPRESSION_ACTIONS}#addChannelSuppressions`]: {
    auth: "session",
    call: (other) => action(SUPPRESSION_ACTIONS, "addChannelSuppressions", { departmentId: other.departmentId, channel: "sms", addresses: "+8613700137000", reason: "manual" }),
  },
  [`${SUPPRESSION_ACTIONS}#removeChannelSuppression`]: {
    auth: "session",
    call: (other) => action(SUPPRESSION_ACTIONS, "removeChannelSuppression", { departmentId: other.departmentId, channel: "sms", address: other.suppressedPhone, reason: "asked again" }),
  },
  "app/(console)/pools/[id]/import/upload/route.ts#POST": {
    auth: "session",
    call: (other, caller) => route("app/(console)/pools/[id]/import/upload/route.ts", "POST", caller, { params: { id: other.poolId }, body: CSV, cookie: sessionCookie }),
  },
  [`${POOLS_ACTIONS}#changeContactTags`]: {
    auth: "session",
    call: (other) => action(POOLS_ACTIONS, "changeContactTags", { poolId: other.poolId, ids: String(other.contactId), add: "Entry, 入口" }),
  },
  [`${TAG_ACTIONS}#renameTag`]: { auth: "session", call: (other) => action(TAG_ACTIONS, "renameTag", { id: other.tagId, name: unique("renamed tag") }) },
  [`${TAG_ACTIONS}#deleteTag`]: { auth: "session", call: (other) => action(TAG_ACTIONS, "deleteTag", { id: other.tagId }) },
  "app/api/v1/tags/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/tags/route.ts", "POST", caller, { json: { name: unique("api tag"), departmentId: other.departmentId } }),
  },
  "app/api/v1/tags/[id]/route.ts#PATCH": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/tags/[id]/route.ts", "PATCH", caller, { params: { id: other.tagId }, json: { name: unique("api renamed") } }),
  },
  "app/api/v1/tags/[id]/route.ts#DELETE": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/tags/[id]/route.ts", "DELETE", caller, { params: { id: other.tagId } }),
  },
  "app/api/v1/contacts/tags/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/contacts/tags/route.ts", "POST", caller, { json: { contactIds: [String(other.contactId)], add: ["API"] } }),
  },
  "app/api/v1/pools/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/pools/route.ts", "POST", caller, { json: { name: unique("api pool"), departmentId: other.departmentId } }),
  },
  "app/api/v1/pools/[id]/contacts/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) =>
      route("app/api/v1/pools/[id]/contacts/route.ts", "POST", caller, { params: { id: other.poolId }, json: { contacts: [{ email: "api@example.com" }] } }),
  },
  "app/api/v1/pools/[id]/import/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/pools/[id]/import/route.ts", "POST", caller, { params: { id: other.poolId }, body: CSV, type: "text/csv" }),
  },
  "app/api/v1/messages/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) =>
      route("app/api/v1/messages/route.ts", "POST", caller, {
        json: { templateId: other.templateId, senderId: other.senderId, to: "probe@example.com", departmentId: other.departmentId, sendAt: new Date(Date.now() + 7 * 86_400_000).toISOString() },
      }),
  },
  "app/api/v1/segments/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/segments/route.ts", "POST", caller, { json: { name: unique("api segment"), rule: SEGMENT_RULE, departmentId: other.departmentId } }),
  },
  "app/api/v1/segments/count/route.ts#POST": {
    auth: "apikey",
    readOnly: true,
    call: (other, caller) => route("app/api/v1/segments/count/route.ts", "POST", caller, { json: { rule: SEGMENT_RULE, departmentId: other.departmentId } }),
  },
  "app/api/v1/segments/[id]/route.ts#PATCH": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/segments/[id]/route.ts", "PATCH", caller, { params: { id: other.segmentId }, json: { description: "changed" } }),
  },
  "app/api/v1/segments/[id]/route.ts#DELETE": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/segments/[id]/route.ts", "DELETE", caller, { params: { id: other.segmentId } }),
  },
  [`${SEGMENT_ACTIONS}#previewSegment`]: { auth: "session", readOnly: true, call: (other) => action(SEGMENT_ACTIONS, "previewSegment", { departmentId: other.departmentId, rule: SEGMENT_RULE }) },
  [`${SEGMENT_ACTIONS}#createSegment`]: {
    auth: "session",
    call: (other) => action(SEGMENT_ACTIONS, "createSegment", { departmentId: other.departmentId, name: unique("segment"), rule: SEGMENT_RULE }),
  },
  [`${SEGMENT_ACTIONS}#updateSegment`]: {
    auth: "session",
    call: (other) => action(SEGMENT_ACTIONS, "updateSegment", { id: other.segmentId, name: unique("renamed"), rule: SEGMENT_RULE }),
  },
  [`${SEGMENT_ACTIONS}#deleteSegment`]: { auth: "session", call: (other) => action(SEGMENT_ACTIONS, "deleteSegment", { id: other.segmentId }) },
  "app/api/v1/webhooks/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/webhooks/route.ts", "POST", caller, { json: { url: PUBLIC_HOOK, events: ["sent"], departmentId: other.departmentId } }),
  },
  [`${WEBHOOK_ACTIONS}#createWebhook`]: {
    auth: "session",
    call: (other) => action(WEBHOOK_ACTIONS, "createWebhook", { url: PUBLIC_HOOK, events: "bounced", departmentId: other.departmentId }),
  },
  [`${WEBHOOK_ACTIONS}#setWebhookStatus`]: { auth: "session", call: (other) => action(WEBHOOK_ACTIONS, "setWebhookStatus", { id: other.webhookId, enabled: "false" }) },
  [`${WEBHOOK_ACTIONS}#deleteWebhook`]: { auth: "session", call: (other) => action(WEBHOOK_ACTIONS, "deleteWebhook", { id: other.webhookId }) },
  [`${WEBHOOK_ACTIONS}#sendWebhookTest`]: { auth: "session", call: (other) => action(WEBHOOK_ACTIONS, "sendWebhookTest", { id: other.webhookId }) },
  [`${WEBHOOK_ACTIONS}#allowPrivateWebhookUrls`]: { auth: "session", call: () => action(WEBHOOK_ACTIONS, "allowPrivateWebhookUrls", { allowed: "false" }) },
  [`${WEBHOOK_ACTIONS}#replayWebhookEvent`]: {
    auth: "session",
    call: (other) => action(WEBHOOK_ACTIONS, "replayWebhookEvent", { id: other.webhookId, messageId: String(other.webhookMessageId) }),
  },
  "app/api/v1/subscribe/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/subscribe/route.ts", "POST", caller, { json: { poolId: other.poolId, email: "reader@example.com" } }),
  },
  "app/api/v1/unsubscribe/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/unsubscribe/route.ts", "POST", caller, { json: { poolId: other.poolId, email: "member@example.com" } }),
  },
  [`${SENDER_ACTIONS}#addDomain`]: {
    auth: "session",
    call: (other) => action(SENDER_ACTIONS, "addDomain", { domain: `${unique("d")}.example.com`, departmentId: other.departmentId }),
  },
  [`${SENDER_ACTIONS}#approveDomain`]: { auth: "session", call: (other) => action(SENDER_ACTIONS, "approveDomain", { id: other.pendingDomainId }) },
  [`${SENDER_ACTIONS}#rejectDomain`]: { auth: "session", call: (other) => action(SENDER_ACTIONS, "rejectDomain", { id: other.pendingDomainId }) },
  [`${SENDER_ACTIONS}#checkDomain`]: { auth: "session", call: (other) => action(SENDER_ACTIONS, "checkDomain", { id: other.domainId }) },
  [`${SENDER_ACTIONS}#createSender`]: {
    auth: "session",
    call: (other) => action(SENDER_ACTIONS, "createSender", { address: `${unique("s")}@${other.domain}`, departmentId: other.departmentId }),
  },
  [`${SENDER_ACTIONS}#deleteSender`]: { auth: "session", call: (other) => action(SENDER_ACTIONS, "deleteSender", { id: other.senderId }) },
  [`${SENDER_ACTIONS}#setRequireVerifiedDomains`]: { auth: "session", call: () => action(SENDER_ACTIONS, "setRequireVerifiedDomains", { required: "false" }) },
  [`${TEMPLATE_ACTIONS}#saveTemplate`]: {
    auth: "session",
    call: (other) => action(TEMPLATE_ACTIONS, "saveTemplate", { id: other.templateId, name: unique("renamed"), ...TEMPLATE_CONTENT }),
  },
  [`${TEMPLATE_ACTIONS}#testSend`]: {
    auth: "session",
    call: (other) => action(TEMPLATE_ACTIONS, "testSend", { templateId: other.templateId, senderId: other.senderId, recipients: "probe@example.com" }),
  },
  "app/(console)/templates/preview/route.ts#POST": {
    auth: "session",
    readOnly: true,
    call: (other, caller) =>
      route("app/(console)/templates/preview/route.ts", "POST", caller, { json: { ...TEMPLATE_CONTENT, departmentId: other.departmentId }, cookie: sessionCookie }),
  },
  "app/(console)/templates/attachments/route.ts#POST": {
    auth: "session",
    call: (other, caller) =>
      route(`app/(console)/templates/attachments/route.ts`, "POST", caller, { body: "plain text attachment", cookie: sessionCookie, query: `?name=notes.txt&department=${other.departmentId}` }),
  },
  [`${TASK_ACTIONS}#createTask`]: { auth: "session", call: (other) => action(TASK_ACTIONS, "createTask", taskForm(other)) },
  [`${TASK_ACTIONS}#reviewTask`]: { auth: "session", readOnly: true, call: (other) => action(TASK_ACTIONS, "reviewTask", taskForm(other)) },
  [`${TASK_ACTIONS}#updateTask`]: { auth: "session", call: (other) => action(TASK_ACTIONS, "updateTask", { ...taskForm(other), id: other.taskId, amount: "some", limit: "1" }) },
  [`${TASK_ACTIONS}#pauseTask`]: { auth: "session", call: (other) => action(TASK_ACTIONS, "pauseTask", { id: other.taskId }) },
  [`${TASK_ACTIONS}#resumeTask`]: { auth: "session", call: (other) => action(TASK_ACTIONS, "resumeTask", { id: other.pausedTaskId }) },
  [`${TASK_ACTIONS}#cancelTask`]: { auth: "session", call: (other) => action(TASK_ACTIONS, "cancelTask", { id: other.taskId }) },
  [`${TASK_ACTIONS}#chooseAbWinner`]: { auth: "session", call: (other) => action(TASK_ACTIONS, "chooseAbWinner", { id: other.abWaitingTaskId, variant: "1" }) },
  [`${TASK_ACTIONS}#createFollowUp`]: { auth: "session", call: (other) => action(TASK_ACTIONS, "createFollowUp", { id: other.completedTaskId, name: "Reminder", subject: "Did you miss this?", afterDays: "2" }) },
  [`${AUTOMATION_ACTIONS}#createAutomation`]: {
    auth: "session",
    call: (other) =>
      action(AUTOMATION_ACTIONS, "createAutomation", {
        name: unique("welcome"),
        trigger: { type: "subscribed", poolId: other.poolId },
        steps: [{ type: "send", templateId: other.templateId }, { type: "wait", hours: 48 }, { type: "branch", on: "opened", sendStep: 0, yes: null, no: 3 }, { type: "send", templateId: other.templateId }],
        senderId: other.senderId,
        departmentId: other.departmentId,
      }),
  },
  [`${GROUP_ACTIONS}#createGroup`]: {
    auth: "session",
    call: (other) => action(GROUP_ACTIONS, "createGroup", { poolId: other.secondPoolId, address: `${unique("team")}@${other.domain}`, ...GROUP_SETTINGS }),
  },
  [`${GROUP_ACTIONS}#updateGroup`]: {
    auth: "session",
    call: (other) => action(GROUP_ACTIONS, "updateGroup", { id: other.groupId, address: other.groupAddress, ...GROUP_SETTINGS, name: unique("renamed"), enabled: "on" }),
  },
  [`${GROUP_ACTIONS}#deleteGroup`]: { auth: "session", call: (other) => action(GROUP_ACTIONS, "deleteGroup", { id: other.groupId }) },
  [`${GROUP_ACTIONS}#approvePost`]: { auth: "session", call: (other) => action(GROUP_ACTIONS, "approvePost", { postId: other.heldPostId }) },
  [`${GROUP_ACTIONS}#rejectPost`]: { auth: "session", call: (other) => action(GROUP_ACTIONS, "rejectPost", { postId: other.heldPostId, reason: "不相关" }) },
  [`${GROUP_ACTIONS}#allowPoster`]: { auth: "session", call: (other) => action(GROUP_ACTIONS, "allowPoster", { postId: other.heldPostId }) },
  [`${AUTOMATION_ACTIONS}#pauseAutomation`]: { auth: "session", call: (other) => action(AUTOMATION_ACTIONS, "pauseAutomation", { id: other.automationId }) },
  [`${AUTOMATION_ACTIONS}#deleteAutomation`]: { auth: "session", call: (other) => action(AUTOMATION_ACTIONS, "deleteAutomation", { id: other.automationId }) },
  [`${AUTOMATION_ACTIONS}#resumeAutomation`]: { auth: "session", call: (other) => action(AUTOMATION_ACTIONS, "resumeAutomation", { id: other.pausedAutomationId }) },
  [`${SMTP_ACCOUNT_ACTIONS}#createSmtpAccount`]: {
    auth: "session",
    call: (other) => action(SMTP_ACCOUNT_ACTIONS, "createSmtpAccount", { departmentId: other.departmentId, username: unique("desk"), password: "client password 1" }),
  },
  [`${SMTP_ACCOUNT_ACTIONS}#changeSmtpPassword`]: {
    auth: "session",
    call: (other) => action(SMTP_ACCOUNT_ACTIONS, "changeSmtpPassword", { id: other.smtpAccountId, password: "another client password" }),
  },
  [`${SMTP_ACCOUNT_ACTIONS}#setSmtpAccountStatus`]: {
    auth: "session",
    call: (other) => action(SMTP_ACCOUNT_ACTIONS, "setSmtpAccountStatus", { id: other.smtpAccountId, disabled: "true" }),
  },
  [`${SMTP_ACCOUNT_ACTIONS}#setSmtpAccountLimits`]: {
    auth: "session",
    call: (other) => action(SMTP_ACCOUNT_ACTIONS, "setSmtpAccountLimits", { id: other.smtpAccountId, messagesPerMinute: "10", maxRecipients: "50", allowedIps: "10.0.0.0/8", tracking: "on" }),
  },
  [`${SMTP_ACCOUNT_ACTIONS}#deleteSmtpAccount`]: { auth: "session", call: (other) => action(SMTP_ACCOUNT_ACTIONS, "deleteSmtpAccount", { id: other.smtpAccountId }) },
  "app/api/v1/templates/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/templates/route.ts", "POST", caller, { json: { name: unique("api"), ...TEMPLATE_CONTENT, departmentId: other.departmentId } }),
  },
  "app/api/v1/tasks/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) =>
      route("app/api/v1/tasks/route.ts", "POST", caller, {
        json: { name: unique("api task"), templateId: other.templateId, poolIds: [other.poolId], senderId: other.senderId, departmentId: other.departmentId, scheduledAt: "2099-01-01T00:00:00Z" },
      }),
  },
  "app/api/v1/tasks/[id]/pause/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/tasks/[id]/pause/route.ts", "POST", caller, { params: { id: other.taskId } }),
  },
  "app/api/v1/tasks/[id]/follow-up/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/tasks/[id]/follow-up/route.ts", "POST", caller, { params: { id: other.completedTaskId }, json: { afterDays: 1 } }),
  },
  "app/api/v1/tasks/[id]/ab-winner/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/tasks/[id]/ab-winner/route.ts", "POST", caller, { params: { id: other.abWaitingTaskId }, json: { variant: "B" } }),
  },
  "app/api/v1/automations/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) =>
      route("app/api/v1/automations/route.ts", "POST", caller, {
        json: { name: unique("welcome"), trigger: { type: "subscribed", poolId: other.poolId }, steps: [{ type: "send", templateId: other.templateId }], senderId: other.senderId, departmentId: other.departmentId },
      }),
  },
  "app/api/v1/automations/[id]/pause/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/automations/[id]/pause/route.ts", "POST", caller, { params: { id: other.automationId } }),
  },
  "app/api/v1/automations/[id]/route.ts#DELETE": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/automations/[id]/route.ts", "DELETE", caller, { params: { id: other.automationId } }),
  },
  "app/api/v1/automations/[id]/resume/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/automations/[id]/resume/route.ts", "POST", caller, { params: { id: other.pausedAutomationId } }),
  },
  "app/api/v1/tasks/[id]/resume/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/tasks/[id]/resume/route.ts", "POST", caller, { params: { id: other.pausedTaskId } }),
  },
  "app/api/v1/tasks/[id]/cancel/route.ts#POST": {
    auth: "apikey",
    call: (other, caller) => route("app/api/v1/tasks/[id]/cancel/route.ts", "POST", caller, { params: { id: other.taskId } }),
  },
  "app/api/inngest/route.ts#POST": {
    auth: "public",
    why: "Inngest's serve handler checks the request signature with INNGEST_SIGNING_KEY; it only runs the send engine's own steps on tasks that were authorised when created",
  },
  "app/api/inngest/route.ts#PUT": {
    auth: "public",
    why: "registration of the functions with Inngest (signed the same way); it changes no data",
  },
  "app/api/auth/[...nextauth]/route.ts#POST": {
    auth: "public",
    why: "signing in is how a caller becomes known; lib/auth/sign-in.ts is tested on its own",
  },
  "app/u/[token]/actions.ts#unsubscribeFromMessage": {
    auth: "public",
    why: "the signed unsubscribe token is the authority; tests/db/tracking.test.ts proves forged tokens change nothing",
  },
  "app/u/[token]/one-click/route.ts#POST": {
    auth: "public",
    why: "RFC 8058 one-click unsubscribe, POSTed by mail providers; the signed token is the authority and a forged one gets 404 with nothing changed (tests/db/tracking.test.ts)",
  },
  "app/api/webhooks/inbound/route.ts#POST": {
    auth: "public",
    why: "mail that came back to a per-delivery return path; the signed token in that address is the authority, and tests/db/feedback.test.ts proves forged, unknown and missing ones change nothing",
  },
  "app/api/webhooks/resend/route.ts#POST": {
    auth: "public",
    why: "Resend's events, verified with the svix signature (RESEND_WEBHOOK_SECRET); tests/db/feedback.test.ts proves unsigned, mis-signed, tampered and stale ones change nothing",
  },
  "app/api/webhooks/sms/twilio/route.ts#POST": {
    auth: "public",
    why: "Twilio's receipts and incoming SMS, verified with X-Twilio-Signature (the auth token); tests/db/channel-webhooks.test.ts proves unsigned and mis-signed ones change nothing",
  },
  "app/api/webhooks/sms/aliyun/[token]/[kind]/route.ts#POST": {
    auth: "public",
    why: "Aliyun's unsigned push of SMS receipts and replies; the secret path token (FANOUT_SMS_ALIYUN_PUSH_TOKEN) is the authority, and tests/db/channel-webhooks.test.ts proves another path gets 404 with nothing changed",
  },
  "app/api/webhooks/whatsapp/route.ts#POST": {
    auth: "public",
    why: "Meta's WhatsApp statuses and messages, verified with X-Hub-Signature-256 over the raw body (the app secret); tests/db/channel-webhooks.test.ts proves a mis-signed one changes nothing",
  },
  "app/(auth)/setup/actions.ts#createFirstAdmin": {
    auth: "public",
    why: "first-run setup, only while no admin exists and only from this machine or with the setup token the server printed; tests/db/setup.test.ts proves other callers change nothing",
  },
  "app/(console)/pools/[id]/form/actions.ts#saveSignupForm": {
    auth: "session",
    call: (other) =>
      action("app/(console)/pools/[id]/form/actions.ts", "saveSignupForm", {
        poolId: other.poolId,
        enabled: "on",
        title: "订阅",
        askName: "on",
        fields: JSON.stringify([{ attribute: "城市", label: "城市", required: true }]),
        colour: "#2563eb",
        language: "zh",
      }),
  },
  "app/f/[id]/submit/route.ts#POST": {
    auth: "public",
    why: "a hosted sign-up form's post, from its page or another site: the form's published id names the one pool it adds to (pending, double opt-in) as that department; tests/db/signup-forms.test.ts proves the honeypot, the per-IP limit and a switched-off form",
  },
  "app/u/confirm/actions.ts#confirmSubscription": {
    auth: "public",
    why: "the signed confirmation token is the authority; tests/db/pools.test.ts proves forged tokens change nothing",
  },
};

const MUTATING_ROUTE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
type Marker = { entryPoint?: { kind: "route" | "public-route" | "action" } };

function listEntryFiles(directory: string): string[] {
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return listEntryFiles(full);
    return /^(actions|route)\.ts$/.test(entry.name) ? [path.relative(ROOT, full)] : [];
  });
}

/** Every exported handler and action under app/, with the marker its wrapper put on it (none: made by hand). */
async function discoverEntryPoints(): Promise<{ name: string; kind: string | undefined; mutating: boolean }[]> {
  const found: { name: string; kind: string | undefined; mutating: boolean }[] = [];
  for (const file of listEntryFiles(path.join(ROOT, "app"))) {
    const exported = (await import(/* @vite-ignore */ path.join(ROOT, file))) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exported)) {
      if (typeof value !== "function") continue;
      const mutating = file.endsWith("actions.ts") || MUTATING_ROUTE_METHODS.has(name);
      found.push({ name: `${file}#${name}`, kind: (value as Marker).entryPoint?.kind, mutating });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

it("lists every mutating entry point in the table", async () => {
  const discovered = (await discoverEntryPoints()).filter((entry) => entry.mutating).map((entry) => entry.name);
  expect(discovered.length).toBeGreaterThan(0);
  expect(discovered).toEqual(Object.keys(ENTRY_POINTS).sort());
});

it("makes every route handler with defineRoute or definePublicRoute, public ones exactly where the table says", async () => {
  const routes = (await discoverEntryPoints()).filter((entry) => entry.name.includes("/route.ts#"));
  expect(routes.filter((entry) => entry.kind !== "route" && entry.kind !== "public-route").map((entry) => entry.name)).toEqual([]);
  const publicInTable = Object.entries(ENTRY_POINTS)
    .filter(([name, entry]) => entry.auth === "public" && name.includes("/route.ts#"))
    .map(([name]) => name)
    .sort();
  expect(routes.filter((entry) => entry.mutating && entry.kind === "public-route").map((entry) => entry.name)).toEqual(publicInTable);
});

describeOnDatabases("mutating entry points", (db) => {
  let admin: { id: string; email: string };
  let manager: { id: string; email: string };
  let departmentUser: { id: string; email: string };
  let ownKey: string;
  let companyKey: string;

  beforeAll(async () => {
    const own = await makeDepartment(db());
    admin = await makeUser(db(), "admin");
    manager = await makeUser(db(), "manager", { readsAll: true });
    departmentUser = await makeUser(db(), "department", { departmentId: own.id });
    const system = { db: db(), actor: systemActor("test") };
    ownKey = (await createApiKey(system, { name: "own", scope: { company: false, departmentId: own.id } })).secret;
    companyKey = (await createApiKey(system, { name: "company", scope: { company: true } })).secret;
  });

  async function otherDepartment(): Promise<Other> {
    const database: Database = db();
    const system = { db: database, actor: systemActor("test") };
    const department = await makeDepartment(database);
    const user = await makeUser(database, "department", { departmentId: department.id });
    const key = await createApiKey(system, { name: "theirs", scope: { company: false, departmentId: department.id } });
    const pool = await createPool(system, { name: unique("theirs"), departmentId: department.id });
    const second = await createPool(system, { name: unique("theirs"), departmentId: department.id });
    const upload = await storeUpload(system, pool.id, "theirs.csv", chunks("email,name\nmember@example.com,Member\n"));
    const contact = await addContact(system, pool.id, { email: "listed@example.com", name: "Listed", attributes: [] });
    const suppressedEmail = `${unique("gone")}@example.com`;
    await addSuppressions(system, { departmentId: department.id, addresses: suppressedEmail, reason: "manual" });
    const suppressedPhone = `+86139${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
    await addChannelSuppressions(system, { departmentId: department.id, channel: "sms", addresses: suppressedPhone, reason: "opted_out" });
    const domain = await addVerifiedDomain(system, `${unique("theirs")}.example.com`, department.id);
    const claim = await addDomain({ db: database, actor: actorFor(user, "department", department.id) }, { domain: `${unique("claim")}.example.com`, departmentId: department.id });
    const sender = await createSender(system, { departmentId: department.id, address: `news@${domain.domain}` });
    const template = await createTemplate(system, { name: unique("theirs"), departmentId: department.id, ...TEMPLATE_CONTENT });
    const later = new Date("2099-01-01T00:00:00Z");
    // Tasks get a sender of their own: a sender used by a task cannot be deleted, and deleteSender is tested on `senderId`.
    const taskSender = await createSender(system, { departmentId: department.id, address: `tasks@${domain.domain}` });
    const taskInput = { templateId: template.id, poolIds: [second.id], senderId: taskSender.id, departmentId: department.id, scheduledAt: later };
    const task = await createTask(system, { name: unique("task"), ...taskInput });
    const pausedTask = await createTask(system, { name: unique("paused"), ...taskInput });
    await pauseTask(system, pausedTask.id);
    // Finished as the engine leaves a task with nobody to send to: started, materialised, nothing held.
    const completedTask = await createTask(system, { name: unique("done"), ...taskInput, scheduledAt: new Date() });
    await database.update(tasks).set({ status: "completed", startedAt: new Date(), finishedAt: new Date(), materializeCursor: null }).where(eq(tasks.id, completedTask.id));
    // As the engine leaves an A/B test whose share has all been answered: sending, waiting, the wait begun.
    const abTest = { variants: [{}, { subject: "Another subject" }], sharePercent: 10, metric: "opens" as const, waitHours: 1, winnerBy: "hand" as const };
    const abWaitingTask = await createTask(system, { name: unique("ab"), ...taskInput, abTest });
    await database
      .update(tasks)
      .set({ status: "sending", startedAt: new Date(), materializeCursor: 0, abPhase: "waiting", abTestSentAt: new Date(), abDecideAt: new Date(Date.now() + 3_600_000) })
      .where(eq(tasks.id, abWaitingTask.id));
    const welcome = { trigger: { type: "subscribed" as const, poolId: pool.id }, steps: [{ type: "send" as const, templateId: template.id }], senderId: taskSender.id, departmentId: department.id };
    const automation = await createAutomation(system, { name: unique("welcome"), ...welcome });
    const pausedAutomation = await createAutomation(system, { name: unique("paused welcome"), ...welcome, status: "paused" });
    const smtpAccount = await createSmtpAccount(system, { departmentId: department.id, username: unique("theirs"), password: "their client password" });
    const webhook = await createWebhookEndpoint(system, { url: PUBLIC_HOOK, events: ["sent"], departmentId: department.id });
    const webhookMessage = await sendTestWebhook(system, webhook.id);
    const tag = await createTag(system, { name: unique("theirs"), departmentId: department.id });
    const [notification] = await database.insert(notifications).values({ departmentId: department.id, kind: "taskFailed", params: { task: "theirs", reason: "test" }, link: "/tasks" }).returning({ id: notifications.id });
    const segment = await createSegment(system, { name: unique("theirs"), rule: SEGMENT_RULE, departmentId: department.id });
    const groupPool = await createPool(system, { name: unique("group"), departmentId: department.id });
    const group = await createGroup(system, { poolId: groupPool.id, address: `${unique("team")}@${domain.domain}` });
    const heldRaw = Buffer.from(`From: stranger@example.net\r\nTo: ${group.address}\r\nSubject: held\r\nMessage-ID: <${unique("held")}@example.net>\r\n\r\nPlease let me in.\r\n`);
    const [held] = await database
      .insert(groupPosts)
      .values({ groupId: group.id, departmentId: department.id, threadId: crypto.randomUUID(), messageId: unique("held"), subject: "held", fromAddress: "stranger@example.net", bodyText: "Please let me in.", raw: heldRaw, size: heldRaw.byteLength, status: "held", reason: "not_member" })
      .returning({ id: groupPosts.id });
    // A first post is its own thread.
    await database.update(groupPosts).set({ threadId: held!.id }).where(eq(groupPosts.id, held!.id));
    return {
      tagId: tag.id,
      segmentId: segment.id,
      groupId: group.id,
      groupAddress: group.address,
      heldPostId: held!.id,
      notificationId: notification!.id,
      webhookId: webhook.id,
      webhookMessageId: webhookMessage.id,
      smtpAccountId: smtpAccount.id,
      taskId: task.id,
      pausedTaskId: pausedTask.id,
      completedTaskId: completedTask.id,
      abWaitingTaskId: abWaitingTask.id,
      automationId: automation.id,
      pausedAutomationId: pausedAutomation.id,
      departmentId: department.id,
      userId: user.id,
      apiKeyId: key.id,
      poolId: pool.id,
      secondPoolId: second.id,
      contactId: contact.id,
      importId: upload.id,
      suppressedEmail,
      suppressedPhone,
      domainId: domain.id,
      domain: domain.domain,
      pendingDomainId: claim.id,
      senderId: sender.id,
      templateId: template.id,
    };
  }

  // A refused call changes nothing (each case proves it with a snapshot), so refusals can share one target department.
  let refusalTarget: Promise<Other> | undefined;
  const sharedOtherDepartment = () => (refusalTarget ??= otherDepartment());

  async function signInAs(user: { id: string }, ip: string) {
    const [row] = await db().select({ sv: users.sessionVersion }).from(users).where(eq(users.id, user.id));
    const token = await serveAs({ id: user.id, sessionVersion: row!.sv }, ip);
    sessionCookie = `next-auth.session-token=${token}`;
  }

  const checked = Object.entries(ENTRY_POINTS).filter((entry): entry is [string, Exclude<Case, { auth: "public" }>] => entry[1].auth !== "public");
  const sessionOnly = checked.filter(([, entry]) => entry.auth === "session");

  it.each(sessionOnly)("%s refuses a manager and changes nothing", async (_name, entry) => {
    const other = await sharedOtherDepartment();
    await signInAs(manager, "198.51.100.7");
    const before = await snapshotState(db());
    expect((await entry.call(other, { apiKey: null, ip: "198.51.100.7" })).status).toBe(403);
    expect(await snapshotState(db())).toBe(before);
  });

  it.each(checked.filter(([, entry]) => !entry.ownOnly))("%s refuses a department caller outside its department and changes nothing", async (_name, entry) => {
    const other = await sharedOtherDepartment();
    await signInAs(departmentUser, "198.51.100.8");
    const before = await snapshotState(db());
    expect((await entry.call(other, { apiKey: ownKey, ip: "198.51.100.8" })).status).toBe(403);
    expect(await snapshotState(db())).toBe(before);
  });

  it.each(checked)("%s is recorded in the operation log with operator and IP for an admin caller", async (_name, entry) => {
    const other = await otherDepartment();
    const [last] = await db().select({ id: auditLog.id }).from(auditLog).orderBy(desc(auditLog.id)).limit(1);
    await signInAs(admin, "203.0.113.77");
    const outcome = await entry.call(other, { apiKey: companyKey, ip: "203.0.113.77" });
    expect(outcome.status).toBeLessThan(300);
    const fresh = await db().select().from(auditLog).where(gt(auditLog.id, last?.id ?? 0)).orderBy(auditLog.id);
    if (entry.readOnly) {
      expect(fresh).toHaveLength(0);
      return;
    }
    expect(fresh.length).toBeGreaterThanOrEqual(1);
    const operator = entry.auth === "apikey" ? { operatorLabel: 'API key "company"', operatorRole: "apikey:admin" } : { operatorLabel: admin.email, operatorRole: "admin" };
    expect(fresh[0]).toMatchObject({ ...operator, ip: "203.0.113.77" });
    expect(fresh[0]!.summary.length).toBeGreaterThan(5);
    await waitForImports();
  });

  it("refuses a caller with no session or key", async () => {
    serveAnonymous();
    sessionCookie = "";
    const other = await otherDepartment();
    const before = await snapshotState(db());
    for (const [, entry] of checked) expect((await entry.call(other, { apiKey: null, ip: "198.51.100.9" })).status).toBe(401);
    expect(await snapshotState(db())).toBe(before);
  });

  /** startImport runs in the background; let it finish before the next snapshot. */
  async function waitForImports() {
    for (let attempt = 0; attempt < 100; attempt++) {
      const running = await db().select({ id: imports.id }).from(imports).where(eq(imports.status, "running"));
      if (running.length === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("an import did not finish");
  }
});
