/**
 * Sliding-window rate limits, one window per key (a transport, a sender domain): at most
 * `perSecond` units start in any window of one second. Callers wait their turn in order. This
 * paces one process; under Inngest the batch function's throttle paces the whole fleet.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { starts: number[]; queue: Promise<void> }>();

  constructor(
    private readonly windowMs = 1000,
    /** Added to each wait so a clock a little ahead on the other side does not see two windows overlap. */
    private readonly marginMs = 15,
  ) {}

  /** Resolves when `units` more may start under `perSecond` for this key (0 or less: at once). */
  acquire(key: string, perSecond: number, units = 1, signal?: AbortSignal): Promise<void> {
    if (!(perSecond > 0) || units <= 0) return Promise.resolve();
    let window = this.windows.get(key);
    if (!window) {
      window = { starts: [], queue: Promise.resolve() };
      this.windows.set(key, window);
    }
    const state = window;
    const turn = state.queue.then(async () => {
      for (let unit = 0; unit < units; unit++) {
        for (;;) {
          const now = Date.now();
          while (state.starts.length > 0 && state.starts[0]! <= now - this.windowMs) state.starts.shift();
          if (state.starts.length < perSecond) break;
          await sleep(state.starts[0]! + this.windowMs + this.marginMs - now, signal);
        }
        state.starts.push(Date.now());
      }
    });
    state.queue = turn.catch(() => undefined);
    return turn;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
