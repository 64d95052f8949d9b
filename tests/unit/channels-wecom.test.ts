/**
 * WeCom application messages against a fake qyapi over loopback: one request serves every message
 * of a batch that shares a text (touser joined by |, at most 1,000), unknown ids fail alone, the
 * access token is cached until it is about to expire and refreshed exactly once when WeCom says
 * it is stale (42001), frequency limits are retried, a wrong secret is final; and 客户群发.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChannelMessage } from "@/lib/channels/types";
import { createCustomerGroupSend, createWeComTransport } from "@/lib/channels/wecom";
import { startFakeWeCom, type FakeWeCom } from "../helpers/fake-wecom";

const CORP = { corpId: "ww0123456789abcdef", secret: "app-secret-xyz", agentId: 1000002 };
const wecom = (id: string, to: string, text = "本周五下午三点开会"): ChannelMessage => ({ id, channel: "wecom", to, text });

describe("WeCom transport", () => {
  let fake: FakeWeCom;
  const transport = (overrides: Partial<Parameters<typeof createWeComTransport>[0]> = {}) => createWeComTransport({ ...CORP, baseUrl: fake.url, ...overrides });
  const sends = () => fake.calls.filter((call) => call.path === "/cgi-bin/message/send");

  beforeAll(async () => {
    fake = await startFakeWeCom({ ...CORP, users: ["zhangwei", "lifang", "wangqiang"] });
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.calls.length = 0;
    fake.sent.length = 0;
    Object.assign(fake.counters, { tokensIssued: 0, staleTokenAnswers: 0 });
    Object.assign(fake.options, { tokenTtlSeconds: 7200, frequencyLimitFirst: 0 });
  });

  it("sends a shared text to the batch in one request and fails only the unknown user", async () => {
    const results = await transport().sendBatch([wecom("d1", "zhangwei"), wecom("d2", "nobody"), wecom("d3", "lifang"), wecom("d4", "wangqiang", "另一条消息")]);
    expect(sends()).toHaveLength(2);
    const shared = fake.sent.find((sent) => sent.content === "本周五下午三点开会")!;
    expect(shared).toMatchObject({ touser: ["zhangwei", "lifang"], agentid: CORP.agentId });
    expect(results).toEqual([
      { id: "d1", ok: true, providerId: shared.msgid, reply: "ok" },
      { id: "d2", ok: false, retry: false, reply: "WeCom does not accept this recipient: invaliduser nobody" },
      { id: "d3", ok: true, providerId: shared.msgid, reply: "ok" },
      { id: "d4", ok: true, providerId: fake.sent.find((sent) => sent.content === "另一条消息")!.msgid, reply: "ok" },
    ]);
  });

  it("fails a userid that would split touser, without sending it to anyone", async () => {
    const [bad, good] = await transport().sendBatch([wecom("p", "zhangwei|lifang"), wecom("q", "wangqiang")]);
    expect(bad).toMatchObject({ ok: false, retry: false, reply: 'WeCom does not accept this recipient: "zhangwei|lifang" is not a WeCom userid' });
    expect(good).toMatchObject({ ok: true });
    expect(fake.sent.map((sent) => sent.touser)).toEqual([["wangqiang"]]);
  });

  it("splits more than 1,000 recipients of one text into requests of at most 1,000", async () => {
    const ids = Array.from({ length: 1001 }, (_, index) => `staff${index}`);
    const known = fake.options.users;
    fake.options.users = [...known, ...ids];
    try {
      const results = await transport().sendBatch(ids.map((id, index) => wecom(`m${index}`, id)));
      expect(sends().map((call) => String(JSON.parse(call.body).touser).split("|").length)).toEqual([1000, 1]);
      expect(results.filter((result) => result.ok)).toHaveLength(1001);
    } finally {
      fake.options.users = known;
    }
  });

  it("fetches the token once and reuses it while it is valid", async () => {
    const client = transport();
    await client.sendBatch([wecom("a", "zhangwei")]);
    await client.sendBatch([wecom("b", "lifang")]);
    await Promise.all([client.sendBatch([wecom("c", "zhangwei", "x")]), client.sendBatch([wecom("d", "lifang", "y")])]);
    expect(fake.counters.tokensIssued).toBe(1);
    expect(fake.calls.filter((call) => call.path === "/cgi-bin/gettoken")).toHaveLength(1);
  });

  it("refreshes the token once when WeCom says it expired (42001) and sends", async () => {
    const client = transport();
    await client.sendBatch([wecom("a", "zhangwei")]);
    fake.expireTokens();
    const [result] = await client.sendBatch([wecom("b", "lifang")]);
    expect(result).toMatchObject({ ok: true });
    expect(fake.counters).toEqual({ tokensIssued: 2, staleTokenAnswers: 1 });
  });

  it("refreshes only once: a token stale again is a retryable failure, not a loop", async () => {
    fake.options.tokenTtlSeconds = 0;
    const [result] = await transport().sendBatch([wecom("a", "zhangwei")]);
    expect(result).toMatchObject({ ok: false, retry: true });
    expect(result!.ok === false && result!.reply).toContain("42001");
    expect(fake.counters).toEqual({ tokensIssued: 2, staleTokenAnswers: 2 });
  });

  it("fetches a new token before expires_in runs out, by its own clock", async () => {
    let now = Date.now();
    const client = transport({ now: () => now, tokenMarginMs: 300_000 });
    await client.sendBatch([wecom("a", "zhangwei")]);
    now += 7200_000 - 300_000 - 1;
    await client.sendBatch([wecom("b", "zhangwei")]);
    expect(fake.counters.tokensIssued).toBe(1);
    now += 2;
    await client.sendBatch([wecom("c", "zhangwei")]);
    expect(fake.counters).toEqual({ tokensIssued: 2, staleTokenAnswers: 0 });
  });

  it("retries the frequency limit (45009) and fails a wrong secret finally", async () => {
    fake.options.frequencyLimitFirst = 1;
    const [limited] = await transport().sendBatch([wecom("f", "zhangwei")]);
    expect(limited).toMatchObject({ ok: false, retry: true });
    expect(limited!.ok === false && limited!.reply).toMatch(/^WeCom answered 200: 45009 api freq out of limit/);
    const [refused] = await transport({ secret: "wrong" }).sendBatch([wecom("w", "zhangwei")]);
    expect(refused).toMatchObject({ ok: false, retry: false });
    expect(refused!.ok === false && refused!.reply).toMatch(/^WeCom refused the credentials: 40001 invalid credential/);
    expect(fake.sent).toEqual([]);
  });

  it("fails a batch of only unknown users finally (81013)", async () => {
    const results = await transport().sendBatch([wecom("x", "ghost1"), wecom("y", "ghost2")]);
    expect(results.map((result) => result.ok === false && !result.retry)).toEqual([true, true]);
    expect(results[0]!.ok === false && results[0]!.reply).toContain("81013");
  });
});

describe("WeCom customer group-send (客户群发)", () => {
  it("creates the task and reports the ids WeCom refused", async () => {
    const fake = await startFakeWeCom(CORP);
    try {
      const answer = await createCustomerGroupSend({ ...CORP, baseUrl: fake.url }, { externalUserIds: ["wmA1", "wmB2", "bogus"], sender: "zhangwei", text: "双十二会员专享" });
      expect(answer).toEqual({ ok: true, msgid: fake.groupSends[0]!.msgid, failed: ["bogus"] });
      expect(fake.groupSends[0]!.body).toEqual({ chat_type: "single", external_userid: ["wmA1", "wmB2", "bogus"], sender: "zhangwei", text: { content: "双十二会员专享" } });
    } finally {
      await fake.close();
    }
  });
});
