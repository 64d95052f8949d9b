import "server-only";
import type { Database } from "@/db/client";
import type { Transport } from "@/lib/transports/types";
import { sendNotificationEmails } from "@/lib/notifications/email";
import { transportFromEnv } from "@/lib/transports";
import { runBatch, type EngineDeps } from "./batch";
import { sendingConfig, type SendingConfig } from "./config";
import { onTaskEvent } from "@/lib/dispatch/task-changes";
import { channelTransportsFromEnv, type ChannelTransports } from "./channel";
import { failTask, isTaskUnusable } from "./lifecycle";
import { advanceAbTests } from "./ab-test";
import { advanceAutomations, dueEnrolments } from "@/lib/automations/engine";
import { dueTasks, materializeStep, startTask, tasksToMaterialize } from "./materialize";
import { reconcile, takeOverStoppedWorkers, tasksWithDueWork } from "./reconcile";
import { RateLimiter } from "./throttle";
import { WorkerPresence, type PresenceOptions } from "./workers";

/** The longest a campaign batch or materialisation step waits for the messages' lane: campaigns slow down while messages flow, never stop. */
const LANE_YIELD_MS = 1_000;
/** After a message, materialisation keeps to small steps for this long. */
const LANE_ACTIVE_MS = 5_000;
/** Messages the lane works on at once (each waits mostly for the transport's answer). */
const LANE_IN_FLIGHT = 64;

export type RunnerOptions = {
  transport?: Transport;
  /** The messaging channels' transports; absent: built from the environment (and closed on stop). */
  channels?: ChannelTransports;
  config?: SendingConfig;
  log?: (message: string) => void;
  /** How this runner appears in `engine_workers` once started (default: kind "engine", heartbeat and staleness of workers.ts). */
  presence?: Pick<PresenceOptions, "kind" | "embedded" | "heartbeatMs" | "staleAfterMs">;
};

/**
 * The in-process driver of the engine (embedded default, or FANOUT_RUNNER=local): every tick
 * it starts due tasks, materialises their recipients, keeps up to `concurrency` batch workers
 * busy and reconciles expired leases. It calls the same lib/sending functions the Inngest
 * functions call, and keeps no state the database does not have, so any number of processes
 * may run it and a killed one loses nothing. Once started it heartbeats (workers.ts): its claims
 * name it, and when it stops beating any other runner takes them over within seconds.
 */
export class LocalRunner {
  readonly config: SendingConfig;
  readonly transport: Transport;
  private readonly deps: EngineDeps;
  private readonly abort = new AbortController();
  private readonly workers = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private unsubscribe: (() => void) | undefined;
  private readonly ownsTransport: boolean;
  private readonly ownedChannels: ChannelTransports;
  private readonly log: (message: string) => void;
  private readonly presence: WorkerPresence;
  /** Settles once the first heartbeat was written (or failed): claims before it would name no runner. */
  private registered: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    options: RunnerOptions = {},
  ) {
    this.config = options.config ?? sendingConfig();
    this.ownsTransport = !options.transport;
    this.transport = options.transport ?? transportFromEnv(db);
    this.log = options.log ?? ((message) => console.error(`[fanout] ${message}`));
    this.ownedChannels = options.channels ? {} : channelTransportsFromEnv(process.env, this.log);
    // No abort signal for the transport: a batch in flight is finished and recorded even when stopping.
    this.deps = { db, transport: this.transport, channels: options.channels ?? this.ownedChannels, config: this.config, limiter: new RateLimiter() };
    this.presence = new WorkerPresence(db, {
      kind: "engine",
      ...options.presence,
      takeOver: (staleAfterMs) => takeOverStoppedWorkers(db, staleAfterMs),
      onRegistered: (workerId) => (this.deps.workerId = workerId),
      // Taken-over batches are the oldest, so each worker's next claim takes them; FANOUT_SEND_CONCURRENCY still bounds what is in flight.
      onTakenOver: () => void this.tick(),
      log: this.log,
    });
  }

  /** This runner's row in `engine_workers`, once written. */
  get workerId(): string | undefined {
    return this.presence.id;
  }

  start(): this {
    this.registered = this.presence.start();
    this.timer = setInterval(() => {
      void this.tick();
      void this.express();
      void this.mailNotifications();
    }, this.config.tickMs);
    this.timer.unref?.();
    this.unsubscribe = onTaskEvent((change, taskId) => {
      // A message needs no campaign round (reconcile, materialise, fill): its own lane takes it by id.
      if (change === "message") void this.express(taskId);
      else void this.tick();
    });
    void this.tick();
    void this.express();
    return this;
  }

  /**
   * The priority lane: messages (POST /api/v1/messages, task kind `message`) are started and sent
   * here, beside the campaign workers and never behind them. A campaign's workers each loop over
   * their task's batches until it runs dry, and a round materialises a large audience before it
   * fills workers, so without this lane a message accepted during a 100k campaign would wait for
   * one of them to end.
   *
   * A message the engine is told about is taken at once by its id (no scan: on the embedded
   * database every query waits its turn behind the campaign's), each in a worker of its own, up to
   * LANE_IN_FLIGHT at once: a worker waits for the transport's answer, which on a shared SMTP pool
   * comes after the campaign's messages queued there, and the next message must not wait for that.
   * Each tick (and `drain`) also scans for messages whose sendAt has come, whose retry is due or
   * whose notice was lost. Resolves when the lane has nothing left in flight.
   */
  express(taskId?: string): Promise<void> {
    if (taskId) {
      this.laneWaiting.add(taskId);
      this.lastMessageAt = Date.now();
    } else this.laneScan = true;
    this.pumpLane();
    return this.laneSettled();
  }
  private readonly laneWaiting = new Set<string>();
  private lastMessageAt = 0;
  private readonly laneRunning = new Map<string, Promise<void>>();
  private laneScan = false;
  private laneScanning: Promise<void> | undefined;

  private laneBusy(): boolean {
    return this.laneWaiting.size > 0 || this.laneRunning.size > 0 || this.laneScanning !== undefined;
  }

  private async laneSettled(): Promise<void> {
    while (this.laneBusy() && !this.abort.signal.aborted) await Promise.race([...this.laneRunning.values(), ...(this.laneScanning ? [this.laneScanning] : [])]);
  }

  private pumpLane(): void {
    if (this.abort.signal.aborted) return;
    for (const taskId of this.laneWaiting) {
      if (this.laneRunning.size >= LANE_IN_FLIGHT) break;
      this.laneWaiting.delete(taskId);
      if (this.laneRunning.has(taskId)) continue;
      const worker = this.sendMessageTask(taskId).finally(() => {
        this.laneRunning.delete(taskId);
        this.pumpLane();
      });
      this.laneRunning.set(taskId, worker);
    }
    if (this.laneScan && !this.laneScanning) {
      this.laneScan = false;
      this.laneScanning = this.scanLane()
        .catch((error: unknown) => {
          if (!this.abort.signal.aborted) this.log(`send runner (messages): ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => {
          this.laneScanning = undefined;
          this.pumpLane();
        });
    }
  }

  /** Messages due to start, and started ones with recipients due (a retry, a lost notice), into the lane. */
  private async scanLane(): Promise<void> {
    const found = new Set([...(await dueTasks(this.db, new Date(), 50, { lane: "message" })), ...(await tasksWithDueWork(this.db, 50, { lane: "message" }))]);
    for (const taskId of found) if (!this.laneRunning.has(taskId)) this.laneWaiting.add(taskId);
  }

  /**
   * Starts a message (startTask refuses one whose sendAt is ahead) and sends its batches; a batch
   * short of full was its last (a retry waits for a scan). A failure is logged and left to the next
   * scan, or fails the task when it cannot be sent at all.
   */
  private async sendMessageTask(taskId: string): Promise<void> {
    this.laneHanding.add(taskId);
    const handed = () => this.handedOver(taskId);
    // The same transport, telling the lane when the message is handed to it: campaign work waits for that, not for the answer.
    const transport: Transport = { name: this.transport.name, maxBatch: this.transport.maxBatch, target: this.transport.target, close: () => this.transport.close(), sendBatch: (messages, options) => (handed(), this.transport.sendBatch(messages, options)) };
    try {
      await this.registered;
      await startTask(this.db, taskId);
      const full = Math.min(this.config.batchSize, this.transport.maxBatch);
      while (!this.abort.signal.aborted) {
        const outcome = await runBatch({ ...this.deps, transport }, taskId);
        handed(); // nothing to hand over (suppressed, not due, not sending)
        if (outcome.idle || outcome.claimed < full) break;
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log(`send runner (messages): task ${taskId}: ${message}`);
      if (isTaskUnusable(error)) await failTask(this.db, taskId, message).catch(() => undefined);
    } finally {
      handed();
    }
  }

  /** Messages the lane has not yet handed to the transport, and campaign work waiting for there to be none. */
  private readonly laneHanding = new Set<string>();
  private laneHandedWaiters: (() => void)[] = [];

  private handedOver(taskId: string): void {
    if (!this.laneHanding.delete(taskId) || this.laneHanding.size > 0 || this.laneWaiting.size > 0) return;
    for (const resolve of this.laneHandedWaiters.splice(0)) resolve();
  }

  /**
   * Campaign work (a batch, a materialisation step) waits while the priority lane has messages not
   * yet handed to the transport, up to LANE_YIELD_MS, before it starts: its queries would otherwise stand before the messages' (on the
   * embedded database every statement takes its turn at one session, and on any database the
   * campaign's rendering shares this event loop). Work already started is not held up.
   */
  private async yieldToMessages(): Promise<void> {
    if (this.laneHanding.size === 0 && this.laneWaiting.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.laneHandedWaiters.push(resolve);
      timer = setTimeout(resolve, LANE_YIELD_MS);
    });
    clearTimeout(timer);
  }

  /** One round; overlapping calls fold into one more round after the current one. */
  tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      do {
        this.again = false;
        try {
          await this.round();
        } catch (error) {
          if (!this.abort.signal.aborted) this.log(`send runner: ${error instanceof Error ? error.message : String(error)}`);
        }
      } while (this.again && !this.abort.signal.aborted);
    })().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  /**
   * The e-mail copies of notifications (lib/notifications/email.ts), apart from the rounds so
   * that a slow mail server never holds up sending; one sweep at a time.
   */
  private async mailNotifications(): Promise<void> {
    if (this.mailing || this.abort.signal.aborted) return;
    this.mailing = true;
    try {
      await sendNotificationEmails(this.db);
    } catch (error) {
      this.log(`notification e-mail: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.mailing = false;
    }
  }
  private mailing = false;

  private async round() {
    await this.registered;
    await reconcile(this.db);
    for (const id of await dueTasks(this.db)) await startTask(this.db, id);
    // The runner's timer is the clock of A/B tests (a wait starts, a rule decides) and of automations (due steps run).
    await advanceAbTests(this.db);
    await advanceAutomations(this.db);
    for (const id of await tasksToMaterialize(this.db)) {
      // A first step of a few batches, so that sending starts at once and the rest is materialised meanwhile.
      const small = { ...this.config, materializeStep: Math.min(this.config.materializeStep, this.config.batchSize * this.config.concurrency) };
      let step = small;
      while (!this.abort.signal.aborted && (await this.yieldToMessages(), !(await materializeStep(this.db, id, step)).done)) {
        this.fill(); // send while the rest is being materialised
        // Small steps while messages flow: a step is one transaction, and on the embedded database a message's statements wait for it.
        step = Date.now() - this.lastMessageAt < LANE_ACTIVE_MS ? small : this.config;
      }
    }
    this.fill();
  }

  /** Starts batch workers on tasks with due recipients until `concurrency` run. */
  private fill() {
    if (this.abort.signal.aborted || this.workers.size >= this.config.concurrency || this.filling) return;
    this.filling = true;
    void tasksWithDueWork(this.db)
      .then((taskIds) => {
        for (let index = 0; taskIds.length > 0 && this.workers.size < this.config.concurrency; index++) {
          this.spawn(taskIds[index % taskIds.length]!);
        }
      })
      .catch((error) => this.log(`send runner: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        this.filling = false;
      });
  }
  private filling = false;

  private spawn(taskId: string) {
    const worker = (async () => {
      while (!this.abort.signal.aborted) {
        await this.yieldToMessages();
        const outcome = await runBatch(this.deps, taskId);
        if (outcome.idle) break;
      }
    })()
      .catch(async (error: unknown) => {
        if (this.abort.signal.aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        this.log(`send runner: task ${taskId}: ${message}`);
        if (isTaskUnusable(error)) await failTask(this.db, taskId, message).catch(() => undefined);
      })
      .finally(() => {
        this.workers.delete(worker);
        if (!this.abort.signal.aborted) this.fill();
      });
    this.workers.add(worker);
  }

  /** Works until no task has anything due (waiting retries excepted); for tests and benchmarks. */
  async drain(options: { timeoutMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      await Promise.all([this.tick(), this.express()]);
      while (this.workers.size > 0) await Promise.race(this.workers);
      const busy = (await Promise.all([dueTasks(this.db), tasksToMaterialize(this.db), tasksWithDueWork(this.db), dueEnrolments(this.db, new Date(), 1)])).flat().length;
      if (busy === 0 && this.workers.size === 0) {
        await reconcile(this.db);
        return;
      }
      if (Date.now() > deadline) throw new Error("The send runner did not finish in time");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops taking work, lets batches in flight finish and closes the transport it opened. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.unsubscribe?.();
    this.abort.abort(new Error("The send runner is stopping"));
    await this.ticking?.catch(() => undefined);
    await Promise.allSettled([...this.laneRunning.values(), ...(this.laneScanning ? [this.laneScanning] : [])]);
    await Promise.allSettled([...this.workers]);
    await this.presence.stop();
    if (this.ownsTransport) await this.transport.close();
    await Promise.allSettled(Object.values(this.ownedChannels).map((transport) => transport.close()));
  }
}
