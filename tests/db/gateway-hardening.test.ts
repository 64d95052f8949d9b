import net from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import type { SMTPServer } from "smtp-server";
import { afterEach, expect, it } from "vitest";
import { addressToken } from "@/lib/tokens/delivery-addresses";
import { createEntrance, listen, type EntranceOptions } from "@/lib/gateway/entrance";
import { describeOnDatabases } from "../helpers/db";

/**
 * The SMTP entrance takes mail from anyone, so one peer must not be able to take the process's
 * memory, all its connections or the database's error text. A real smtp-server on loopback, driven
 * over a raw socket where the test needs to misbehave the way a hostile peer would.
 */

/** A minimal SMTP peer: writes lines, reads whole replies (multi-line replies joined). */
type Peer = { socket: net.Socket; reply: (timeoutMs?: number) => Promise<string>; send: (line: string) => void; closed: Promise<void> };

function connect(port: number): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let buffered = "";
    const replies: string[] = [];
    const waiting: ((reply: string) => void)[] = [];
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => {
      buffered += text;
      for (let match = /^(\d{3}) .*\r\n/m.exec(buffered); match; match = /^(\d{3}) .*\r\n/m.exec(buffered)) {
        const reply = buffered.slice(0, match.index + match[0].length).trimEnd();
        buffered = buffered.slice(match.index + match[0].length);
        const waiter = waiting.shift();
        if (waiter) waiter(reply);
        else replies.push(reply);
      }
    });
    socket.on("error", () => undefined);
    socket.once("connect", () =>
      resolve({
        socket,
        closed,
        send: (line) => socket.write(`${line}\r\n`),
        reply: (timeoutMs = 5000) =>
          replies.length > 0
            ? Promise.resolve(replies.shift()!)
            : new Promise((done, fail) => {
                const timer = setTimeout(() => fail(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
                waiting.push((reply) => (clearTimeout(timer), done(reply)));
                void closed.then(() => fail(new Error("connection closed without a reply")));
              }),
      }),
    );
    socket.once("error", reject);
  });
}

const returnPath = (deliveryId: number) => `bounce+${addressToken("bounce", deliveryId)}@bounces.fanout.test`;

/** Forces a full collection (vitest does not start node with --expose-gc). */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
})();

/** Heap and buffer memory still reachable; V8 frees dead buffers' memory after the collection, so it is given a moment. */
async function retainedBytes(): Promise<number> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 50));
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

async function writeAll(socket: net.Socket, chunk: Buffer, times: number) {
  for (let i = 0; i < times; i++) {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve));
  }
}

describeOnDatabases("SMTP entrance under a hostile peer", (db) => {
  const servers: SMTPServer[] = [];
  const start = async (options: EntranceOptions) => {
    const server = createEntrance(db(), { closeTimeoutMs: 200, ...options });
    servers.push(server);
    return listen(server, 0, "127.0.0.1");
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });

  it("stops buffering a message past the size limit and refuses it with 552 at the end of DATA", async () => {
    const limit = 1024 * 1024;
    const port = await start({ maxMessageBytes: limit });
    const serverSide = new Promise<net.Socket>((resolve) => servers.at(-1)!.server.once("connection", resolve));
    const peer = await connect(port);
    expect(await peer.reply()).toMatch(/^220 /);
    peer.send("EHLO hostile.test");
    expect(await peer.reply()).toContain(`SIZE ${limit}`);
    peer.send("MAIL FROM:<>");
    expect(await peer.reply()).toMatch(/^250 /);
    peer.send(`RCPT TO:<${returnPath(1)}>`);
    expect(await peer.reply()).toMatch(/^250 /);
    peer.send("DATA");
    expect(await peer.reply()).toMatch(/^354 /);

    const line = `${"x".repeat(1022)}\r\n`;
    const chunk = Buffer.from(line.repeat(64)); // 64 KiB, written again and again
    const before = await retainedBytes();
    const messageBytes = 64 * 1024 * 1024;
    await writeAll(peer.socket, chunk, messageBytes / chunk.length);
    // Once the server has read all 64 MiB (the final dot is not sent yet), see what it kept of them.
    const received = await serverSide;
    while (received.bytesRead < peer.socket.bytesWritten) await new Promise((resolve) => setTimeout(resolve, 20));
    const grown = (await retainedBytes()) - before;
    expect(grown).toBeLessThan(8 * 1024 * 1024);

    peer.send(".");
    expect(await peer.reply(10_000)).toMatch(/^552 /);
    peer.send("QUIT");
    await peer.closed;
  });

  it("answers 421 to the connection after maxClients and serves again once one has left", async () => {
    const port = await start({ maxClients: 2 });
    const first = await connect(port);
    const second = await connect(port);
    expect(await first.reply()).toMatch(/^220 /);
    expect(await second.reply()).toMatch(/^220 /);

    const third = await connect(port);
    expect(await third.reply()).toMatch(/^421 .*too many connected clients/i);
    await third.closed;

    first.send("QUIT");
    await first.closed;
    const fourth = await connect(port);
    expect(await fourth.reply()).toMatch(/^220 /);
    second.socket.destroy();
    fourth.socket.destroy();
  });

  it("closes a connection that stays silent longer than the socket timeout", async () => {
    const port = await start({ socketTimeoutMs: 300 });
    const peer = await connect(port);
    const started = Date.now();
    expect(await peer.reply()).toMatch(/^220 /);
    expect(await peer.reply(3000)).toMatch(/^421 .*timeout/i);
    await peer.closed;
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("answers a database failure with a fixed 451 that carries none of the error, and logs the error", async () => {
    const logged: { message: string; error: unknown }[] = [];
    const port = await start({ logError: (message, error) => logged.push({ message, error }) });
    const client = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
    const report = [
      "From: MAILER-DAEMON@mx.recipient.test",
      `To: ${returnPath(42)}`,
      "Subject: Undelivered Mail Returned to Sender",
      "Content-Type: text/plain",
      "",
      "ann@recipient.test: 550 5.1.1 user unknown",
      "",
    ].join("\r\n");
    // A real failure of the database: the table the entrance writes to is gone.
    await db().execute(sql`alter table deliveries rename to deliveries_moved_away`);
    try {
      const refusal = await client.sendMail({ envelope: { from: "", to: [returnPath(42)] }, raw: report }).then(
        () => null,
        (error: { responseCode?: number; response?: string }) => error,
      );
      expect(refusal).toMatchObject({ responseCode: 451, response: "451 4.3.0 Could not record the message, try again later" });
      expect(refusal?.response).not.toMatch(/deliveries|relation|exist|select|sql/i);
      expect(logged).toHaveLength(1);
      expect(String((logged[0]!.error as Error).message)).toMatch(/deliveries/);
    } finally {
      client.close();
      await db().execute(sql`alter table deliveries_moved_away rename to deliveries`);
    }
  });
});
