import "server-only";
import type { Database } from "@/db/client";
import type { Transport } from "@/lib/transports/types";
import { transportFromEnv } from "@/lib/transports";
import { runBatch, type EngineDeps } from "./batch";
import { sendingConfig, type SendingConfig } from "./config";
import { onTaskEvent } from "./dispatch";
import { failTask, isTaskUnusable } from "./lifecycle";
import { dueTasks, materializeStep, startTask, tasksToMaterialize } from "./materialize";
import { reconcile, tasksWithDueWork } from "./reconcile";
import { RateLimiter } from "./throttle";

export type RunnerOptions = { transport?: Transport; config?: SendingConfig; log?: (message: string) => void };

/**
 * The in-process driver of the engine (embedded default, or FANOUT_RUNNER=local): every tick
 * it starts due tasks, materialises their recipients, keeps up to `concurrency` batch workers
 * busy and reconciles expired leases. It calls the same lib/sending functions the Inngest
 * functions call, and keeps no state the database does not have, so any number of processes
 * may run it and a killed one loses nothing.
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
  private readonly log: (message: string) => void;

  constructor(
    private readonly db: Database,
    options: RunnerOptions = {},
  ) {
    this.config = options.config ?? sendingConfig();
    this.ownsTransport = !options.transport;
    this.transport = options.transport ?? transportFromEnv(db);
    this.log = options.log ?? ((message) => console.error(`[fanout] ${message}`));
    // No abort signal for the transport: a batch in flight is finished and recorded even when stopping.
    this.deps = { db, transport: this.transport, config: this.config, limiter: new RateLimiter() };
  }

  start(): this {
    this.timer = setInterval(() => {
      void this.tick();
      void this.express();
    }, this.config.tickMs);
    this.timer.unref?.();
    this.unsubscribe = onTaskEvent((change) => {
      if (change === "message") void this.express();
      void this.tick();
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
   * one of them to end. Overlapping calls fold into one more pass.
   */
  express(): Promise<void> {
    if (this.expressing) {
      this.expressAgain = true;
      return this.expressing;
    }
    this.expressing = (async () => {
      do {
        this.expressAgain = false;
        try {
          await this.expressPass();
        } catch (error) {
          if (!this.abort.signal.aborted) this.log(`send runner (messages): ${error instanceof Error ? error.message : String(error)}`);
        }
      } while (this.expressAgain && !this.abort.signal.aborted);
    })().finally(() => {
      this.expressing = undefined;
    });
    return this.expressing;
  }
  private expressing: Promise<void> | undefined;
  private expressAgain = false;

  /** Starts due messages and sends their batches, up to `concurrency` messages at once, until none has anything due. */
  private async expressPass() {
    for (const id of await dueTasks(this.db, new Date(), 50, { lane: "message" })) await startTask(this.db, id);
    const failing = new Set<string>();
    while (!this.abort.signal.aborted) {
      const taskIds = (await tasksWithDueWork(this.db, this.config.concurrency + failing.size, { lane: "message" })).filter((id) => !failing.has(id));
      if (taskIds.length === 0) return;
      await Promise.all(
        taskIds.slice(0, this.config.concurrency).map(async (taskId) => {
          try {
            await runBatch(this.deps, taskId);
          } catch (error) {
            // Left for the next pass (or failed for good when it cannot be sent), so one broken message never spins the lane.
            failing.add(taskId);
            const message = error instanceof Error ? error.message : String(error);
            this.log(`send runner (messages): task ${taskId}: ${message}`);
            if (isTaskUnusable(error)) await failTask(this.db, taskId, message).catch(() => undefined);
          }
        }),
      );
    }
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

  private async round() {
    await reconcile(this.db);
    for (const id of await dueTasks(this.db)) await startTask(this.db, id);
    for (const id of await tasksToMaterialize(this.db)) {
      // A first step of a few batches, so that sending starts at once and the rest is materialised meanwhile.
      let step = { ...this.config, materializeStep: Math.min(this.config.materializeStep, this.config.batchSize * this.config.concurrency) };
      while (!this.abort.signal.aborted && !(await materializeStep(this.db, id, step)).done) {
        this.fill(); // send while the rest is being materialised
        step = this.config;
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
      const busy = (await dueTasks(this.db)).length + (await tasksToMaterialize(this.db)).length + (await tasksWithDueWork(this.db)).length;
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
    await this.expressing?.catch(() => undefined);
    await Promise.allSettled([...this.workers]);
    if (this.ownsTransport) await this.transport.close();
  }
}
