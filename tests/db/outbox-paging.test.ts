import crypto from "node:crypto";
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { outboxMessages } from "@/db/schema";
import { isOutboxCursor, listOutbox, OUTBOX_PAGE_SIZE } from "@/lib/outbox/messages";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser } from "../helpers/factories";

describeOnDatabases("outbox paging", (db) => {
  it("walks 300 messages that share one timestamp, forwards and back, reaching each exactly once", async () => {
    const department = await makeDepartment(db());
    const other = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    const ctx = { db: db(), actor: actorFor(user, "department", department.id) };
    // One batch's messages: one transaction's now(), to the microsecond.
    const sharedAt = new Date("2026-03-01T08:00:00.123Z");
    const message = (departmentId: string, n: number) => ({
      departmentId,
      kind: "delivery",
      fromAddress: "news@news.example.com",
      toAddress: `reader${n}@example.test`,
      subject: `第 ${n} 封`,
      messageId: `<${crypto.randomUUID()}@news.example.com>`,
      mime: "Subject: x\r\n\r\nx\r\n",
      createdAt: sharedAt,
    });
    const inserted = await db()
      .insert(outboxMessages)
      .values(Array.from({ length: 300 }, (_, n) => message(department.id, n)))
      .returning({ id: outboxMessages.id });
    await db().insert(outboxMessages).values(Array.from({ length: 20 }, (_, n) => message(other.id, n)));
    const expected = new Set(inserted.map((row) => row.id));

    const forward: string[][] = [];
    let page = await listOutbox(ctx);
    expect(page.previousAfter).toBeNull();
    for (;;) {
      forward.push(page.rows.map((row) => row.id));
      if (!page.nextBefore) break;
      expect(isOutboxCursor(page.nextBefore)).toBe(true);
      expect(forward.length).toBeLessThan(10);
      page = await listOutbox(ctx, { before: page.nextBefore });
    }
    const seen = forward.flat();
    expect(forward).toHaveLength(Math.ceil(300 / OUTBOX_PAGE_SIZE));
    expect(forward.every((ids) => ids.length === OUTBOX_PAGE_SIZE)).toBe(true);
    expect(seen).toHaveLength(300);
    expect(new Set(seen)).toEqual(expected);

    // From the last page back to the first with Previous: the same pages, in reverse.
    const backward: string[][] = [page.rows.map((row) => row.id)];
    while (page.previousAfter) {
      expect(backward.length).toBeLessThan(10);
      page = await listOutbox(ctx, { after: page.previousAfter });
      backward.push(page.rows.map((row) => row.id));
    }
    expect(backward.reverse()).toEqual(forward);
    expect(page.nextBefore).not.toBeNull();
  });

  it("orders by time first: a newer message leads, and a message a microsecond older follows the batch", async () => {
    const department = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: department.id });
    const ctx = { db: db(), actor: actorFor(user, "department", department.id) };
    const row = (to: string, at: string) => ({
      departmentId: department.id,
      kind: "delivery",
      fromAddress: "news@news.example.com",
      toAddress: to,
      subject: to,
      messageId: `<${crypto.randomUUID()}@news.example.com>`,
      mime: "Subject: x\r\n\r\nx\r\n",
      createdAt: new Date(at),
    });
    await db()
      .insert(outboxMessages)
      .values([row("newest@example.test", "2026-03-02T00:00:00Z"), ...Array.from({ length: 60 }, (_, n) => row(`batch${n}@example.test`, "2026-03-01T00:00:00Z"))]);
    // A Date keeps milliseconds only; the cursor must not round this row into the batch.
    await db().execute(sql`insert into outbox_messages (department_id, kind, from_address, to_address, subject, message_id, mime, created_at)
       values (${department.id}, 'delivery', 'news@news.example.com', 'oldest@example.test', 'oldest', '<oldest@x>', 'x', timestamptz '2026-03-01T00:00:00Z' - interval '1 microsecond')`);
    const first = await listOutbox(ctx);
    expect(first.rows[0]!.toAddress).toBe("newest@example.test");
    const second = await listOutbox(ctx, { before: first.nextBefore! });
    expect(second.rows.map((r) => r.toAddress).at(-1)).toBe("oldest@example.test");
    expect(second.nextBefore).toBeNull();
    expect([...first.rows, ...second.rows].map((r) => r.toAddress).filter((a) => a.startsWith("batch"))).toHaveLength(60);
  });
});
