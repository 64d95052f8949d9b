/**
 * The far sides of the gateway benchmark (bench/gateway.ts), in a process of its own so that their
 * work is not counted against the entrance's event loop:
 *
 * - `clients`: C group-send clients, each a nodemailer transport with one connection and AUTH,
 *   submitting M messages of R recipients one after another (or one every `intervalMs`). Each first sends one message that is
 *   not timed (it connects and logs in: a bcrypt compare on the entrance), then all start the timed
 *   ones together. Answers the timed span and, per message, when its 250 came (epoch ms).
 * - `sink`: the relay the engine sends to, a real smtp-server that accepts every message and
 *   notes when each copy arrived, by the "Subject: bench <run>:<client>-<n>" it carries.
 *
 * It says `{ ready, port? }` over IPC, answers `{ type: "run", … }` (clients) or
 * `{ type: "arrivals" }` (sink), and closes on `{ type: "close" }`.
 */
import net, { type AddressInfo } from "node:net";
import nodemailer from "nodemailer";
import { SMTPServer } from "smtp-server";

export type ClientsRun = {
  type: "run";
  port: number;
  clients: number;
  messages: number;
  recipients: number;
  user: string;
  pass: string;
  from: string;
  html: string;
  tag: string;
  /** Each client starts a message at most this often (0: as soon as the last was answered). */
  intervalMs: number;
};
export type ClientsResult = {
  type: "result";
  seconds: number;
  /** CPU this process spent on the run (user + system), in seconds. */
  cpuSeconds: number;
  accepted: number;
  refused: number;
  firstError: string | null;
  acceptedAt: Record<string, number>;
};
export type SinkArrivals = { type: "arrivals"; arrivals: Record<string, number[]>; messages: number };
export type GatewayChildMessage = { ready: true; port?: number } | ClientsResult | SinkArrivals;

const send = process.send?.bind(process);
if (!send) throw new Error("bench/gateway-child.ts is started by bench/gateway.ts");
const role = process.argv[2];

/** One client: a warm-up message (connect, AUTH), then waits for `go`, then its timed messages. */
async function runClient(run: ClientsRun, index: number, go: Promise<void>, ready: () => void, result: ClientsResult) {
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: run.port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: 1,
    maxMessages: Infinity,
    auth: { user: run.user, pass: run.pass },
    // Nagle's algorithm off, as the engine's own transport has it: otherwise each command waits for
    // the server's delayed ACK (~40 ms) and the clients, not the servers, set the pace.
    getSocket: (_options, callback) => {
      const socket = net.connect({ host: "127.0.0.1", port: run.port, noDelay: true });
      socket.once("error", (error) => callback(error, undefined));
      socket.once("connect", () => callback(null, { connection: socket }));
    },
  });
  const recipients = (n: number) => Array.from({ length: run.recipients }, (_, r) => `c${index}-m${n}-r${r}.${run.tag}@bench.example.net`);
  const message = (n: number) => ({ from: { name: "市场部", address: run.from }, to: recipients(n), subject: `bench ${run.tag}:${index}-${n}`, html: run.html, text: "See the HTML part." });
  try {
    await transport.sendMail(message(-1));
    ready();
    await go;
    const begun = performance.now();
    for (let n = 0; n < run.messages; n++) {
      const due = begun + n * run.intervalMs - performance.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      try {
        const info = await transport.sendMail(message(n));
        result.accepted++;
        result.acceptedAt[`${run.tag}:${index}-${n}`] = Date.now();
        if (!/^250 /.test(info.response)) throw new Error(info.response);
      } catch (error) {
        result.refused++;
        result.firstError ??= (error as Error).message;
      }
    }
  } finally {
    transport.close();
  }
}

async function runClients(run: ClientsRun): Promise<ClientsResult> {
  const result: ClientsResult = { type: "result", seconds: 0, cpuSeconds: 0, accepted: 0, refused: 0, firstError: null, acceptedAt: {} };
  const cpuAtStart = process.cpuUsage();
  let readyCount = 0;
  let start!: () => void;
  const go = new Promise<void>((resolve) => (start = resolve));
  let started = 0;
  const clients = Array.from({ length: run.clients }, (_, index) =>
    runClient(run, index, go, () => {
      if (++readyCount === run.clients) {
        started = performance.now();
        start();
      }
    }, result),
  );
  await Promise.all(clients);
  result.seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return result;
}

function startSink(): Promise<{ port: number; arrivals: () => SinkArrivals; close: () => Promise<void> }> {
  const arrivals: Record<string, number[]> = {};
  let messages = 0;
  const server = new SMTPServer({
    logger: false,
    banner: "fanout bench relay",
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    closeTimeout: 1000,
    disableReverseLookup: true,
    onData(stream, _session, callback) {
      let head = "";
      stream.on("data", (chunk: Buffer) => {
        if (head.length < 16_384) head += chunk.toString("latin1");
      });
      stream.on("end", () => {
        const at = Date.now();
        messages++;
        const subject = /^Subject: bench ([a-z0-9-]+:\d+-\d+)\r?$/m.exec(head)?.[1];
        if (subject) (arrivals[subject] ??= []).push(at);
        callback(null, `OK: queued as ${messages.toString(16).toUpperCase()}`);
      });
    },
  });
  server.on("error", () => undefined);
  return new Promise((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.server.address() as AddressInfo).port,
        arrivals: () => ({ type: "arrivals", arrivals, messages }),
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}

async function main() {
  if (role === "sink") {
    const sink = await startSink();
    process.on("message", (message: { type: string }) => {
      if (message.type === "arrivals") send!(sink.arrivals());
      if (message.type === "close") void sink.close().then(() => process.exit(0));
    });
    send!({ ready: true, port: sink.port });
    return;
  }
  if (role !== "clients") throw new Error(`unknown role ${role}`);
  process.on("message", (message: ClientsRun | { type: "close" }) => {
    if (message.type === "close") process.exit(0);
    if (message.type === "run") void runClients(message).then((result) => send!(result));
  });
  send!({ ready: true });
}

void main();
