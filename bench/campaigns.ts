/**
 * The campaigns benchmark (`npm run bench -- campaigns [--contacts N]`), issue 18: what an A/B test
 * and send-time optimisation cost when a task's recipients are written, against the same task
 * without them in the same process (the ratio is what to compare; machines are noisy).
 *
 * On the segments benchmark's seeded scratch database (bench/segments.ts: N contacts, default
 * 100,000, each reached by five campaigns with 30% opened and 10% clicked), a task to the pool of
 * the 上海 fifth is materialised three ways through lib/sending/materialize.ts:
 * - plain (the baseline);
 * - with an A/B test of two variants on a 20% share: the share's walk, then (the decision made) the
 *   rest's walk over the same contacts, each filtering by the share's hash;
 * - with send-time optimisation: each row's best hour looked up from its contact's deliveries and
 *   planned in its zone (a fifth of the contacts carry a `timezone` attribute, half of them unknown
 *   to Postgres, so every path of the zone is taken).
 */
import { sql } from "drizzle-orm";
import { affectedRows, queryRows } from "@/db/client";
import { createScratchDatabase } from "@/db/scratch";
import { contactCount, DEFAULT_SERVER_URL, materializeTask, seededDepartment, shanghaiPool } from "./segments";

const log = (message: string) => console.error(`[bench campaigns] ${message}`);
const ratio = (value: number, baseline: number) => Number((value / baseline).toFixed(2));

export async function runCampaignsBenchmark(options: { contacts?: string }) {
  const contacts = contactCount(options.contacts);
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || DEFAULT_SERVER_URL;
  const scratch = await createScratchDatabase(serverUrl, "fanout_bench_campaigns");
  const { handle, ctx, departmentId, sender } = await seededDepartment(scratch.url, contacts);
  try {
    await ctx.db.execute(
      sql`update contacts set attributes = attributes || jsonb_build_object('timezone', case when id % 2 = 0 then 'America/New_York' else 'Mars/Olympus' end)
          where department_id = ${departmentId} and id % 5 = 0`,
    );
    const poolId = await shanghaiPool(ctx, departmentId);
    const task = (options: Parameters<typeof materializeTask>[5] = {}) => materializeTask(ctx, departmentId, sender.id, [poolId], [], options);

    log("materialising plainly (the baseline)");
    const plain = await task();
    log("materialising with an A/B test (its share, then the rest)");
    const abTest = { variants: [{ subject: "A" }, { subject: "B" }], sharePercent: 20, metric: "opens", waitHours: 4, winnerBy: "rule" };
    const ab = await task({
      columns: sql`ab_test = ${JSON.stringify(abTest)}::jsonb, ab_phase = 'testing'`,
      // The share is written and the task waits: decide (B) and go on with the rest, once.
      afterPause: async (taskId) => {
        return affectedRows(await ctx.db.execute(sql`update tasks set ab_phase = 'rest' where id = ${taskId} and ab_phase = 'waiting'`)) === 1;
      },
    });
    log("materialising with send-time optimisation");
    const sendTime = await task({ columns: sql`send_time_optimized = true` });
    const [hours] = await queryRows<{ hours: number }>(ctx.db, sql`select count(distinct date_trunc('hour', next_attempt_at))::int as hours from deliveries where task_id = ${sendTime.taskId}`);
    return {
      contacts,
      plain: { recipients: plain.recipients, perSecond: plain.perSecond, seconds: plain.seconds },
      abTest: { recipients: ab.recipients, perSecond: ab.perSecond, seconds: ab.seconds, ofPlain: ratio(ab.perSecond, plain.perSecond) },
      sendTime: { recipients: sendTime.recipients, perSecond: sendTime.perSecond, seconds: sendTime.seconds, ofPlain: ratio(sendTime.perSecond, plain.perSecond), plannedHours: hours?.hours ?? 0 },
    };
  } finally {
    await handle.close();
    await scratch.drop();
  }
}
