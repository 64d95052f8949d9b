import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { createAutomation } from "@/lib/automations/store";
import { subscribe } from "@/lib/pools/subscribe";
import { createTemplate } from "@/lib/templates/store";
import { children, sharedDatabase, sleep, startChild, type Child, type Shared } from "../helpers/crash";
import { makeSendingSetup, type SendingSetup } from "../helpers/sending";

/**
 * Issue 18, Done-means 3, the crash half: the automations' engine runs in a child process
 * (tests/helpers/automation-child.ts) killed with SIGKILL half-way through a welcome series'
 * first step for 300 people; a second process finishes it. Each person's step ran once and their
 * message was accepted once: nothing lost, nothing repeated; the wait and the second step follow.
 */

const AUTOMATION_CHILD = "tests/helpers/automation-child.ts";
const TARGET = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";
const PEOPLE = 300;
const HOUR = 3_600_000;

async function finished(child: Child) {
  const code = await Promise.race([child.exited, sleep(120_000).then(() => "still running after 120 s")]);
  if (code !== 0) throw new Error(`The automation child ended with ${code}:\n${child.output()}`);
}

describe(`automations and SIGKILL, in child processes [${TARGET}]`, { timeout: 240_000 }, () => {
  let shared: Shared;
  let setup: SendingSetup;

  beforeAll(async () => {
    shared = await sharedDatabase("fanout_automation_crash");
    const db = await shared.connect();
    setup = await makeSendingSetup(db, { emails: [], quota: null });
    const made = async (subject: string) => (await createTemplate(setup.ctx, { name: subject, departmentId: setup.departmentId, subject, html: `<p>${subject}</p>` })).id;
    await createAutomation(setup.ctx, {
      name: "Welcome",
      trigger: { type: "subscribed", poolId: setup.poolId },
      steps: [{ type: "send", templateId: await made("Welcome") }, { type: "wait", hours: 48 }, { type: "send", templateId: await made("Two days in") }],
      senderId: setup.senderId,
      departmentId: setup.departmentId,
    });
    for (let index = 0; index < PEOPLE; index++) await subscribe(setup.ctx, { poolId: setup.poolId, email: `p${index}@crash-series.test` });
    await shared.release();
  });
  afterEach(async () => {
    for (const child of [...children]) await child.kill();
    await shared.release();
  });
  afterAll(async () => {
    await shared?.drop();
  });

  const env = () => ({ ...shared.childEnv, FANOUT_TOKEN_SECRET: "automation-crash-token-secret", AUTH_SECRET: "automation-crash-auth-secret" });

  /** Per person: the steps run, and the messages accepted for them (deliveries of the department's message tasks). */
  async function ledger() {
    const db = await shared.connect();
    const [runs] = await queryRows<{ runs: number; people: number; most: number }>(
      db,
      sql`select count(*)::int as runs, count(distinct r.enrolment_id)::int as people,
                 coalesce(max(per.n), 0)::int as most
          from automation_step_runs r
          left join (select enrolment_id, step, count(*) as n from automation_step_runs group by 1, 2) per on per.enrolment_id = r.enrolment_id and per.step = r.step`,
    );
    const perAddress = await queryRows<{ email: string; n: number }>(
      db,
      sql`select d.email, count(*)::int as n from deliveries d join tasks t on t.id = d.task_id where t.department_id = ${setup.departmentId} and t.kind = 'message' group by 1`,
    );
    const steps = await queryRows<{ step: number; status: string; n: number }>(db, sql`select step, status, count(*)::int as n from automation_enrolments where department_id = ${setup.departmentId} group by 1, 2 order by 1, 2`);
    await shared.release();
    return { runs: runs!, perAddress, steps: steps.map((row) => ({ step: Number(row.step), status: row.status, n: Number(row.n) })) };
  }

  it("a process killed half-way through the first step loses and repeats nothing; the next one finishes it, and the second step follows the wait", async () => {
    const at = new Date(Date.now() + 60_000);
    const first = startChild(AUTOMATION_CHILD, env(), [at.toISOString()]);
    first.go();
    // Killed once a few rounds (ten people each) have committed, in the middle of its work.
    const deadline = Date.now() + 90_000;
    while ((first.output().match(/^advanced /gm) ?? []).length < 5) {
      if (Date.now() > deadline) throw new Error(`The automation child did not get going:\n${first.output()}`);
      await sleep(5);
    }
    await first.kill();
    const half = await ledger();
    expect(half.perAddress.length).toBeGreaterThan(0);
    expect(half.perAddress.length).toBeLessThan(PEOPLE);

    const second = startChild(AUTOMATION_CHILD, env(), [at.toISOString()]);
    second.go();
    await finished(second);
    await second.kill();
    const afterFirstStep = await ledger();
    // Everyone's welcome accepted once, their wait begun once: 300 sends and 300 waits, no step run twice.
    expect(afterFirstStep.perAddress.length).toBe(PEOPLE);
    expect(afterFirstStep.perAddress.filter((row) => Number(row.n) !== 1)).toEqual([]);
    expect(afterFirstStep.runs).toMatchObject({ runs: 2 * PEOPLE, people: PEOPLE, most: 1 });
    expect(afterFirstStep.steps).toEqual([{ step: 2, status: "active", n: PEOPLE }]);

    const later = startChild(AUTOMATION_CHILD, env(), [new Date(at.getTime() + 48 * HOUR).toISOString()]);
    later.go();
    await finished(later);
    await later.kill();
    const done = await ledger();
    expect(done.perAddress.filter((row) => Number(row.n) !== 2)).toEqual([]);
    expect(done.runs).toMatchObject({ runs: 3 * PEOPLE, most: 1 });
    expect(done.steps).toEqual([{ step: 3, status: "done", n: PEOPLE }]);
  });
});
