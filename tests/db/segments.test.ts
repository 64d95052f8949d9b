import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import type { Ctx } from "@/lib/access/context";
import { AppError } from "@/lib/errors";
import { countMatching, previewRule, sampleMatching } from "@/lib/audiences/segments/evaluate";
import { ruleSchema, type Condition, type Rule } from "@/lib/audiences/segments/rule";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeUser } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { ALL, NOW, URL_A, URL_B, URL_ODD, seedSegmentDepartment, type Seeded } from "../helpers/segments-seed";
import { snapshotState } from "../helpers/snapshot";

/*
 * Every operator of a segment rule against answers worked out by hand from the seed
 * (tests/helpers/segments-seed.ts: who lives where, who opened what when). The expected lists are
 * written out, never computed.
 */

const all = (...conditions: Condition[]): Rule => ({ match: "all", conditions });
const any = (...conditions: Condition[]): Rule => ({ match: "any", conditions });
const except = (...keys: string[]) => ALL.filter((key) => !keys.includes(key));

describeOnDatabases("segments", (db) => {
  let a: Seeded;
  let b: Seeded;

  /** The keys (ann, bob…) the rule holds in department A, checked by count and by sample alike. */
  async function holds(rule: Rule, seeded: Seeded = a): Promise<string[]> {
    const parsed = ruleSchema.parse(rule);
    const count = await countMatching(db(), seeded.departmentId, parsed, NOW);
    const sample = await sampleMatching(db(), seeded.departmentId, parsed, 100, NOW);
    expect(sample.length).toBe(count);
    return sample.map((contact) => contact.email.replace("@seg.test", "")).sort();
  }
  const sorted = (keys: string[]) => [...keys].sort();

  beforeAll(async () => {
    a = await seedSegmentDepartment(db());
    b = await seedSegmentDepartment(db(), { other: true });
  });

  describe("pools, tags, status, email and name", () => {
    it("pool in / not in", async () => {
      expect(await holds(all({ field: "pool", op: "in", value: a.pools.P1 }))).toEqual(sorted(["ann", "bob", "dan", "fay", "ivy", "kim"]));
      expect(await holds(all({ field: "pool", op: "not_in", value: a.pools.P1 }))).toEqual(sorted(["cai", "eve", "gus", "hal", "jon", "lee"]));
    });

    it("tag has / has not", async () => {
      expect(await holds(all({ field: "tag", op: "has", value: a.tags.vip }))).toEqual(sorted(["ann", "bob", "eve", "jon"]));
      expect(await holds(all({ field: "tag", op: "has_not", value: a.tags.vip }))).toEqual(sorted(["cai", "dan", "fay", "gus", "hal", "ivy", "kim", "lee"]));
    });

    it("status is / is not", async () => {
      expect(await holds(all({ field: "status", op: "is", value: "active" }))).toEqual(sorted(["ann", "bob", "cai", "eve", "gus", "hal", "kim", "lee"]));
      expect(await holds(all({ field: "status", op: "is_not", value: "active" }))).toEqual(sorted(["dan", "fay", "ivy", "jon"]));
      expect(await holds(all({ field: "status", op: "is", value: "complained" }))).toEqual(["jon"]);
    });

    it("email equals (as addresses are kept: trimmed, lower case), not equals, contains", async () => {
      expect(await holds(all({ field: "email", op: "equals", value: " ANN@seg.test " }))).toEqual(["ann"]);
      expect(await holds(all({ field: "email", op: "not_equals", value: "ann@seg.test" }))).toEqual(sorted(except("ann")));
      expect(await holds(all({ field: "email", op: "contains", value: "O" }))).toEqual(sorted(["bob", "jon"]));
    });

    it("name equals, not equals, contains (any case)", async () => {
      expect(await holds(all({ field: "name", op: "equals", value: "Dan" }))).toEqual(["dan"]);
      expect(await holds(all({ field: "name", op: "not_equals", value: "Dan" }))).toEqual(sorted(except("dan")));
      expect(await holds(all({ field: "name", op: "contains", value: "lee" }))).toEqual(sorted(["ann", "lee"]));
      expect(await holds(all({ field: "name", op: "contains", value: "蔡" }))).toEqual(["cai"]);
    });
  });

  describe("attributes", () => {
    const city = "city";
    it("equals is exact (a trailing space is another value); not equals includes contacts without the attribute", async () => {
      expect(await holds(all({ field: "attribute", key: city, op: "equals", value: "上海" }))).toEqual(sorted(["ann", "cai", "ivy"]));
      expect(await holds(all({ field: "attribute", key: city, op: "not_equals", value: "上海" }))).toEqual(sorted(except("ann", "cai", "ivy")));
    });

    it("contains (any case) and in", async () => {
      expect(await holds(all({ field: "attribute", key: city, op: "contains", value: "海" }))).toEqual(sorted(["ann", "cai", "gus", "ivy"]));
      expect(await holds(all({ field: "attribute", key: city, op: "contains", value: "SHANG" }))).toEqual(["dan"]);
      expect(await holds(all({ field: "attribute", key: city, op: "in", value: ["上海", "北京"] }))).toEqual(sorted(["ann", "bob", "cai", "ivy"]));
    });

    it("numeric comparisons skip values that are not numbers", async () => {
      expect(await holds(all({ field: "attribute", key: "age", op: "gt", value: 30 }))).toEqual(sorted(["ann", "cai", "ivy"]));
      expect(await holds(all({ field: "attribute", key: "age", op: "gte", value: 34 }))).toEqual(sorted(["ann", "cai", "ivy"]));
      expect(await holds(all({ field: "attribute", key: "age", op: "lt", value: 27.5 }))).toEqual(sorted(["bob", "fay"]));
      expect(await holds(all({ field: "attribute", key: "age", op: "lte", value: 27.5 }))).toEqual(sorted(["bob", "eve", "fay"]));
    });

    it("dates before, after and within the last N days skip values that are not dates", async () => {
      expect(await holds(all({ field: "attribute", key: "joined", op: "before", value: "2026-01-01" }))).toEqual(["bob"]);
      expect(await holds(all({ field: "attribute", key: "joined", op: "after", value: "2026-11-20" }))).toEqual(["eve"]);
      expect(await holds(all({ field: "attribute", key: "joined", op: "within_days", value: 30 }))).toEqual(sorted(["ann", "eve"]));
      expect(await holds(all({ field: "attribute", key: "joined", op: "within_days", value: 365 }))).toEqual(sorted(["ann", "cai", "eve"]));
    });

    it("present means a non-empty value; absent the rest", async () => {
      expect(await holds(all({ field: "attribute", key: "plan", op: "present" }))).toEqual(sorted(["ann", "bob", "dan", "gus", "jon"]));
      expect(await holds(all({ field: "attribute", key: "plan", op: "absent" }))).toEqual(sorted(["cai", "eve", "fay", "hal", "ivy", "kim", "lee"]));
    });

    it("a value of the wrong kind for its operator is refused before any query", () => {
      expect(ruleSchema.safeParse(all({ field: "attribute", key: "age", op: "gt", value: "30" } as never)).success).toBe(false);
      expect(ruleSchema.safeParse(all({ field: "attribute", key: "city", op: "in", value: "上海" } as never)).success).toBe(false);
      expect(ruleSchema.safeParse(all({ field: "attribute", key: "joined", op: "before", value: "2026-02-30" } as never)).success).toBe(false);
      expect(ruleSchema.safeParse(all({ field: "engagement", op: "did", event: "opened", url: URL_A } as never)).success).toBe(false);
      expect(ruleSchema.safeParse(all({ field: "pool", op: "in", value: "1 or 1=1" } as never)).success).toBe(false);
    });
  });

  describe("engagement (people's opens and clicks; machines' left out)", () => {
    const did = (event: "opened" | "clicked" | "sent" | "bounced", extra: { taskId?: string; days?: number; url?: string } = {}): Condition => ({ field: "engagement", op: "did", event, ...extra });

    it("opened: ever, in the last 30 days, in a task, and did not", async () => {
      expect(await holds(all(did("opened")))).toEqual(sorted(["ann", "bob", "gus"]));
      expect(await holds(all(did("opened", { days: 30 })))).toEqual(sorted(["ann", "gus"]));
      expect(await holds(all(did("opened", { taskId: a.tasks.T1 })))).toEqual(sorted(["ann", "bob"]));
      expect(await holds(all({ field: "engagement", op: "did_not", event: "opened", days: 30 }))).toEqual(sorted(except("ann", "gus")));
    });

    it("clicked: ever, recently, a given link (a machine's click on it does not count), in a task", async () => {
      expect(await holds(all(did("clicked")))).toEqual(sorted(["ann", "bob", "gus"]));
      expect(await holds(all(did("clicked", { days: 30 })))).toEqual(sorted(["ann", "gus"]));
      expect(await holds(all(did("clicked", { url: URL_A })))).toEqual(["ann"]);
      expect(await holds(all(did("clicked", { url: URL_B, taskId: a.tasks.T1 })))).toEqual(["bob"]);
      expect(await holds(all(did("clicked", { url: URL_B, days: 30 })))).toEqual([]);
      expect(await holds(all(did("clicked", { url: URL_ODD })))).toEqual(["gus"]);
    });

    it("was sent (a later bounce still was) and bounced (at the send or after)", async () => {
      expect(await holds(all(did("sent")))).toEqual(sorted(["ann", "bob", "dan", "eve", "gus"]));
      expect(await holds(all(did("sent", { taskId: a.tasks.T2 })))).toEqual(sorted(["ann", "bob", "eve", "gus"]));
      expect(await holds(all(did("bounced")))).toEqual(sorted(["cai", "dan"]));
      expect(await holds(all(did("bounced", { days: 30 })))).toEqual(["cai"]);
      expect(await holds(all({ field: "engagement", op: "did_not", event: "sent" }))).toEqual(sorted(["cai", "fay", "hal", "ivy", "jon", "kim", "lee"]));
    });
  });

  describe("combining", () => {
    it("all, any, and a nested group", async () => {
      expect(await holds(all({ field: "attribute", key: "city", op: "equals", value: "上海" }, { field: "engagement", op: "did", event: "clicked", days: 90 }))).toEqual(["ann"]);
      expect(await holds(any({ field: "tag", op: "has", value: a.tags.new }, { field: "status", op: "is", value: "complained" }))).toEqual(sorted(["bob", "dan", "gus", "jon"]));
      const nested = all(
        { field: "pool", op: "in", value: a.pools.P1 },
        { match: "any", conditions: [{ field: "tag", op: "has", value: a.tags.vip }, { field: "attribute", key: "age", op: "gt", value: 30 }] },
      );
      expect(await holds(nested)).toEqual(sorted(["ann", "bob", "ivy"]));
    });

    it("all of nothing is everyone, any of nothing no one; a group inside a group is refused", async () => {
      expect(await holds(all())).toEqual(sorted(ALL));
      expect(await holds(any())).toEqual([]);
      const deeper = { match: "all", conditions: [{ match: "any", conditions: [{ match: "all", conditions: [{ field: "status", op: "is", value: "active" }] }] }] };
      expect(ruleSchema.safeParse(deeper).success).toBe(false);
    });
  });

  describe("hostile values", () => {
    it("quotes, %, _, backslashes and SQL keywords match only themselves and change nothing", async () => {
      const before = await snapshotState(db());
      expect(await holds(all({ field: "name", op: "contains", value: "%" }))).toEqual(["hal"]);
      expect(await holds(all({ field: "name", op: "contains", value: "_" }))).toEqual(["hal"]);
      expect(await holds(all({ field: "attribute", key: "note", op: "equals", value: "50%_off\\path" }))).toEqual(["hal"]);
      expect(await holds(all({ field: "attribute", key: "note", op: "contains", value: "\\" }))).toEqual(["hal"]);
      expect(await holds(all({ field: "attribute", key: "city", op: "equals", value: "'; drop table contacts; --" }))).toEqual(["kim"]);
      expect(await holds(all({ field: "attribute", key: "city", op: "in", value: ["'; drop table contacts; --", "x' or '1'='1"] }))).toEqual(["kim"]);
      expect(await holds(all({ field: "name", op: "contains", value: "'; drop table contacts; --" }))).toEqual(["kim"]);
      expect(await holds(all({ field: "name", op: "equals", value: "x' or '1'='1" }))).toEqual([]);
      expect(await holds(all({ field: "attribute", key: "quote", op: "equals", value: "it's" }))).toEqual(["kim"]);
      expect(await holds(all({ field: "attribute", key: "'; drop table contacts; --", op: "present" }))).toEqual([]);
      expect(await holds(all({ field: "attribute", key: "city') or true or ('", op: "absent" }))).toEqual(sorted(ALL));
      expect(await holds(all({ field: "engagement", op: "did", event: "clicked", url: "' or 1=1 --" }))).toEqual([]);
      expect(await snapshotState(db())).toBe(before);
      const [tables] = await queryRows<{ count: string | number }>(db(), sql`select count(*) as count from contacts where department_id = ${a.departmentId}`);
      expect(Number(tables!.count)).toBe(ALL.length);
    });
  });

  describe("departments", () => {
    it("another department's pool, tag and task match nothing here, and its contacts never appear", async () => {
      expect(await holds(all({ field: "pool", op: "in", value: b.pools.P1 }))).toEqual([]);
      expect(await holds(all({ field: "tag", op: "has", value: b.tags.vip }))).toEqual([]);
      expect(await holds(all({ field: "engagement", op: "did", event: "opened", taskId: b.tasks.T1 }))).toEqual([]);
      // b's ann, bob and cai opened and clicked last week, in its pools and tags: a's answers above are a's alone.
      expect(await holds(all({ field: "engagement", op: "did", event: "clicked", url: URL_A }), b)).toEqual(sorted(["ann", "bob", "cai"]));
      expect(await holds(all({ field: "pool", op: "in", value: a.pools.P1 }), b)).toEqual([]);
    });

    it("the preview counts and samples the caller's own department, in arrival order, and refuses another's", async () => {
      const user = await makeUser(db(), "department", { departmentId: a.departmentId });
      const ctx: Ctx = { db: db(), actor: actorFor(user, "department", a.departmentId) };
      const preview = await previewRule(ctx, a.departmentId, all({ field: "attribute", key: "city", op: "equals", value: "上海" }), { now: NOW, sample: 2 });
      expect(preview.count).toBe(3);
      expect(preview.sample.map((contact) => contact.email)).toEqual(["ann@seg.test", "cai@seg.test"]);
      expect(preview.sample[0]).toMatchObject({ name: "Ann Lee", attributes: { city: "上海", age: "34", plan: "gold" } });
      const refused = await rejection(previewRule(ctx, b.departmentId, all(), { now: NOW }), AppError);
      expect(refused.code).toBe("forbidden");
    });
  });
});
