import { InngestTestEngine } from "@inngest/test";
import { changeContactTags } from "@/lib/audiences/contact-tags";
import { createAutomation } from "@/lib/automations/store";
import { eq, inArray, sql } from "drizzle-orm";
import type { ReactElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { beforeAll, expect, it, vi } from "vitest";
import { HoldingsTables } from "@/app/(console)/admin/personal-data/holdings-tables";
import { GET as exportRoute } from "@/app/(console)/admin/personal-data/export/route";
import { queryRows } from "@/db/client";
import { contacts, deliveries, deliveryEvents, pools, suppressions, tags, tasks } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { writeSetting } from "@/lib/accounts/settings";
import { erasedKey } from "@/lib/addresses/erased";
import { applyFeedback } from "@/lib/feedback/apply";
import { recordClick, recordOpen } from "@/lib/feedback/tracking";
import { sendMessage } from "@/lib/messages/send";
import { addContacts, listContacts } from "@/lib/pools/contacts";
import { createPool } from "@/lib/pools/pools";
import { addSuppressions } from "@/lib/pools/suppression";
import { eraseAddress } from "@/lib/privacy/erase";
import { lookupAddress, type Holdings } from "@/lib/privacy/holdings";
import { sessionCookieName } from "@/lib/auth/session";
import { en } from "@/lib/i18n/en";
import { zh } from "@/lib/i18n/zh";
import { runRetention } from "@/lib/privacy/retention";
import { resolvePeriod } from "@/lib/reports/periods";
import { failureReport, reportSummary, sendReport, taskReport } from "@/lib/reports/queries";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { createOutboxTransport } from "@/lib/transports";
import { redactOldDeliveriesFunction } from "@/inngest/functions/redact-old-deliveries";
import type { EngineDeps } from "@/lib/sending/batch";
import { createWebhookEndpoint } from "@/lib/webhooks/endpoints";
import { describeOnDatabases } from "../helpers/db";
import { serveAs } from "../helpers/next-headers";
import { composeMessage, makeSmtpAccount, writeSmtpSubmission } from "../helpers/smtp-task";

vi.mock("next/headers", () => import("../helpers/next-headers"));
import { actorFor, makeUser, unique } from "../helpers/factories";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";

const UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15";
const IP = "198.51.100.23";

describeOnDatabases("personal data: lookup, export, erasure, retention", (db) => {
  const tag = unique("pd");
  /** As typed by whoever asks; stored normalised (ASCII lower-cased). */
  const TYPED = `Wang.Fang+${tag}@Example.COM`;
  const PERSON = TYPED.toLowerCase();
  let admin: Ctx;
  let adminUser: { id: string; email: string };
  let alpha: SendingSetup;
  let beta: SendingSetup;
  let alphaTask: string;
  let betaTask: string;
  let secondPool: string;
  let smtpTask: string;

  async function send() {
    const engine = new LocalRunner(db(), { transport: createOutboxTransport(db()), config: testSendingConfig({ maxAttempts: 1 }), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
  }
  const deliveryOf = async (taskId: string, email = PERSON) => (await db().select().from(deliveries).where(sql`${deliveries.taskId} = ${taskId} and ${deliveries.email} = ${email}`))[0];

  beforeAll(async () => {
    adminUser = await makeUser(db(), "admin");
    admin = { db: db(), actor: actorFor(adminUser, "admin") };
    alpha = await makeSendingSetup(db(), { emails: [PERSON, `someone-a.${tag}@example.net`] });
    beta = await makeSendingSetup(db(), { emails: [PERSON, `someone-b.${tag}@example.net`] });
    // A second pool in alpha holding the person too, and a tag on alpha's contact.
    secondPool = (await createPool(alpha.ctx, { name: unique("vip"), departmentId: alpha.departmentId })).id;
    await addContacts(alpha.ctx, secondPool, [{ email: PERSON, name: "王芳", attributes: { city: "上海", note: `reach me at ${PERSON}` } }]);
    const [vip] = await db().insert(tags).values({ departmentId: alpha.departmentId, name: unique("vip") }).returning({ id: tags.id, name: tags.name });
    const [alphaContact] = await db().select({ id: contacts.id }).from(contacts).where(sql`${contacts.departmentId} = ${alpha.departmentId} and ${contacts.email} = ${PERSON}`);
    // The tag enrols the contact into an automation: its enrolment is the person's data too.
    await createAutomation(alpha.ctx, { name: "VIP welcome", trigger: { type: "tag_added", tagId: vip!.id }, steps: [{ type: "wait", hours: 24 }, { type: "send", templateId: alpha.templateId }], senderId: alpha.senderId, departmentId: alpha.departmentId });
    await changeContactTags(alpha.ctx, { contactIds: [alphaContact!.id] }, { add: [vip!.name] });

    // Every change is heard by a company-wide webhook (its payloads name the address).
    await createWebhookEndpoint(admin, { url: "https://93.184.215.14/hooks/fanout", events: ["sent", "opened", "clicked", "bounced"] });
    alphaTask = (await createTask(alpha.ctx, taskInput(alpha))).id;
    betaTask = (await createTask(beta.ctx, taskInput(beta))).id;
    // A transactional message through the API (its recipients' data kept by address) and an SMTP submission (raw bytes) in beta.
    await sendMessage(beta.ctx, { departmentId: beta.departmentId, templateId: beta.templateId, senderId: beta.senderId, to: [{ email: TYPED, name: "王芳", data: { city: "上海" } }] });
    const account = await makeSmtpAccount(db(), beta.departmentId);
    const raw = await composeMessage({ from: "news@beta.example", to: TYPED, subject: `Your order, ${TYPED}`, text: `Dear ${TYPED}, thank you.` });
    smtpTask = await writeSmtpSubmission(db(), { account, senderId: beta.senderId, raw, recipients: [TYPED] });
    await send();
    const opened = (await deliveryOf(alphaTask))!;
    // Opens and clicks are people's only some time after the send.
    await db().update(deliveries).set({ sentAt: new Date(Date.now() - 3_600_000) }).where(eq(deliveries.taskId, alphaTask));
    await recordOpen(db(), opened.id, { userAgent: UA, ip: IP });
    await recordClick(db(), opened.id, "https://example.com/offer", { userAgent: UA, ip: IP });
    const bounced = (await deliveryOf(betaTask))!;
    await applyFeedback(
      db(),
      bounced.id,
      { kind: "bounce", category: "user_unknown", hard: true, status: "5.1.1", diagnostic: `550 5.1.1 <${TYPED}>: Recipient address rejected: User unknown in virtual mailbox table` },
      { source: "smtp" },
    );
    // A suppression added by hand in alpha (its operation-log row names the address).
    await addSuppressions(alpha.ctx, { departmentId: alpha.departmentId, addresses: PERSON, reason: "manual", note: "asked by phone" });
  });

  it("shows an admin everything held about the address, across departments, whatever its case", async () => {
    const held = await lookupAddress(admin, `  ${TYPED.toUpperCase()} `);
    expect(held.email).toBe(PERSON);
    expect(held.contacts.map((contact) => contact.departmentId).sort()).toEqual([alpha.departmentId, beta.departmentId].sort());
    const inAlpha = held.contacts.find((contact) => contact.departmentId === alpha.departmentId)!;
    expect(inAlpha.pools).toHaveLength(2);
    expect(inAlpha.tags).toHaveLength(1);
    expect(inAlpha.attributes).toMatchObject({ city: "上海" });
    expect(held.deliveries).toHaveLength(4);
    expect(held.deliveries.map((delivery) => delivery.taskId)).toEqual(expect.arrayContaining([alphaTask, betaTask, smtpTask]));
    expect(held.deliveries.find((delivery) => delivery.taskId === betaTask)).toMatchObject({ status: "failed", category: "user_unknown" });
    expect(held.events.map((event) => event.type).sort()).toEqual(expect.arrayContaining(["bounced", "clicked", "opened"]));
    expect(held.events.find((event) => event.type === "clicked")!.detail).toMatchObject({ ip: IP, userAgent: UA });
    expect(held.suppressions.map((entry) => entry.reason).sort()).toEqual(["hard_bounce", "manual"]);
    expect(held.automations).toEqual([expect.objectContaining({ departmentId: alpha.departmentId, automation: "VIP welcome", status: "active", step: 1 })]);
    expect(held.auditMentions.some((entry) => entry.action === "suppression.add")).toBe(true);
    expect(held.stored.outboxMessages).toHaveLength(4);
    expect(held.stored.apiMessages).toHaveLength(1);
    expect(held.stored.smtpSubmissions).toEqual([expect.objectContaining({ taskId: smtpTask })]);
    expect(held.stored.webhookMessages.length).toBeGreaterThanOrEqual(4);
    expect(held.truncated).toBe(false);
    // It serialises as the JSON download.
    expect(JSON.parse(JSON.stringify(held)).contacts).toHaveLength(2);
  });

  it("refuses a department user, even about its own contacts, and erases nothing", async () => {
    const user = await makeUser(db(), "department", { departmentId: alpha.departmentId });
    const own = { db: db(), actor: actorFor(user, "department", alpha.departmentId) };
    await expect(lookupAddress(own, PERSON)).rejects.toMatchObject({ code: "forbidden" });
    await expect(eraseAddress(own, { email: PERSON, confirm: PERSON })).rejects.toMatchObject({ code: "forbidden" });
    await expect(eraseAddress(admin, { email: PERSON, confirm: "someone@else.example" })).rejects.toMatchObject({ code: "invalid_input" });
    expect((await lookupAddress(admin, PERSON)).contacts).toHaveLength(2);
  });

  it("serves the JSON download to an admin only, recorded under the address's key, and words the tables in both languages", async () => {
    const request = (token: string | null) =>
      new Request(`http://fanout.test/admin/personal-data/export?email=${encodeURIComponent(TYPED)}`, { headers: token ? { cookie: `${sessionCookieName()}=${token}` } : {} });
    const response = await exportRoute(request(await serveAs(adminUser)), { params: Promise.resolve({}) });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; filename="personal-data-\d{4}-\d{2}-\d{2}\.json"$/);
    const body = (await response.json()) as Holdings;
    expect(body.email).toBe(PERSON);
    expect(body.contacts).toHaveLength(2);
    const [logged] = await queryRows<{ object_id: string; details: unknown }>(db(), sql`select object_id, details from audit_log where action = 'privacy.export' order by id desc limit 1`);
    expect(logged!.object_id).toBe(erasedKey(PERSON));
    const member = await makeUser(db(), "department", { departmentId: beta.departmentId });
    expect((await exportRoute(request(await serveAs(member)), { params: Promise.resolve({}) })).status).toBe(403);
    expect((await exportRoute(request(null), { params: Promise.resolve({}) })).status).toBe(401);

    for (const [t, words] of [
      [en, ["Contacts (2)", "Suppression entries (2)", "Outbox messages"]],
      [zh, ["联系人 (2)", "屏蔽项 (2)", "发件箱邮件"]],
    ] as const) {
      const html = renderToStaticMarkup(HoldingsTables({ holdings: body, t, timeZone: "Asia/Shanghai", page: 1 }) as ReactElement);
      for (const word of words) expect(html).toContain(word);
      expect(html).toContain("上海");
    }
  });

  it("erases the address: no table holds it in clear, reports add up, and a new import stays suppressed", async () => {
    const range = resolvePeriod({ period: "this_month" }, new Date(), "Asia/Shanghai");
    const reports = async () => ({
      summary: await reportSummary(admin, range),
      sends: (await sendReport(admin, range)).total,
      failures: (await failureReport(admin, range)).total,
      byRecipient: (await failureReport(admin, range, "recipient")).rows,
      alpha: await taskReport(admin, alphaTask),
      beta: await taskReport(admin, betaTask),
    });
    const before = await reports();
    const poolCounts = async () => (await db().select({ id: pools.id, count: pools.contactCount }).from(pools).where(inArray(pools.id, [alpha.poolId, secondPool, beta.poolId]))).sort((a, b) => a.id.localeCompare(b.id));
    const countsBefore = await poolCounts();
    const deliveryCount = async () => (await db().select({ id: deliveries.id }).from(deliveries).where(inArray(deliveries.taskId, [alphaTask, betaTask]))).length;
    const deliveriesBefore = await deliveryCount();

    const erased = await eraseAddress(admin, { email: TYPED, confirm: ` ${PERSON}` });
    expect(erased).toMatchObject({ contacts: 2, deliveries: 4, departments: 2 });
    // The automation enrolment went with the contact.
    expect((await lookupAddress(admin, PERSON)).automations).toEqual([]);

    // Every text, json, bytea and array column of every table, from the catalogue: the address appears nowhere.
    const columns = await queryRows<{ schema: string; table: string; column: string; type: string }>(
      db(),
      sql`select c.table_schema as schema, c.table_name as table, c.column_name as column, c.data_type as type
          from information_schema.columns c join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
          where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
            and c.data_type in ('text', 'character varying', 'character', 'jsonb', 'json', 'bytea', 'ARRAY')`,
    );
    expect(columns.map((column) => `${column.table}.${column.column}`)).toEqual(expect.arrayContaining(["deliveries.email", "smtp_submissions.raw", "audit_log.details", "delivery_events.detail"]));
    const found: string[] = [];
    for (const column of columns) {
      const name = sql.raw(`"${column.schema}"."${column.table}"`);
      const value = column.type === "bytea" ? sql.raw(`encode("${column.column}", 'escape')`) : sql.raw(`"${column.column}"::text`);
      const [hit] = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from ${name} where strpos(lower(${value}), ${PERSON}) > 0`);
      if (hit!.n > 0) found.push(`${column.table}.${column.column}`);
    }
    expect(found).toEqual([]);
    // Nor the IP and user agent of the opens and clicks.
    const events = await db().select({ detail: deliveryEvents.detail }).from(deliveryEvents).where(inArray(deliveryEvents.deliveryId, (await db().select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.taskId, alphaTask))).map((row) => row.id)));
    expect(JSON.stringify(events)).not.toContain(IP);
    expect(JSON.stringify(events)).not.toContain("iPhone");

    // Reports, task counters and the ledger's rows are as they were; pools lost one member each.
    expect(await reports()).toEqual(before);
    expect(await deliveryCount()).toBe(deliveriesBefore);
    expect((await poolCounts()).map((row) => row.count)).toEqual(countsBefore.map((row) => row.count - 1));
    // The operation log names the erasure by its key, and each department keeps the key as a suppression.
    const key = erasedKey(PERSON);
    const entries = await db().select().from(suppressions).where(eq(suppressions.email, key));
    expect(entries.map((entry) => entry.departmentId).sort()).toEqual([alpha.departmentId, beta.departmentId].sort());
    expect(entries.every((entry) => entry.reason === "erased")).toBe(true);
    const [audit] = await queryRows<{ object_id: string }>(db(), sql`select object_id from audit_log where action = 'privacy.erase' order by id desc limit 1`);
    expect(audit!.object_id).toBe(key);
    expect((await lookupAddress(admin, PERSON)).contacts).toHaveLength(0);
    expect((await lookupAddress(admin, PERSON)).redactedDeliveries).toBe(4);

    // Imported again: listed as suppressed, and a task to the pool does not send to it.
    await addContacts(alpha.ctx, alpha.poolId, [{ email: TYPED, name: "Wang Fang" }]);
    const listed = await listContacts(alpha.ctx, { poolId: alpha.poolId }, { q: "wang.fang" });
    expect(listed.contacts.map((contact) => [contact.email, contact.suppressedReason])).toEqual([[PERSON, "erased"]]);
    const again = (await createTask(alpha.ctx, taskInput(alpha))).id;
    await send();
    const [task] = await db().select().from(tasks).where(eq(tasks.id, again));
    expect(task).toMatchObject({ status: "completed", sent: 1, suppressed: 1 });
    // Left out when recipients were materialised (batch -1), not only when its batch was claimed.
    expect(await deliveryOf(again)).toMatchObject({ status: "suppressed", batchNo: -1 });
    // A transactional message through the API to it is suppressed too.
    const message = await sendMessage(alpha.ctx, { departmentId: alpha.departmentId, templateId: alpha.templateId, senderId: alpha.senderId, to: TYPED, transactional: true, data: { city: "上海" } });
    expect(message.answer.deliveries.map((delivery) => delivery.status)).toEqual(["suppressed"]);
    const outbox = await queryRows<{ n: number }>(db(), sql`select count(*)::int as n from outbox_messages where to_address = ${PERSON}`);
    expect(outbox[0]!.n).toBe(0);
  });

  it("retention redacts only the deliveries older than the set months, keeping counts", async () => {
    const setup = await makeSendingSetup(db(), { count: 4 });
    const taskId = (await createTask(setup.ctx, taskInput(setup))).id;
    await send();
    const rows = await db().select({ id: deliveries.id, email: deliveries.email }).from(deliveries).where(eq(deliveries.taskId, taskId)).orderBy(deliveries.id);
    expect(rows).toHaveLength(4);
    const now = new Date();
    const old = new Date(now);
    old.setUTCMonth(old.getUTCMonth() - 7);
    await db().update(deliveries).set({ sentAt: old }).where(inArray(deliveries.id, [rows[0]!.id, rows[1]!.id]));
    await recordOpen(db(), rows[0]!.id, { userAgent: UA, ip: IP, at: new Date(old.getTime() + 3_600_000) });
    // A minute after the send: one within two seconds of it would be a machine's.
    const recent = new Date(now.getTime() + 60_000);
    await recordOpen(db(), rows[2]!.id, { userAgent: UA, ip: IP, at: recent });
    const latestOpens = async () =>
      (await db().select({ email: contacts.email, latestOpenAt: contacts.latestOpenAt }).from(contacts).where(inArray(contacts.email, [rows[0]!.email, rows[2]!.email])).orderBy(contacts.id)).map(
        (row) => row.latestOpenAt?.toISOString() ?? null,
      );
    expect(await latestOpens()).toEqual([new Date(old.getTime() + 3_600_000).toISOString(), recent.toISOString()]);

    const off = await runRetention(db(), now, 1);
    expect(off).toMatchObject({ months: null, deliveries: 0 });
    await writeSetting({ db: db(), actor: systemActor("test") }, "personalDataRetentionMonths", 6);
    const [counters] = await db().select().from(tasks).where(eq(tasks.id, taskId));
    const run = await runRetention(db(), now, 1);
    expect(run.deliveries).toBe(2);
    const after = await db().select({ id: deliveries.id, email: deliveries.email }).from(deliveries).where(eq(deliveries.taskId, taskId)).orderBy(deliveries.id);
    expect(after.map((row) => row.email.startsWith("erased:"))).toEqual([true, true, false, false]);
    expect(after[0]!.email.endsWith(`@${rows[0]!.email.split("@")[1]}`)).toBe(true);
    expect(after.slice(2)).toEqual(rows.slice(2));
    const [openEvent] = await db().select({ detail: deliveryEvents.detail }).from(deliveryEvents).where(eq(deliveryEvents.deliveryId, rows[0]!.id));
    expect(openEvent!.detail).not.toHaveProperty("ip");
    expect(openEvent!.detail).not.toHaveProperty("userAgent");
    expect((await db().select().from(tasks).where(eq(tasks.id, taskId)))[0]).toEqual(counters);
    // The contact forgets the open its redacted delivery held (segments read it); a recent one stays.
    expect(await latestOpens()).toEqual([null, recent.toISOString()]);
    // The daily Inngest function runs the same job: nothing is left to do; the operation log has one system row, for the first run.
    const engine = new InngestTestEngine({ function: redactOldDeliveriesFunction(async () => ({ db: db() }) as EngineDeps), events: [{ name: "inngest/scheduled.timer", data: {} }] });
    expect((await engine.execute()).result).toMatchObject({ months: 6, deliveries: 0 });
    const logged = await queryRows<{ operator_id: string }>(db(), sql`select operator_id from audit_log where action = 'privacy.retention'`);
    expect(logged.map((row) => row.operator_id)).toEqual(["system"]);
  });
});
