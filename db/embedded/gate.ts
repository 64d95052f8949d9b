import type { PGlite } from "@electric-sql/pglite";

/**
 * A first-come, first-served async mutex: the one way into the embedded database's single
 * session. Whoever holds it owns the session, including any transaction open in it.
 */
export class Gate {
  #held = false;
  readonly #waiting: Array<() => void> = [];

  /** Waits for the gate; the returned function gives it to the next in line (calling it twice is harmless). */
  async acquire(): Promise<() => void> {
    if (this.#held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#held = false;
    };
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}

// What drizzle (query, transaction) and anything else in the process could call to run SQL.
const STATEMENT_METHODS = new Set<PropertyKey>([
  "query",
  "sql",
  "exec",
  "transaction",
  "describeQuery",
  "execProtocol",
  "execProtocolStream",
  "execProtocolRaw",
  "execProtocolRawStream",
]);

/**
 * The PGlite the process itself uses: each statement waits for the gate, and a transaction
 * holds it from BEGIN to COMMIT or ROLLBACK (the statements inside run on the transaction's
 * own object, which is not gated again).
 */
export function gatedPglite(client: PGlite, gate: Gate): PGlite {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      if (!STATEMENT_METHODS.has(property)) return method;
      return (...args: unknown[]) => gate.run(async () => method(...args));
    },
  });
}
