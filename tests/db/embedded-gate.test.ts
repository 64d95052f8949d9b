import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { Pool, type Client } from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { embeddedPaths, openDatabase, queryRows, type DatabaseHandle } from "@/db/client";
import { holdingProcess, rawSocket, socketClient, unsyncedStatement, withinMs } from "../helpers/socket-client";

// The embedded database served on its socket, as `npm start` serves it, with a short idle limit.
const IDLE_LIMIT_MS = 600;
const MAX_CONNECTIONS = 4;

type Probe = { who: string; txid: string };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("one session, one transaction at a time on the embedded database", () => {
  let dataDir: string;
  let handle: DatabaseHandle;
  const clients: Client[] = [];

  const open = async () => {
    const client = await socketClient(dataDir);
    clients.push(client);
    return client;
  };
  const probes = () => queryRows<Probe>(handle.db, sql`select who, txid::text as txid from gate_probe order by id`);
  const whoIsThere = async () => (await probes()).map((probe) => probe.who).sort();
  const serverInsert = (who: string) => handle.db.execute(sql`insert into gate_probe (who) values (${who})`);

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-gate-"));
    handle = await openDatabase({
      driver: "pglite",
      dataDir,
      serveSocket: true,
      socketLimits: { idleHoldMs: IDLE_LIMIT_MS, maxConnections: MAX_CONNECTIONS },
    });
    await handle.db.execute(sql`create table gate_probe (id serial primary key, who text not null, txid bigint not null default txid_current())`);
  });

  beforeEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
    await handle.db.execute(sql`truncate gate_probe`);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await handle?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("a socket client's rolled-back transaction leaves the server's concurrent work committed", async () => {
    const client = await open();
    await client.query("begin");
    await client.query("insert into gate_probe (who) values ('client')");
    const clientTxid = (await client.query<{ txid: string }>("select txid_current()::text as txid")).rows[0]!.txid;

    const serverWork = Promise.all([
      handle.db.transaction(async (tx) => {
        await tx.execute(sql`insert into gate_probe (who) values ('server transaction')`);
      }),
      serverInsert("server statement"),
    ]);
    await pause(150);
    await client.query("rollback");
    await withinMs(serverWork, 5_000, "the server's work");

    const rows = await probes();
    expect(rows.map((row) => row.who).sort()).toEqual(["server statement", "server transaction"]);
    expect(rows.map((row) => row.txid)).not.toContain(clientTxid);
  });

  it("the server's rolled-back transaction leaves a socket client's concurrent committed work committed", async () => {
    const client = await open();
    let serverTxid = "";
    const serverWork = handle.db
      .transaction(async (tx) => {
        await tx.execute(sql`insert into gate_probe (who) values ('server')`);
        serverTxid = (await queryRows<{ txid: string }>(tx, sql`select txid_current()::text as txid`))[0]!.txid;
        await pause(150);
        await tx.execute(sql`insert into gate_probe (who) values ('server, later')`);
        tx.rollback();
      })
      .catch((error: Error) => error);
    await pause(30);
    await client.query("begin");
    await client.query("insert into gate_probe (who) values ('client')");
    await client.query("commit");
    await client.query("insert into gate_probe (who) values ('client, autocommit')");
    expect(await withinMs(serverWork, 5_000, "the server's transaction")).toBeInstanceOf(Error);

    const rows = await probes();
    expect(rows.map((row) => row.who).sort()).toEqual(["client", "client, autocommit"]);
    expect(rows.map((row) => row.txid)).not.toContain(serverTxid);
  });

  it("a client killed mid-transaction is rolled back, and the server and the next client go on", async () => {
    const child = await holdingProcess(dataDir, ["begin", "insert into gate_probe (who) values ('killed client')"]);
    const serverWork = serverInsert("server");
    await pause(150);
    child.kill("SIGKILL");
    await withinMs(serverWork, 5_000, "the server's insert after the kill");

    const next = await open();
    await withinMs(
      (async () => {
        await next.query("begin");
        await next.query("insert into gate_probe (who) values ('next client')");
        await next.query("commit");
      })(),
      5_000,
      "the next client's transaction",
    );
    expect(await whoIsThere()).toEqual(["next client", "server"]);
  });

  it("a client that drops its socket in the middle of an unsynced extended query is rolled back", async () => {
    const raw = await rawSocket(dataDir);
    raw.send(unsyncedStatement("insert into gate_probe (who) values ('unsynced')"));
    const serverWork = serverInsert("server");
    await pause(150);
    raw.socket.destroy();
    await withinMs(serverWork, 5_000, "the server's insert after the drop");
    expect(await whoIsThere()).toEqual(["server"]);
  });

  it("a client idle in a transaction past the limit is disconnected and rolled back while the server goes on", async () => {
    const client = await open();
    await client.query("begin");
    await client.query("insert into gate_probe (who) values ('idle client')");
    const started = Date.now();
    await withinMs(serverInsert("server"), IDLE_LIMIT_MS + 5_000, "the server's insert behind an idle client");
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_LIMIT_MS - 50);

    await expect(client.query("commit")).rejects.toThrow();
    expect(await whoIsThere()).toEqual(["server"]);
  });

  it("two socket clients and the server run transactions at once: every commit lands, each in its own transaction, no deadlock", async () => {
    const [first, second] = [await open(), await open()];
    const ROUNDS = 15;
    const socketTransactions = (client: Client, name: string) =>
      (async () => {
        for (let round = 0; round < ROUNDS; round++) {
          await client.query("begin");
          await client.query("insert into gate_probe (who) values ($1)", [`${name} ${round}`]);
          await pause(2);
          await client.query("insert into gate_probe (who) values ($1)", [`${name} ${round}`]);
          await client.query("commit");
        }
      })();
    const serverTransactions = (async () => {
      for (let round = 0; round < ROUNDS; round++) {
        await handle.db.transaction(async (tx) => {
          await tx.execute(sql`insert into gate_probe (who) values (${`server ${round}`})`);
          await pause(2);
          await tx.execute(sql`insert into gate_probe (who) values (${`server ${round}`})`);
        });
        await serverInsert(`server statement ${round}`);
      }
    })();
    await withinMs(Promise.all([socketTransactions(first!, "first"), socketTransactions(second!, "second"), serverTransactions]), 30_000, "the concurrent transactions");

    const rows = await probes();
    expect(rows).toHaveLength(ROUNDS * 7);
    const txidsOf = new Map<string, Set<string>>();
    for (const row of rows) txidsOf.set(row.who, (txidsOf.get(row.who) ?? new Set()).add(row.txid));
    // Both rows of a transaction carry its id, and no other transaction's rows carry it.
    for (const [who, txids] of txidsOf) {
      expect(txids.size, who).toBe(1);
      expect(rows.filter((row) => txids.has(row.txid)).every((row) => row.who === who), who).toBe(true);
    }
  });

  it("a process may use a connection pool over the socket: its concurrent transactions all commit", async () => {
    const pool = new Pool({ host: embeddedPaths(dataDir).socketDir, port: 5432, user: "postgres", database: "postgres", max: 3 });
    try {
      await withinMs(
        Promise.all(
          Array.from({ length: 12 }, async (_, index) => {
            const connection = await pool.connect();
            try {
              await connection.query("begin");
              await connection.query("insert into gate_probe (who) values ($1)", [`pooled ${index}`]);
              await pause(5);
              await connection.query("commit");
            } finally {
              connection.release();
            }
          }),
        ),
        15_000,
        "the pooled transactions",
      );
    } finally {
      await pool.end();
    }
    expect(await whoIsThere()).toHaveLength(12);
  });

  it("refuses a connection past the limit with a clear error and serves the others", async () => {
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => open()));
    await expect(socketClient(dataDir)).rejects.toThrow(/too many connections/i);
    expect((await held[0]!.query<{ one: number }>("select 1 as one")).rows).toEqual([{ one: 1 }]);
  });
});
