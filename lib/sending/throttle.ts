import { performance } from "node:perf_hooks";

type Window = {
  /** When the units in the window count from (`acquire`: let go, plus the margin; `hold`: answered), oldest first. */
  starts: number[];
  /** Units taken with `hold` whose answer has not come back: they are in the window until then. */
  held: number;
  /** Wakes the caller waiting for a held unit's release. */
  onRelease: (() => void) | undefined;
  queue: Promise<void>;
};

/**
 * Sliding-window rate limits, one window per key (a transport, a sender domain, an API's
 * requests): at most `perSecond` units in any window of one second. Callers wait their turn in
 * order. This paces one process; under Inngest the batch function's throttle paces the whole fleet.
 *
 * `acquire` counts a unit from the moment it is let go, which suits a rate we keep ourselves
 * (messages per second to a relay). `hold` is for a provider that counts a request when it
 * arrives and refuses the third in a second with a 429: the request keeps its place until its
 * answer is back and counts from then. The provider counted it before it answered, so however
 * late the request left (a busy event loop, a new connection, a retry inside the transport after
 * a 429), the next one cannot arrive inside its second. The price is one answer's latency per
 * place and second: 1000 / (1000 + latency) of the allowance, 97–98% against the send benchmark's
 * fake Resend next door (answers in ~20–30 ms), about 90% when answers take 100 ms. Counting from
 * the moment a request is let go, plus a margin, lost to 429s there: the delay from being let go to
 * being counted was 15–30 ms, and 110 ms for a process's first request (a new connection).
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly windowMs = 1000,
    /** Added to each wait of `acquire`, so a clock a little ahead on the other side does not see two windows overlap. */
    private readonly marginMs = 15,
  ) {}

  /** Resolves when `units` more may start under `perSecond` for this key (0 or less: at once). */
  acquire(key: string, perSecond: number, units = 1, signal?: AbortSignal): Promise<void> {
    if (!(perSecond > 0) || units <= 0) return Promise.resolve();
    return this.turn(key, perSecond, units, signal, (window) => addStart(window, performance.now() + this.marginMs));
  }

  /**
   * Resolves, when one more request may go under `perSecond` for this key, with the function to
   * call once its answer is back (once; a request that never ends keeps its place).
   */
  async hold(key: string, perSecond: number, signal?: AbortSignal): Promise<() => void> {
    if (!(perSecond > 0)) return () => undefined;
    let window: Window | undefined;
    await this.turn(key, perSecond, 1, signal, (taken) => {
      taken.held++;
      window = taken;
    });
    let released = false;
    return () => {
      if (released || !window) return;
      released = true;
      window.held--;
      addStart(window, performance.now());
      window.onRelease?.();
    };
  }

  private turn(key: string, perSecond: number, units: number, signal: AbortSignal | undefined, take: (window: Window) => void): Promise<void> {
    let window = this.windows.get(key);
    if (!window) {
      window = { starts: [], held: 0, onRelease: undefined, queue: Promise.resolve() };
      this.windows.set(key, window);
    }
    const state = window;
    const turn = state.queue.then(async () => {
      for (let unit = 0; unit < units; unit++) {
        for (;;) {
          const now = performance.now();
          while (state.starts.length > 0 && state.starts[0]! <= now - this.windowMs) state.starts.shift();
          if (state.starts.length + state.held < perSecond) break;
          // The oldest start leaves the window, or (every place held by a request in flight) an answer comes back.
          if (state.starts.length > 0) await sleep(state.starts[0]! + this.windowMs - now, signal);
          else await released(state, signal);
        }
        take(state);
      }
    });
    state.queue = turn.catch(() => undefined);
    return turn;
  }
}

/** Keeps starts in order (an `acquire` start carries the margin, so it may lie after a later release). */
function addStart(window: Window, at: number) {
  let index = window.starts.length;
  while (index > 0 && window.starts[index - 1]! > at) index--;
  window.starts.splice(index, 0, at);
}

function released(window: Window, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      window.onRelease = undefined;
      reject(signal?.reason);
    };
    window.onRelease = () => {
      window.onRelease = undefined;
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
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
