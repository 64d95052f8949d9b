import "server-only";
import type { Database } from "@/db/client";
import { deliverDueWebhooks } from "./deliver";

/**
 * The in-process driver of webhook delivery (beside the send runner when Inngest does not drive the
 * engine): every tick it posts due messages until none is due. It keeps no state the outbox does
 * not have, so a killed process loses nothing and several may run.
 */
export class WebhookRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly options: { tickMs?: number; log?: (message: string) => void } = {},
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.tick(), this.options.tickMs ?? 1000);
    this.timer.unref?.();
    return this;
  }

  tick(): Promise<void> {
    this.running ??= (async () => {
      try {
        while (!this.stopped && (await deliverDueWebhooks(this.db)).taken > 0);
      } catch (error) {
        (this.options.log ?? ((message) => console.error(`[fanout] ${message}`)))(`webhook runner: ${error instanceof Error ? error.message : String(error)}`);
      }
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
