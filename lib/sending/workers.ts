import "server-only";
import crypto from "node:crypto";
import os from "node:os";
import { sql, type SQL } from "drizzle-orm";
import { processAlive, queryRows, type Executor } from "@/db/client";
import type { EngineWorkerKind } from "@/db/schema";

/** How often a runner writes its heartbeat (and takes over the claims of stopped ones). */
export const HEARTBEAT_MS = 1_000;
/**
 * A runner whose heartbeat is older than this is stopped, and its claims are taken over. Six
 * heartbeats: a live runner misses that many only when its database or event loop stalls for
 * seconds (and then the cost is what a lease running out costs: its batches in flight may go out
 * twice over SMTP, never twice on the ledger). A dead one's batches in flight are due again within
 * this plus one heartbeat, 7 s, and sent within 15 s unless a batch takes longer than 8 s.
 */
export const STALE_AFTER_MS = 6_000;
/** Rows of runners stopped this long ago are deleted (their claims were taken over long before). */
const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;
/** The runners of this process that have a row: never a previous life, whatever their PID says. */
const livingHere = new Set<string>();

/**
 * A claim's token: `<runner id>:<random>` for a runner that heartbeats, so its claims can be told
 * apart and taken over when it stops; a bare random token (Inngest's runs, tests' drains) relies on
 * the lease alone.
 */
export function claimTokenOf(workerId: string | undefined): string {
  return workerId ? `${workerId}:${crypto.randomUUID()}` : crypto.randomUUID();
}

/** SQL for "delivery `d` is held by a claim of a runner that stopped heartbeating (or whose row is gone)". */
export function heldByStoppedWorker(staleAfterMs: number): SQL {
  return sql`position(':' in d.claim_token) > 0 and not exists (
    select 1 from engine_workers w
    where w.id::text = split_part(d.claim_token, ':', 1) and w.heartbeat_at >= now() - ${staleAfterMs} * interval '1 millisecond')`;
}

/** The messages a runner's records made `sent`, counted in the record's own transaction. */
export async function countSent(tx: Executor, workerId: string, sent: number): Promise<void> {
  if (sent > 0) await tx.execute(sql`update engine_workers set sent = sent + ${sent} where id = ${workerId}`);
}

/** What a takeover made due again: per task, how many batches of how many deliveries. */
export type ReleasedBatches = { taskId: string; batches: number; deliveries: number }[];

export type PresenceOptions = {
  kind: EngineWorkerKind;
  /**
   * The database is the embedded one, which lives on this machine: a runner row of this host whose
   * process is gone (or is this very process, restarted as PID 1 in a container) is a previous life,
   * and its claims are released at once rather than after the staleness.
   */
  embedded?: boolean;
  heartbeatMs?: number;
  staleAfterMs?: number;
  /** Releases the claims of stopped runners (reconcile.ts takeOverStoppedWorkers). */
  takeOver: (staleAfterMs: number) => Promise<ReleasedBatches>;
  /** Told once the row exists: from then on the runner's claims carry its id. */
  onRegistered?: (workerId: string) => void;
  /** Told after a takeover made batches due again, so the runner sends them at once. */
  onTakenOver?: (released: ReleasedBatches) => void;
  log?: (message: string) => void;
};

/**
 * One runner's row in `engine_workers`: written at start, its heartbeat every HEARTBEAT_MS, and
 * deleted at a clean stop. Each heartbeat also takes over the claims of runners that stopped
 * beating, so any live runner recovers a dead one's batches within seconds. `id` is set only once
 * the row exists: claims made before then carry no runner and wait for their lease, never for a
 * runner another process could think dead.
 */
export class WorkerPresence {
  id: string | undefined;
  private readonly wantedId = crypto.randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly db: Executor,
    private readonly options: PresenceOptions,
  ) {}

  private get staleAfterMs() {
    return this.options.staleAfterMs ?? STALE_AFTER_MS;
  }

  /** Writes the row (releasing previous lives' claims on the embedded database) and starts the heartbeat. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.beat(), this.options.heartbeatMs ?? HEARTBEAT_MS);
    this.timer.unref?.();
    return this.beat();
  }

  /** One heartbeat and takeover; overlapping calls share the one in progress. */
  beat(): Promise<void> {
    this.beating ??= this.beatOnce().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      const first = this.id === undefined;
      const stoppedClaims = await this.writeHeartbeat();
      if (first && this.options.embedded) await this.forgetPreviousLives();
      // The release is two writes; a beat with nothing to release stays one statement (on the embedded database each takes its turn).
      const released = first || stoppedClaims ? await this.options.takeOver(this.staleAfterMs) : [];
      if (released.length > 0) {
        this.options.log?.(`took over ${released.reduce((sum, task) => sum + task.batches, 0)} batches in flight of a send runner that stopped`);
        this.options.onTakenOver?.(released);
      }
      if (first) await this.forgetLongStopped();
      this.failing = false;
    } catch (error) {
      // One line per outage, not one per heartbeat.
      if (!this.failing) this.options.log?.(`send runner heartbeat: ${error instanceof Error ? error.message : String(error)}`);
      this.failing = true;
    }
  }

  /**
   * Updates the row, or writes it when it does not exist (first beat, or deleted while this process
   * stalled), and answers whether any claim is held by a stopped runner. That look sees this row's
   * heartbeat from before the update: if it had gone stale this runner's own claims count, but the
   * release that follows runs after the update and leaves them alone.
   */
  private async writeHeartbeat(): Promise<boolean> {
    const id = this.wantedId;
    const [beat] = await queryRows<{ updated: number; stopped_claims: boolean }>(
      this.db,
      sql`with beat as (update engine_workers set heartbeat_at = now() where id = ${id} returning id)
          select (select count(*) from beat)::int as updated,
                 exists (select 1 from deliveries d where d.status = 'sending' and ${heldByStoppedWorker(this.staleAfterMs)}) as stopped_claims`,
    );
    if (!beat?.updated) {
      await this.db.execute(
        sql`insert into engine_workers (id, kind, host, pid) values (${id}, ${this.options.kind}, ${os.hostname()}, ${process.pid})
            on conflict (id) do update set heartbeat_at = now()`,
      );
    }
    if (this.id === undefined) this.options.onRegistered?.(id);
    this.id = id;
    livingHere.add(id);
    return beat?.stopped_claims ?? false;
  }

  /** Rows of this host whose process is gone, or that carry this process's own PID: lives before this one. */
  private async forgetPreviousLives(): Promise<void> {
    const rows = await queryRows<{ id: string; pid: number }>(this.db, sql`select id, pid from engine_workers where host = ${os.hostname()} and id <> ${this.wantedId}`);
    const previous = rows.filter((row) => (row.pid === process.pid && !livingHere.has(row.id)) || !processAlive(row.pid)).map((row) => row.id);
    if (previous.length > 0) await this.db.execute(sql`delete from engine_workers where id in (${sql.join(previous.map((id) => sql`${id}`), sql`, `)})`);
  }

  private async forgetLongStopped(): Promise<void> {
    await this.db.execute(sql`delete from engine_workers where heartbeat_at < now() - ${FORGET_AFTER_MS} * interval '1 millisecond'`);
  }

  /** Stops the heartbeat and deletes the row (after the runner recorded its batches in flight). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopped = true;
    await this.beating;
    if (this.id) livingHere.delete(this.id);
    if (this.id) await this.db.execute(sql`delete from engine_workers where id = ${this.id}`).catch(() => undefined);
  }
}
