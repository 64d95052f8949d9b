import net from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { performance } from "node:perf_hooks";
import { eq, sql } from "drizzle-orm";
import nodemailer from "nodemailer";
import type { SMTPServer } from "smtp-server";
import { afterEach, expect, it } from "vitest";
import { addressToken } from "@/lib/tokens/delivery-addresses";
import { createEntrance, listen, type EntranceOptions } from "@/lib/gateway/entrance";
import { readMessageHeader } from "@/lib/gateway/message-header";
import { createSmtpAccount } from "@/lib/gateway/smtp-accounts";
import { systemActor } from "@/lib/access/actor";
import { senders, smtpSubmissions } from "@/db/schema";
import { unique } from "../helpers/factories";
import { makeSendingSetup } from "../helpers/sending";
import { snapshotState } from "../helpers/snapshot";
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

const PASSWORD = "client-password-123";

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

  /** A department with a sender on a verified domain, and an SMTP account of it. */
  async function account(options: { messagesPerMinute?: number } = {}) {
    const setup = await makeSendingSetup(db(), { count: 0, quota: 10_000 });
    const [sender] = await db().select({ address: senders.address }).from(senders).where(eq(senders.id, setup.senderId));
    const username = unique("hostile").toLowerCase();
    await createSmtpAccount({ db: db(), actor: systemActor("test") }, { departmentId: setup.departmentId, username, password: PASSWORD, ...options });
    return { departmentId: setup.departmentId, sender: sender!.address, username };
  }

  /** Greets, says EHLO and logs in with AUTH PLAIN; answers the AUTH reply. */
  async function login(peer: Peer, username: string, password: string): Promise<string> {
    expect(await peer.reply()).toMatch(/^220 /);
    peer.send("EHLO hostile.test");
    expect(await peer.reply()).toMatch(/^250[ -]/);
    peer.send(`AUTH PLAIN ${Buffer.from(`\0${username}\0${password}`).toString("base64")}`);
    return peer.reply();
  }

  /** Every table a refused submission could touch, but the account's stamp of its last login. */
  const state = async () => (await snapshotState(db())).replace(/"last_used_at":("[^"]*"|null),"last_ip":("[^"]*"|null)/g, "");

  it("holds an address to its connections at once, and puts an address that keeps failing to log in in back-off: 454 at AUTH, then 421 at connect", async () => {
    const { username } = await account();
    const port = await start({ peerLimits: { connectionsPerIp: 2, authFailures: 2, backoffMs: 60_000 } });
    const first = await connect(port);
    const second = await connect(port);
    expect(await first.reply()).toMatch(/^220 /);
    const third = await connect(port);
    expect(await third.reply()).toBe("421 4.7.0 Too many connections from 127.0.0.1 (at most 2 at once); close one and try again");
    await third.closed;
    first.send("QUIT");
    await first.closed;

    const peer = await connect(port);
    expect(await login(peer, username, "wrong-password-1")).toBe("535 5.7.8 Authentication credentials invalid");
    peer.send(`AUTH PLAIN ${Buffer.from(`\0${username}\0wrong-password-2`).toString("base64")}`);
    expect(await peer.reply()).toBe("535 5.7.8 Authentication credentials invalid");
    // Now in back-off: even the right password is not looked at.
    peer.send(`AUTH PLAIN ${Buffer.from(`\0${username}\0${PASSWORD}`).toString("base64")}`);
    expect(await peer.reply()).toMatch(/^454 4\.7\.0 Too many failed logins from 127\.0\.0\.1; try again in (60|59) s$/);
    peer.send("QUIT");
    await peer.closed;
    const later = await connect(port);
    expect(await later.reply()).toMatch(/^421 4\.7\.0 Too many failed logins from 127\.0\.0\.1; try again in \d+ s$/);
    second.socket.destroy();
  });

  it("costs an unknown user name as much as a wrong password (the decoy hash), so the time does not say which names exist", async () => {
    const { username } = await account();
    const port = await start({ peerLimits: { authFailures: 1000 } });
    const timed = async (name: string) => {
      const peer = await connect(port);
      expect(await peer.reply()).toMatch(/^220 /);
      peer.send("EHLO hostile.test");
      await peer.reply();
      const started = performance.now();
      peer.send(`AUTH PLAIN ${Buffer.from(`\0${name}\0wrong-password-1`).toString("base64")}`);
      expect(await peer.reply()).toBe("535 5.7.8 Authentication credentials invalid");
      const took = performance.now() - started;
      peer.socket.destroy();
      return took;
    };
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await timed(username));
      unknown.push(await timed(unique("nobody")));
    }
    // A bcrypt compare is ~100 ms or more; a lookup that finds nothing and returns is ~1 ms.
    expect(median(known)).toBeGreaterThan(30);
    // Without the decoy an unknown name answers in a few ms; a loaded machine makes either side slower by up to a few times.
    expect(median(unknown)).toBeGreaterThan(30);
    expect(median(unknown)).toBeGreaterThan(median(known) / 4);
  });

  it("refuses recipient 1,001 of a message with 452 4.5.3 whatever the account allows, and keeps nothing of a client that leaves in the middle of DATA", async () => {
    const { sender, username } = await account();
    const port = await start({});
    const before = await state();
    const peer = await connect(port);
    expect(await login(peer, username, PASSWORD)).toMatch(/^235 /);
    peer.send(`MAIL FROM:<${sender}>`);
    expect(await peer.reply()).toMatch(/^250 /);
    peer.socket.write(Array.from({ length: 1001 }, (_, i) => `RCPT TO:<r${i}@example.net>\r\n`).join(""));
    const replies: string[] = [];
    for (let i = 0; i < 1001; i++) replies.push(await peer.reply());
    expect(replies.slice(0, 1000).every((reply) => reply.startsWith("250 "))).toBe(true);
    expect(replies[1000]).toBe("452 4.5.3 Too many recipients: at most 1000 per message; send the rest in another message");
    peer.send("DATA");
    expect(await peer.reply()).toMatch(/^354 /);
    peer.socket.write(`From: <${sender}>\r\nSubject: never finished\r\n\r\n${"half a message\r\n".repeat(1000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    peer.socket.destroy();
    await peer.closed;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await state()).toBe(before);
    expect((await db().select({ taskId: smtpSubmissions.taskId }).from(smtpSubmissions)).length).toBe(0);
  });

  it("answers a database failure during a submission with the fixed 451, logs the error and keeps nothing", async () => {
    const { sender, username } = await account();
    const logged: { message: string; error: unknown }[] = [];
    const port = await start({ logError: (message, error) => logged.push({ message, error }) });
    const client = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true, auth: { user: username, pass: PASSWORD } });
    const before = await state();
    await db().execute(sql`alter table smtp_submissions rename to smtp_submissions_moved_away`);
    try {
      const refusal = await client.sendMail({ from: sender, to: "someone@example.net", subject: "Hello", text: "Hi" }).then(
        () => null,
        (error: { responseCode?: number; response?: string }) => error,
      );
      expect(refusal).toMatchObject({ responseCode: 451, response: "451 4.3.0 Could not record the message, try again later" });
      expect(logged).toHaveLength(1);
      expect(String((logged[0]!.error as Error).message)).toMatch(/smtp_submissions/);
    } finally {
      client.close();
      await db().execute(sql`alter table smtp_submissions_moved_away rename to smtp_submissions`);
    }
    expect(await state()).toBe(before);
  });

  it("reads a hostile header block in time linear in its length", async () => {
    for (const line of ["x".repeat(250_000), `x${"\t".repeat(250_000)}`, `${"a:".repeat(100_000)}`, " ".repeat(250_000)]) {
      const started = performance.now();
      const outcome = await readMessageHeader(Buffer.from(`${line}\r\nFrom: <a@example.com>\r\n\r\nbody`)).then(
        () => "accepted",
        (error: Error) => error.message.slice(0, 40),
      );
      expect(outcome).toMatch(/^(accepted|5\.6\.0)/);
      expect(performance.now() - started).toBeLessThan(500);
    }
  });
});
