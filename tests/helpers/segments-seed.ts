import { sql } from "drizzle-orm";
import { queryRows, type Database } from "@/db/client";
import { makeSendingSetup, type SendingSetup } from "./sending";
import { unique } from "./factories";

/*
 * A small department whose contacts, pools, tags, deliveries and clicks were chosen by hand, so a
 * segment test can write each operator's answer out as the list of addresses it must return.
 * Everything happens relative to NOW. Addresses are `<key>@seg.test`; contacts arrive in the order
 * of PEOPLE, so a sample (id order) follows it.
 */

export const NOW = new Date("2026-12-01T12:00:00Z");
export const URL_A = "https://shop.test/a";
export const URL_B = "https://shop.test/b";
/** A link whose text carries a quote, a %, an _ and a backslash. */
export const URL_ODD = "https://shop.test/a?x=1%_'\\";

type Person = { key: string; name: string; status: string; attributes: Record<string, string>; pools: ("P1" | "P2")[]; tags: ("vip" | "new")[] };

export const PEOPLE: Person[] = [
  { key: "ann", name: "Ann Lee", status: "active", attributes: { city: "上海", age: "34", joined: "2026-11-20", plan: "gold" }, pools: ["P1"], tags: ["vip"] },
  { key: "bob", name: "Bob Wu", status: "active", attributes: { city: "北京", age: "19", joined: "2025-01-05", plan: "free" }, pools: ["P1"], tags: ["vip", "new"] },
  { key: "cai", name: "蔡明", status: "active", attributes: { city: "上海", age: "52", joined: "2026-06-30" }, pools: ["P2"], tags: [] },
  { key: "dan", name: "Dan", status: "unsubscribed", attributes: { city: "Shanghai", age: "abc", plan: "gold" }, pools: ["P1", "P2"], tags: ["new"] },
  { key: "eve", name: "Eve Chen", status: "active", attributes: { city: "广州", age: "27.5", joined: "2026-11-30T08:00", plan: "" }, pools: ["P2"], tags: ["vip"] },
  { key: "fay", name: "Fay", status: "bounced", attributes: { age: "-3", joined: "not a date" }, pools: ["P1"], tags: [] },
  { key: "gus", name: "Gus O'Neil", status: "active", attributes: { city: "上海 ", plan: "silver" }, pools: [], tags: ["new"] },
  { key: "hal", name: "Hal 50%_off", status: "active", attributes: { city: "深圳", note: "50%_off\\path" }, pools: ["P2"], tags: [] },
  { key: "ivy", name: "Ivy", status: "pending", attributes: { city: "上海", age: "40" }, pools: ["P1"], tags: [] },
  { key: "jon", name: "Jon", status: "complained", attributes: { plan: "gold" }, pools: ["P2"], tags: ["vip"] },
  { key: "kim", name: "Kim'; drop table contacts; --", status: "active", attributes: { city: "'; drop table contacts; --", quote: "it's" }, pools: ["P1"], tags: [] },
  { key: "lee", name: "Lee", status: "active", attributes: {}, pools: ["P2"], tags: [] },
];

export const ALL = PEOPLE.map((person) => person.key);

export type Seeded = {
  setup: SendingSetup;
  departmentId: string;
  pools: { P1: string; P2: string };
  tags: { vip: string; new: string };
  tasks: { T1: string; T2: string };
  contactIds: Record<string, number>;
};

async function insertTask(db: Database, setup: SendingSetup, name: string): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into tasks (department_id, name, template_id, template_version, sender_id, status, scheduled_at, materialize_cursor)
        values (${setup.departmentId}, ${name}, ${setup.templateId}, 1, ${setup.senderId}, 'completed', ${NOW.toISOString()}::timestamptz, null) returning id`,
  );
  return row!.id;
}

async function insertPool(db: Database, departmentId: string, name: string): Promise<string> {
  const [row] = await queryRows<{ id: string }>(db, sql`insert into pools (department_id, name) values (${departmentId}, ${name}) returning id`);
  return row!.id;
}

async function insertTag(db: Database, departmentId: string, name: string): Promise<string> {
  const [row] = await queryRows<{ id: string }>(db, sql`insert into tags (department_id, name) values (${departmentId}, ${name}) returning id`);
  return row!.id;
}

type DeliverySeed = {
  status: string;
  sentAt?: string;
  firstOpenAt?: string;
  firstClickAt?: string;
  bouncedAt?: string;
  machineOpens?: number;
  clicks?: { url: string; at: string; machine?: boolean }[];
};

async function insertDelivery(db: Database, departmentId: string, taskId: string, contactId: number, email: string, seed: DeliverySeed) {
  const at = (value?: string) => (value ? sql`${value}::timestamptz` : sql`null`);
  const [row] = await queryRows<{ id: string | number }>(
    db,
    sql`insert into deliveries (task_id, department_id, contact_id, email, status, sent_at, first_open_at, open_count, first_click_at, click_count, bounced_at, machine_open_count)
        values (${taskId}, ${departmentId}, ${contactId}, ${email}, ${seed.status}, ${at(seed.sentAt)}, ${at(seed.firstOpenAt)}, ${seed.firstOpenAt ? 1 : 0},
                ${at(seed.firstClickAt)}, ${seed.firstClickAt ? 1 : 0}, ${at(seed.bouncedAt)}, ${seed.machineOpens ?? 0})
        returning id`,
  );
  // The contact's newest first open and click, moved as lib/feedback/tracking.ts moves them.
  await db.execute(sql`update contacts set latest_open_at = greatest(latest_open_at, ${at(seed.firstOpenAt)}), latest_click_at = greatest(latest_click_at, ${at(seed.firstClickAt)})
    where id = ${contactId}`);
  for (const click of seed.clicks ?? []) {
    await db.execute(sql`insert into delivery_events (delivery_id, department_id, type, source, machine, detail, occurred_at)
      values (${row!.id}, ${departmentId}, 'clicked', 'tracking', ${click.machine ?? false}, ${JSON.stringify({ url: click.url })}::jsonb, ${click.at}::timestamptz)`);
  }
}

/** Who received, opened, clicked and bounced what (T1 went out on 1 July, T2 on 25 November). */
const DELIVERIES: Record<string, { task: "T1" | "T2"; seed: DeliverySeed }[]> = {
  ann: [
    { task: "T1", seed: { status: "sent", sentAt: "2026-07-01T09:00Z", firstOpenAt: "2026-07-02T09:00Z" } },
    { task: "T2", seed: { status: "delivered", sentAt: "2026-11-25T09:00Z", firstOpenAt: "2026-11-26T09:00Z", firstClickAt: "2026-11-26T09:05Z", clicks: [{ url: URL_A, at: "2026-11-26T09:05Z" }] } },
  ],
  bob: [
    { task: "T1", seed: { status: "sent", sentAt: "2026-07-01T09:00Z", firstOpenAt: "2026-07-03T09:00Z", firstClickAt: "2026-07-03T09:00Z", clicks: [{ url: URL_B, at: "2026-07-03T09:00Z" }] } },
    { task: "T2", seed: { status: "sent", sentAt: "2026-11-25T09:00Z" } },
  ],
  cai: [{ task: "T2", seed: { status: "failed", sentAt: "2026-11-25T09:00Z" } }],
  dan: [{ task: "T1", seed: { status: "failed", sentAt: "2026-07-01T09:00Z", bouncedAt: "2026-07-02T09:00Z" } }],
  eve: [{ task: "T2", seed: { status: "sent", sentAt: "2026-11-25T09:00Z", machineOpens: 1, clicks: [{ url: URL_A, at: "2026-11-25T09:01Z", machine: true }] } }],
  gus: [{ task: "T2", seed: { status: "sent", sentAt: "2026-11-25T09:00Z", firstOpenAt: "2026-11-28T09:00Z", firstClickAt: "2026-11-28T09:00Z", clicks: [{ url: URL_ODD, at: "2026-11-28T09:00Z" }] } }],
  hal: [{ task: "T1", seed: { status: "queued" } }],
};

/** The department of PEOPLE, or (`other: true`) a second one whose ann opened and clicked recently, for leak tests. */
export async function seedSegmentDepartment(db: Database, options: { other?: boolean } = {}): Promise<Seeded> {
  const setup = await makeSendingSetup(db, { emails: [] });
  const departmentId = setup.departmentId;
  const pools = { P1: await insertPool(db, departmentId, unique("P1")), P2: await insertPool(db, departmentId, unique("P2")) };
  const tags = { vip: await insertTag(db, departmentId, unique("vip")), new: await insertTag(db, departmentId, unique("new")) };
  const tasks = { T1: await insertTask(db, setup, "T1"), T2: await insertTask(db, setup, "T2") };
  const contactIds: Record<string, number> = {};
  const people = options.other ? PEOPLE.filter((person) => ["ann", "bob", "cai"].includes(person.key)) : PEOPLE;
  for (const person of people) {
    const email = `${person.key}@seg.test`;
    const [row] = await queryRows<{ id: string | number }>(
      db,
      sql`insert into contacts (department_id, email, name, status, attributes)
          values (${departmentId}, ${email}, ${person.name}, ${person.status}, ${JSON.stringify(person.attributes)}::jsonb) returning id`,
    );
    const id = Number(row!.id);
    contactIds[person.key] = id;
    for (const pool of options.other ? (["P1", "P2"] as const) : person.pools) {
      await db.execute(sql`insert into pool_members (pool_id, contact_id) values (${pools[pool]}, ${id})`);
    }
    for (const tag of options.other ? (["vip", "new"] as const) : person.tags) {
      await db.execute(sql`insert into contact_tags (tag_id, contact_id) values (${tags[tag]}, ${id})`);
    }
    const deliveries = options.other
      ? [{ task: "T1" as const, seed: { status: "sent", sentAt: "2026-11-29T09:00Z", firstOpenAt: "2026-11-29T10:00Z", firstClickAt: "2026-11-29T10:00Z", clicks: [{ url: URL_A, at: "2026-11-29T10:00Z" }] } }]
      : (DELIVERIES[person.key] ?? []);
    for (const delivery of deliveries) await insertDelivery(db, departmentId, tasks[delivery.task], id, email, delivery.seed);
  }
  await db.execute(sql`update pools p set contact_count = (select count(*) from pool_members pm where pm.pool_id = p.id) where p.department_id = ${departmentId}`);
  return { setup, departmentId, pools, tags, tasks, contactIds };
}
