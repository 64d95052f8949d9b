import { and, eq, sql } from "drizzle-orm";
import type { ParsedMail } from "mailparser";
import { renderToStaticMarkup } from "react-dom/server";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { GET as clickRoute, HEAD as clickHead } from "@/app/t/c/[token]/route";
import { GET as pixelRoute, HEAD as pixelHead } from "@/app/t/o/[token]/route";
import { unsubscribeFromMessage } from "@/app/u/[token]/actions";
import { GET as oneClickGet, POST as oneClickPost } from "@/app/u/[token]/one-click/route";
import UnsubscribePage from "@/app/u/[token]/page";
import { queryRows } from "@/db/client";
import { auditLog, contacts, deliveries, deliveryEvents, suppressions, taskLinks, tasks } from "@/db/schema";
import { sampleMatching } from "@/lib/audiences/segments/evaluate";
import { parseRule } from "@/lib/audiences/segments/store";
import { signToken } from "@/lib/tokens/signed";
import { clickUrl, openPixelUrl } from "@/lib/tokens/delivery-links";
import { messageFor } from "@/lib/sending/batch";
import { sendContextFor } from "@/lib/sending/context";
import { LocalRunner } from "@/lib/sending/runner";
import { createTask } from "@/lib/sending/tasks";
import { createTemplate } from "@/lib/templates/store";
import { createSmtpTransport } from "@/lib/transports";
import { publicBaseUrl } from "@/lib/transports/system-mail";
import { describeOnDatabases } from "../helpers/db";
import { serveAnonymous } from "../helpers/next-headers";
import { makeSendingSetup, taskInput, testSendingConfig, type SendingSetup } from "../helpers/sending";
import { startSmtpSink, type SmtpSink } from "../helpers/smtp-sink";
import { snapshotState } from "../helpers/snapshot";

vi.mock("next/headers", () => import("../helpers/next-headers"));

const PERSON = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const APPLE_PREFETCH = "Mozilla/5.0";
const SCANNER = "Barracuda Sentinel (EE)";
const OFFER = "https://example.com/offer?a=1&b=2";
const OTHER = "https://example.com/other";

const TEMPLATE = {
  subject: "News for {{ name }}",
  html:
    '<html><body><p>Dear {{ name }},</p><p><a href="https://example.com/offer?a=1&amp;b=2">See the offer</a> · <a href="https://example.com/other">Other</a> · ' +
    '<a href="mailto:help@example.com">Write to us</a> · <a href="#top">Top</a></p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>',
  text: "Dear {{ name }}, see https://example.com/offer?a=1&b=2 - unsubscribe: {{ unsubscribe_url }}",
};

const RECIPIENTS = ["ann", "bob", "cai", "dan", "eve", "fay"].map((name) => `${name}@tracking.test`);

type Sent = { deliveryId: number; email: string; mail: ParsedMail; html: string };

describeOnDatabases("open and click tracking, unsubscribe", (db) => {
  let sink: SmtpSink;
  let setup: SendingSetup;
  let trackedTaskId: string;
  let untrackedTaskId: string;
  let failedDeliveryId: number;
  const tracked = new Map<string, Sent>();
  const untracked = new Map<string, Sent>();

  beforeAll(async () => {
    sink = await startSmtpSink();
    setup = await makeSendingSetup(db(), { emails: [...RECIPIENTS, "unknown@tracking.test"], quota: 100 });
    const template = await createTemplate(setup.ctx, { name: "tracked news", departmentId: setup.departmentId, ...TEMPLATE });
    trackedTaskId = (await createTask(setup.ctx, taskInput(setup, { templateId: template.id }))).id;
    untrackedTaskId = (await createTask(setup.ctx, taskInput(setup, { templateId: template.id, tracking: false }))).id;
    const engine = new LocalRunner(db(), { transport: createSmtpTransport({ url: sink.url }), config: testSendingConfig({ maxAttempts: 1 }), log: () => undefined });
    try {
      await engine.drain();
    } finally {
      await engine.stop();
    }
    for (const [taskId, into] of [
      [trackedTaskId, tracked],
      [untrackedTaskId, untracked],
    ] as const) {
      const rows = await db().select({ id: deliveries.id, email: deliveries.email, status: deliveries.status }).from(deliveries).where(eq(deliveries.taskId, taskId));
      for (const message of sink.messages) {
        const mail = await message.parse();
        const row = rows.find((candidate) => mail.messageId?.startsWith(`<${taskId}.${candidate.id}@`));
        if (row) into.set(row.email, { deliveryId: row.id, email: row.email, mail, html: typeof mail.html === "string" ? mail.html : "" });
      }
      if (taskId === trackedTaskId) failedDeliveryId = rows.find((row) => row.status === "failed")!.id;
    }
    // Opens and clicks soon after the send are taken for prefetchers and scanners; these people read later.
    await db().update(deliveries).set({ sentAt: new Date(Date.now() - 3_600_000) }).where(eq(deliveries.taskId, trackedTaskId));
  });
  afterAll(async () => {
    await sink?.close();
  });

  const base = () => publicBaseUrl();
  const tokenOf = (url: string, kind: "t/o" | "t/c" | "u") => url.slice(`${base()}/${kind}/`.length);
  const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((match) => match[1]!.replaceAll("&amp;", "&"));
  const pixelOf = (html: string) => /<img src="([^"]+\/t\/o\/[^"]+)"/.exec(html)?.[1];
  const get = (url: string, userAgent = PERSON, method = "GET") => new Request(url, { method, headers: { "user-agent": userAgent, "x-fanout-peer": "203.0.113.5" } });
  const params = (token: string) => ({ params: Promise.resolve({ token }) });

  async function click(url: string, userAgent = PERSON) {
    return clickRoute(get(url, userAgent), params(tokenOf(url, "t/c")));
  }
  async function open(url: string, userAgent = PERSON) {
    return pixelRoute(get(url, userAgent), params(tokenOf(url, "t/o")));
  }
  async function delivery(id: number) {
    const [row] = await db().select().from(deliveries).where(eq(deliveries.id, id));
    return row!;
  }
  async function task(id = trackedTaskId) {
    const [row] = await db().select().from(tasks).where(eq(tasks.id, id));
    return row!;
  }
  async function daily() {
    const [row] = await queryRows<Record<string, string | number>>(
      db(),
      sql`select sum(opened)::int as opened, sum(clicked)::int as clicked, sum(machine_opened)::int as machine_opened, sum(machine_clicked)::int as machine_clicked,
                 sum(unsubscribed)::int as unsubscribed from delivery_daily where department_id = ${setup.departmentId}`,
    );
    return row!;
  }
  async function link(url: string) {
    const [row] = await db().select().from(taskLinks).where(and(eq(taskLinks.taskId, trackedTaskId), eq(taskLinks.url, url)));
    return row;
  }
  const message = (name: string) => tracked.get(`${name}@tracking.test`)!;

  it("rewrites a tracked message's links except unsubscribe and mailto, adds the pixel, and keeps the text part as written", async () => {
    expect(tracked.size).toBe(RECIPIENTS.length);
    expect(untracked.size).toBe(RECIPIENTS.length);
    const ann = message("ann");
    const links = hrefs(ann.html);
    expect(links).toEqual([clickUrl(ann.deliveryId, OFFER), clickUrl(ann.deliveryId, OTHER), "mailto:help@example.com", "#top", expect.stringMatching(`^${base()}/u/[^/]+$`)]);
    expect(pixelOf(ann.html)).toBe(openPixelUrl(ann.deliveryId));
    expect(ann.html.indexOf("/t/o/")).toBeLessThan(ann.html.indexOf("</body>"));
    expect(ann.mail.text).toContain(OFFER);
    expect(ann.mail.text).not.toContain("/t/c/");
    // The header names the one-click endpoint of the same token as the page in the body.
    const header = ann.mail.headerLines.find((line) => line.key === "list-unsubscribe")!.line.replace(/\r?\n[ \t]+/g, " ");
    expect(header).toBe(`List-Unsubscribe: <${links[4]}/one-click>, <mailto:${/mailto:([^>]+)>/.exec(header)![1]}>`);
    expect(header).toMatch(/<mailto:unsubscribe\+[0-9a-z]+-[0-9a-f]{20}@/);
    // A re-sent message is byte-identical: nothing in it depends on when it was rendered.
    const context = await sendContextFor(db(), trackedTaskId);
    const recipient = { id: ann.deliveryId, email: ann.email, name: "Person 0", attributes: { city: "Berlin" } };
    expect(messageFor(context, recipient).html).toBe(messageFor(context, recipient).html);
    expect(messageFor(context, recipient).html).toBe(ann.html);
  });

  it("sends a task with tracking off with its links as written and no pixel", () => {
    const ann = untracked.get("ann@tracking.test")!;
    expect(hrefs(ann.html).slice(0, 4)).toEqual([OFFER, OTHER, "mailto:help@example.com", "#top"]);
    expect(ann.html).not.toContain("/t/o/");
    expect(ann.html).not.toContain("/t/c/");
  });

  it("redirects a click to the linked URL and counts a person's first click, and the open it implies, once", async () => {
    const bob = message("bob");
    const [offerUrl, otherUrl] = hrefs(bob.html);
    const response = await click(offerUrl!);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(OFFER);
    expect(await delivery(bob.deliveryId)).toMatchObject({ clickCount: 1, openCount: 1, machineClickCount: 0, firstClickAt: expect.any(Date), firstOpenAt: expect.any(Date) });
    expect(await task()).toMatchObject({ opened: 1, clicked: 1 });
    expect(await daily()).toMatchObject({ opened: 1, clicked: 1, machine_clicked: 0 });
    expect(await link(OFFER)).toMatchObject({ clicks: 1, uniqueClicks: 1, machineClicks: 0 });

    await click(offerUrl!);
    await click(otherUrl!);
    expect(await delivery(bob.deliveryId)).toMatchObject({ clickCount: 3, openCount: 1 });
    expect(await task()).toMatchObject({ opened: 1, clicked: 1 });
    expect(await daily()).toMatchObject({ opened: 1, clicked: 1 });
    expect(await link(OFFER)).toMatchObject({ clicks: 2, uniqueClicks: 1 });
    expect(await link(OTHER)).toMatchObject({ clicks: 1, uniqueClicks: 1 });
    const events = await db().select().from(deliveryEvents).where(eq(deliveryEvents.deliveryId, bob.deliveryId)).orderBy(deliveryEvents.id);
    expect(events.map((event) => [event.type, event.source, event.machine])).toEqual([
      ["opened", "tracking", false],
      ["clicked", "tracking", false],
      ["clicked", "tracking", false],
      ["clicked", "tracking", false],
    ]);
    expect(events[1]!.detail).toEqual({ url: OFFER, userAgent: PERSON, ip: "203.0.113.5" });
    expect(events[0]!.detail).toMatchObject({ inferredFrom: "click" });
  });

  it("answers the pixel with a no-cache GIF and counts a person's first open once, machines apart", async () => {
    const cai = message("cai");
    const pixel = pixelOf(cai.html)!;
    const response = await open(pixel);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/gif");
    expect(response.headers.get("cache-control")).toMatch(/no-store/);
    expect(Buffer.from(await response.arrayBuffer()).subarray(0, 6).toString()).toBe("GIF89a");
    await open(pixel);
    await open(pixel, APPLE_PREFETCH);
    await open(pixel, APPLE_PREFETCH);
    expect(await delivery(cai.deliveryId)).toMatchObject({ openCount: 2, machineOpenCount: 2, clickCount: 0 });
    expect(await task()).toMatchObject({ opened: 2, clicked: 1 });
    expect(await daily()).toMatchObject({ opened: 2, machine_opened: 1 });
    const events = await db().select().from(deliveryEvents).where(eq(deliveryEvents.deliveryId, cai.deliveryId)).orderBy(deliveryEvents.id);
    expect(events.map((event) => event.machine)).toEqual([false, false, true, true]);
    expect(events[2]!.detail).toMatchObject({ userAgent: APPLE_PREFETCH, machineReason: expect.stringMatching(/prefetch/) });
  });

  it("flags an open within two seconds of the send and a scanner's click as machines, left out of the task's numbers", async () => {
    const dan = message("dan");
    await db().update(deliveries).set({ sentAt: new Date() }).where(eq(deliveries.id, dan.deliveryId));
    await open(pixelOf(dan.html)!);
    await db().update(deliveries).set({ sentAt: new Date(Date.now() - 3_600_000) }).where(eq(deliveries.id, dan.deliveryId));
    const response = await click(hrefs(dan.html)[0]!, SCANNER);
    expect(response.headers.get("location")).toBe(OFFER);
    expect(await delivery(dan.deliveryId)).toMatchObject({ openCount: 0, firstOpenAt: null, machineOpenCount: 1, clickCount: 0, firstClickAt: null, machineClickCount: 1 });
    expect(await task()).toMatchObject({ opened: 2, clicked: 1 });
    expect(await daily()).toMatchObject({ opened: 2, clicked: 1, machine_opened: 2, machine_clicked: 1 });
    expect(await link(OFFER)).toMatchObject({ clicks: 2, uniqueClicks: 1, machineClicks: 1 });
    const events = await db().select().from(deliveryEvents).where(eq(deliveryEvents.deliveryId, dan.deliveryId)).orderBy(deliveryEvents.id);
    expect(events.map((event) => [event.type, event.machine, event.detail.machineReason])).toEqual([
      ["opened", true, "within 2 s of sending"],
      ["clicked", true, "Barracuda"],
    ]);
  });

  it("lets a segment find the people who opened or clicked here in the last day, and not the machines", async () => {
    const who = async (event: "opened" | "clicked", op: "did" | "did_not" = "did") => {
      const rule = parseRule({ match: "all", conditions: [{ field: "engagement", op, event, days: 1 }] });
      return (await sampleMatching(db(), setup.departmentId, rule, 20)).map((contact) => contact.email.replace("@tracking.test", ""));
    };
    // bob clicked (the open it implies counts), cai opened; dan's open and click were machines'.
    expect(await who("clicked")).toEqual(["bob"]);
    expect(await who("opened")).toEqual(["bob", "cai"]);
    expect(await who("opened", "did_not")).toEqual(["ann", "dan", "eve", "fay", "unknown"]);
    const [bob] = await db().select().from(contacts).where(and(eq(contacts.departmentId, setup.departmentId), eq(contacts.email, "bob@tracking.test")));
    expect(bob!.latestClickAt).toEqual((await delivery(message("bob").deliveryId)).firstClickAt);
  });

  it("changes nothing for HEAD requests and forged, altered or misused tokens", async () => {
    const eve = message("eve");
    const clickToken = tokenOf(hrefs(eve.html)[0]!, "t/c");
    const openToken = tokenOf(pixelOf(eve.html)!, "t/o");
    const unsubscribeToken = tokenOf(hrefs(eve.html)[4]!, "u");
    const [body, signature] = clickToken.split(".") as [string, string];
    const payload = JSON.parse(Buffer.from(body, "base64url").toString()) as { d: number; u: string };
    const withPayload = (changed: object) => `${Buffer.from(JSON.stringify(changed)).toString("base64url")}.${signature}`;
    const flipped = `${body}.${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`;
    const before = await snapshotState(db());

    const head = await clickHead(get(`${base()}/t/c/${clickToken}`, PERSON, "HEAD"), params(clickToken));
    expect([head.status, head.headers.get("location")]).toEqual([302, OFFER]);
    expect((await pixelHead(get(`${base()}/t/o/${openToken}`, PERSON, "HEAD"))).headers.get("content-type")).toBe("image/gif");
    const forgedClicks = [
      flipped,
      withPayload({ ...payload, u: "https://evil.example/phish" }),
      withPayload({ ...payload, d: eve.deliveryId + 1 }),
      openToken,
      unsubscribeToken,
      signToken("open", { d: eve.deliveryId, u: OFFER }),
      "not-a-token",
      `${body}.${signature}.extra`,
    ];
    for (const token of forgedClicks) {
      const response = await clickRoute(get(`${base()}/t/c/${token}`), params(token));
      expect(response.status, token).toBe(404);
      expect(response.headers.get("location")).toBeNull();
      expect((await clickHead(get(`${base()}/t/c/${token}`, PERSON, "HEAD"), params(token))).status).toBe(404);
    }
    const forgedOpens = [`${openToken.slice(0, -1)}${openToken.endsWith("A") ? "B" : "A"}`, clickToken, withPayload({ d: eve.deliveryId }), "garbage", ""];
    for (const token of forgedOpens) {
      const response = await pixelRoute(get(`${base()}/t/o/${token}`), params(token));
      expect([response.status, response.headers.get("content-type")]).toEqual([200, "image/gif"]);
    }
    // Genuine tokens of a delivery that failed, or that does not exist, count nothing.
    expect((await click(clickUrl(failedDeliveryId, OFFER))).status).toBe(302);
    expect((await open(openPixelUrl(failedDeliveryId))).status).toBe(200);
    expect((await open(openPixelUrl(999_999_999))).status).toBe(200);
    expect(await snapshotState(db())).toBe(before);
  });

  it("unsubscribes once with the RFC 8058 one-click POST, and a second POST changes nothing", async () => {
    const fay = message("fay");
    const header = fay.mail.headerLines.find((line) => line.key === "list-unsubscribe")!.line.replace(/\r?\n[ \t]+/g, " ");
    const oneClick = /<(https?:\/\/[^>]+\/one-click)>/.exec(header)![1]!;
    const token = oneClick.slice(`${base()}/u/`.length, -"/one-click".length);
    const post = (body: string | null, ip = "192.0.2.44") =>
      oneClickPost(new Request(oneClick, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded", "x-fanout-peer": ip } }), params(token));

    const redirect = await oneClickGet(new Request(oneClick), params(token));
    expect([redirect.status, redirect.headers.get("location")]).toEqual([303, `/u/${token}`]);
    const unchanged = await snapshotState(db());
    expect((await post(null)).status).toBe(400);
    expect((await post("List-Unsubscribe=Maybe")).status).toBe(400);
    expect(await snapshotState(db())).toBe(unchanged);

    expect((await post("List-Unsubscribe=One-Click")).status).toBe(200);
    const [suppression] = await db().select().from(suppressions).where(and(eq(suppressions.departmentId, setup.departmentId), eq(suppressions.email, fay.email)));
    expect(suppression).toMatchObject({ reason: "unsubscribed", createdBy: "recipient" });
    const [contact] = await db().select().from(contacts).where(and(eq(contacts.departmentId, setup.departmentId), eq(contacts.email, fay.email)));
    expect(contact!.status).toBe("unsubscribed");
    expect((await delivery(fay.deliveryId)).unsubscribedAt).toBeInstanceOf(Date);
    expect((await task()).unsubscribed).toBe(1);
    expect((await daily()).unsubscribed).toBe(1);
    const audit = await db().select().from(auditLog).where(and(eq(auditLog.action, "suppression.unsubscribe"), eq(auditLog.objectId, fay.email)));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ operatorLabel: "recipient", ip: "192.0.2.44", departmentId: setup.departmentId });
    const [event] = await db().select().from(deliveryEvents).where(and(eq(deliveryEvents.deliveryId, fay.deliveryId), eq(deliveryEvents.type, "unsubscribed")));
    expect(event).toMatchObject({ source: "recipient", detail: { method: "one-click", ip: "192.0.2.44" } });

    const after = await snapshotState(db());
    expect((await post("List-Unsubscribe=One-Click")).status).toBe(200);
    expect(await snapshotState(db())).toBe(after);
  });

  it("unsubscribes from the page's button in the recipient's language, and the page only shows on GET", async () => {
    const ann = message("ann");
    const token = tokenOf(hrefs(ann.html)[4]!, "u");
    serveAnonymous("198.51.100.20");
    const before = await snapshotState(db());
    const page = renderToStaticMarkup(await UnsubscribePage(params(token)));
    expect(page).toContain(ann.email);
    expect(page).toContain("Fanout News");
    expect(page).toContain('data-testid="unsubscribe-confirm"');
    expect(await snapshotState(db())).toBe(before);

    expect(await unsubscribeFromMessage(token)).toEqual({ ok: true, email: ann.email, department: expect.any(String), already: false });
    expect((await task()).unsubscribed).toBe(2);
    const [audit] = await db().select().from(auditLog).where(and(eq(auditLog.action, "suppression.unsubscribe"), eq(auditLog.objectId, ann.email)));
    expect(audit).toMatchObject({ operatorLabel: "recipient", ip: "198.51.100.20" });
    const after = await snapshotState(db());
    expect(await unsubscribeFromMessage(token)).toMatchObject({ ok: true, already: true });
    expect(await snapshotState(db())).toBe(after);
    expect(renderToStaticMarkup(await UnsubscribePage(params(token)))).toContain("already unsubscribed");
  });

  it("refuses a forged unsubscribe token on the page, the button and the one-click POST with nothing changed", async () => {
    const token = tokenOf(hrefs(message("bob").html)[4]!, "u");
    const [body, signature] = token.split(".") as [string, string];
    const forged = [
      `${body}.${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`,
      `${Buffer.from(JSON.stringify({ d: String(message("cai").deliveryId) })).toString("base64url")}.${signature}`,
      signToken("click", { d: String(message("bob").deliveryId) }),
      // Genuinely signed, for a delivery that does not exist (any more).
      signToken("unsubscribe", { d: "999999999" }),
    ];
    serveAnonymous();
    const before = await snapshotState(db());
    for (const token of forged) {
      const response = await oneClickPost(new Request(`${base()}/u/${token}/one-click`, { method: "POST", body: "List-Unsubscribe=One-Click" }), params(token));
      expect(response.status).toBe(404);
      expect(await unsubscribeFromMessage(token)).toEqual({ ok: false });
      await expect(UnsubscribePage(params(token))).rejects.toMatchObject({ digest: expect.stringContaining("404") });
    }
    expect(await snapshotState(db())).toBe(before);
  });
});
