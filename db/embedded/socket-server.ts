import fs from "node:fs";
import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import type { Gate } from "./gate";
import { fatalError, nextMessage, ReadyForQueryWatcher, simpleQuery, SYNC } from "./wire";

export type SocketServerOptions = {
  /** The raw PGlite: the server takes the gate itself around every message. */
  pglite: PGlite;
  gate: Gate;
  path: string;
  /** A client holding the gate (in a transaction, or mid-extended-query) and silent this long is dropped and rolled back. */
  idleHoldMs?: number;
  maxConnections?: number;
};

export const DEFAULT_IDLE_HOLD_MS = 30_000;
export const DEFAULT_MAX_CONNECTIONS = 16;

// A dropped client's session is put back to idle: abort a transaction or an unsynced extended
// query (the first ROLLBACK; a Sync here would commit its implicit transaction), end a failed
// extended query (the Sync), then abort the transaction that may still be open (the second ROLLBACK).
const RESET_SEQUENCE = [simpleQuery("ROLLBACK"), SYNC, simpleQuery("ROLLBACK")];

/**
 * Serves the embedded database to other processes (the CLI) on a Unix socket, speaking the
 * Postgres wire protocol into PGlite's single session. Each client takes the gate on its first
 * message and keeps it until the backend says it is idle again, so its transaction never
 * interleaves with the server's own or another client's.
 */
export async function startSocketServer(options: SocketServerOptions): Promise<{ stop: () => Promise<void> }> {
  const idleHoldMs = options.idleHoldMs ?? DEFAULT_IDLE_HOLD_MS;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const connections = new Set<Connection>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    if (connections.size >= maxConnections) {
      socket.on("error", () => undefined);
      socket.end(fatalError("53300", `too many connections to the embedded database (at most ${maxConnections}); try again when one ends`));
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    const connection = new Connection(socket, options.pglite, options.gate, idleHoldMs);
    connections.add(connection);
    void connection.closed.then(() => connections.delete(connection));
  });
  fs.rmSync(options.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  fs.chmodSync(options.path, 0o600);
  return {
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((connection) => connection.close()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

class Connection {
  #buffer: Buffer = Buffer.alloc(0);
  #started = false;
  #pumping = false;
  #ending = false;
  #release: (() => void) | null = null;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #watcher = new ReadyForQueryWatcher();
  #finished!: () => void;
  /** Settles once the socket is gone and, if it held the gate, its session is reset and the gate passed on. */
  readonly closed = new Promise<void>((resolve) => (this.#finished = resolve));

  constructor(
    private readonly socket: net.Socket,
    private readonly pglite: PGlite,
    private readonly gate: Gate,
    private readonly idleHoldMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      clearTimeout(this.#idleTimer);
      void this.#pump();
    });
    socket.on("error", () => void this.close());
    socket.on("close", () => void this.close());
  }

  /** Ends the connection; a held gate is given back only after the session is reset. */
  close(farewell?: Buffer): Promise<void> {
    if (!this.#ending) {
      this.#ending = true;
      clearTimeout(this.#idleTimer);
      if (farewell && this.socket.writable) {
        this.socket.end(farewell);
        setTimeout(() => this.socket.destroy(), 1_000).unref();
      } else {
        this.socket.destroy();
      }
      if (!this.#pumping) void this.#reset();
    }
    return this.closed;
  }

  async #pump() {
    if (this.#pumping || this.#ending) return;
    this.#pumping = true;
    try {
      while (!this.#ending) {
        const framed = nextMessage(this.#buffer, this.#started);
        if (framed.kind === "incomplete") break;
        if (framed.kind === "invalid") {
          void this.close(fatalError("08P01", framed.reason));
          break;
        }
        this.#buffer = this.#buffer.subarray(framed.bytes.length);
        if (framed.kind === "ssl") this.socket.write("N");
        else if (framed.kind === "cancel") void this.close();
        else if (framed.type === "X") void this.close();
        else {
          if (framed.kind === "startup") this.#started = true;
          await this.#execute(Buffer.from(framed.bytes));
        }
      }
    } catch (error) {
      console.error("[fanout] embedded socket: a client's message failed:", (error as Error).message);
      void this.close();
    } finally {
      this.#pumping = false;
    }
    if (this.#ending) await this.#reset();
    else if (this.#release) this.#idleTimer = setTimeout(() => this.#idleTooLong(), this.idleHoldMs);
  }

  async #execute(message: Buffer) {
    if (!this.#release) {
      const release = await this.gate.acquire();
      if (this.#ending) return release();
      this.#release = release;
    }
    this.#watcher.reset();
    // PGlite keeps this callback after the call returns; only this call's bytes are this client's.
    let inFlight = true;
    try {
      await this.pglite.execProtocolRawStream(message, {
        onRawData: (bytes) => {
          if (!inFlight) return;
          this.#watcher.feed(bytes);
          if (!this.#ending) this.socket.write(Buffer.from(bytes));
        },
      });
    } finally {
      inFlight = false;
    }
    if (this.#watcher.status === "I") {
      this.#release();
      this.#release = null;
    }
  }

  #idleTooLong() {
    console.warn(`[fanout] embedded socket: a client held the database ${this.idleHoldMs} ms without a word; it is disconnected and its transaction rolled back`);
    void this.close(fatalError("25P03", "terminating connection: idle in a transaction on the embedded database for too long"));
  }

  async #reset() {
    const release = this.#release;
    this.#release = null;
    try {
      if (release) {
        for (const message of RESET_SEQUENCE) await this.pglite.execProtocolRawStream(message, { onRawData: () => undefined });
      }
    } catch (error) {
      console.error("[fanout] embedded socket: rolling back a dropped client failed:", (error as Error).message);
    } finally {
      release?.();
      this.#finished();
    }
  }
}
