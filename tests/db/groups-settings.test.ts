import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLog, groups, senders } from "@/db/schema";
import { systemActor } from "@/lib/access/actor";
import { AppError } from "@/lib/errors";
import { createGroup, deleteGroup, listGroups, loadGroup, updateGroup } from "@/lib/groups/groups";
import { createPool } from "@/lib/pools/pools";
import { addDomain } from "@/lib/senders/domains";
import { describeOnDatabases } from "../helpers/db";
import { actorFor, makeDepartment, makeUser, unique } from "../helpers/factories";
import { rejection } from "../helpers/rejection";
import { addVerifiedDomain } from "../helpers/sending";

describeOnDatabases("group address settings", (db) => {
  /** A department with a user, a pool and a verified sender domain of its own. */
  async function department() {
    const dept = await makeDepartment(db());
    const user = await makeUser(db(), "department", { departmentId: dept.id });
    const ctx = { db: db(), actor: actorFor(user, "department", dept.id) };
    const system = { db: db(), actor: systemActor("test") };
    const domain = await addVerifiedDomain(system, `${unique("lists")}.example.com`, dept.id);
    const pool = await createPool(ctx, { name: unique("团队") });
    return { id: dept.id, ctx, domain: domain.domain, poolId: pool.id };
  }

  const refusal = async (run: Promise<unknown>) => {
    const error = await rejection(run, AppError);
    return { code: error.code, reason: error.reason, field: error.field };
  };

  it("creates a group on the department's domain with a sender row of its own, audited", async () => {
    const own = await department();
    const group = await createGroup(own.ctx, { poolId: own.poolId, address: `Sales-Team@${own.domain.toUpperCase()}`, name: "销售团队", moderators: "boss@example.com\n\n Deputy@Example.com " });
    expect(group).toMatchObject({ address: `sales-team@${own.domain}`, name: "销售团队", posting: "members", strangers: "hold", replyTo: "group", moderators: ["boss@example.com", "deputy@example.com"], enabled: true });
    const [sender] = await db().select().from(senders).where(eq(senders.id, group.senderId));
    expect(sender).toMatchObject({ departmentId: own.id, address: `sales-team@${own.domain}` });
    const rows = await db().select().from(auditLog).where(and(eq(auditLog.action, "group.create"), eq(auditLog.objectId, group.id)));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.summary).toContain(`sales-team@${own.domain}`);
    expect(rows[0]!.departmentId).toBe(own.id);

    expect((await loadGroup(own.ctx, group.id)).poolName).toBeTruthy();
    expect((await listGroups(own.ctx)).map((row) => row.id)).toEqual([group.id]);
  });

  it("reuses the department's sender when the address already is one", async () => {
    const own = await department();
    const { createSender } = await import("@/lib/senders/senders");
    const sender = await createSender(own.ctx, { address: `team@${own.domain}`, name: "Team" });
    const group = await createGroup(own.ctx, { poolId: own.poolId, address: `team@${own.domain}` });
    expect(group.senderId).toBe(sender.id);
  });

  it("refuses, naming the field, a foreign domain, a domain waiting for approval, a duplicate in another case, a return-path form and a bad moderator", async () => {
    const own = await department();
    const other = await department();
    expect(await refusal(createGroup(own.ctx, { poolId: own.poolId, address: `team@${other.domain}` }))).toMatchObject({ code: "invalid_input", field: "address", reason: "senderDomainOfOther" });
    expect(await refusal(createGroup(own.ctx, { poolId: own.poolId, address: "team@nowhere.example.net" }))).toMatchObject({ code: "invalid_input", field: "address", reason: "senderDomainMissing" });
    const pending = await addDomain(own.ctx, { domain: `${unique("pending")}.example.com`, departmentId: own.id });
    expect(await refusal(createGroup(own.ctx, { poolId: own.poolId, address: `team@${pending.domain}` }))).toMatchObject({ field: "address", reason: "senderDomainPending" });
    expect(await refusal(createGroup(own.ctx, { poolId: own.poolId, address: "not an address" }))).toMatchObject({ code: "invalid_input", field: "address" });
    for (const reserved of ["bounce", "unsubscribe", "reply", "Reply"]) {
      expect(await refusal(createGroup(own.ctx, { poolId: own.poolId, address: `${reserved}+abc@${own.domain}` })), reserved).toMatchObject({ field: "address", reason: "groupAddressReserved" });
    }
    expect(await refusal(createGroup(own.ctx, { poolId: own.poolId, address: `team@${own.domain}`, moderators: "ok@example.com\nnot-an-address" }))).toMatchObject({ field: "moderators", reason: "groupModeratorInvalid" });
    expect(await refusal(createGroup(own.ctx, { poolId: own.poolId, address: `team@${own.domain}`, posting: "everyone" as never }))).toMatchObject({ field: "posting" });

    await createGroup(own.ctx, { poolId: own.poolId, address: `team@${own.domain}` });
    const second = await createPool(own.ctx, { name: unique("second") });
    expect(await refusal(createGroup(own.ctx, { poolId: second.id, address: `TEAM@${own.domain.toUpperCase()}` }))).toMatchObject({ code: "conflict", field: "address", reason: "groupAddressTaken" });
    expect(await refusal(createGroup(own.ctx, { poolId: own.poolId, address: `other@${own.domain}` }))).toMatchObject({ code: "conflict", field: "poolId", reason: "groupPoolTaken" });
    // Nothing half-made: one group, and no sender for the refused addresses.
    expect(await db().select({ id: groups.id }).from(groups).where(eq(groups.departmentId, own.id))).toHaveLength(1);
    expect((await db().select({ address: senders.address }).from(senders).where(eq(senders.departmentId, own.id))).map((row) => row.address)).toEqual([`team@${own.domain}`]);
  });

  it("refuses another department's pool and keeps each department to its own groups", async () => {
    const own = await department();
    const other = await department();
    expect(await refusal(createGroup(own.ctx, { poolId: other.poolId, address: `team@${own.domain}` }))).toMatchObject({ code: "forbidden" });
    expect(await refusal(createGroup(own.ctx, { poolId: crypto.randomUUID(), address: `team@${own.domain}` }))).toMatchObject({ field: "poolId", reason: "groupPoolMissing" });
    const theirs = await createGroup(other.ctx, { poolId: other.poolId, address: `theirs@${other.domain}` });
    expect(await refusal(loadGroup(own.ctx, theirs.id))).toMatchObject({ code: "forbidden" });
    expect(await refusal(updateGroup(own.ctx, theirs.id, { name: "taken over" }))).toMatchObject({ code: "forbidden" });
    expect(await refusal(deleteGroup(own.ctx, theirs.id))).toMatchObject({ code: "forbidden" });
    expect((await listGroups(own.ctx)).map((row) => row.id)).not.toContain(theirs.id);
    expect((await loadGroup(other.ctx, theirs.id)).name).not.toBe("taken over");

    // A manager reads every department's groups and changes none.
    const manager = await makeUser(db(), "manager", { readsAll: true });
    const managerCtx = { db: db(), actor: actorFor(manager, "manager") };
    expect((await listGroups(managerCtx)).map((row) => row.id)).toContain(theirs.id);
    expect(await refusal(updateGroup(managerCtx, theirs.id, { name: "managed" }))).toMatchObject({ code: "forbidden" });
  });

  it("updates and deletes, checking a new address as on creation, each audited", async () => {
    const own = await department();
    const group = await createGroup(own.ctx, { poolId: own.poolId, address: `team@${own.domain}` });
    expect(await refusal(updateGroup(own.ctx, group.id, { address: `bounce+x@${own.domain}` }))).toMatchObject({ field: "address", reason: "groupAddressReserved" });
    const changed = await updateGroup(own.ctx, group.id, { address: `crew@${own.domain}`, posting: "anyone", strangers: "refuse", replyTo: "poster", moderators: ["mod@example.com"], enabled: false });
    expect(changed).toMatchObject({ address: `crew@${own.domain}`, posting: "anyone", strangers: "refuse", replyTo: "poster", moderators: ["mod@example.com"], enabled: false });
    expect(changed.senderId).not.toBe(group.senderId);
    await deleteGroup(own.ctx, group.id);
    expect(await db().select().from(groups).where(eq(groups.id, group.id))).toHaveLength(0);
    const actions = (await db().select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.objectId, group.id)).orderBy(auditLog.id)).map((row) => row.action);
    expect(actions).toEqual(["group.create", "group.update", "group.delete"]);
  });
});

describe("return-path forms", () => {
  it("are the ones the entrance reads as feedback", async () => {
    const { parseFeedbackAddress } = await import("@/lib/tokens/delivery-addresses");
    expect(parseFeedbackAddress("reply+abc@lists.example.com")).not.toBeNull();
    expect(parseFeedbackAddress("replies@lists.example.com")).toBeNull();
  });
});
