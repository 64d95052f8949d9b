import crypto from "node:crypto";
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerSession } from "smtp-server";

/**
 * A real SMTP server on 127.0.0.1 (random port) that answers each recipient by address pattern
 * and keeps every accepted message as raw MIME with its envelope.
 *
 *   const sink = await startSmtpSink();               // STANDARD_RULES, no auth, no STARTTLS
 *   const transport = createSmtpTransport({ url: sink.url });
 *   …
 *   const mail = await sink.messages[0]!.parse();     // mailparser's ParsedMail
 *   await sink.close();
 */

export type SinkRule = {
  /** `*@full.test`, `unknown@*` (`*` is any run of characters, case-insensitive), a RegExp or a test. */
  match: string | RegExp | ((address: string) => boolean);
  /** The reply as the server sends it: "550 5.1.1 User unknown". */
  reply: string;
  /** Answer at RCPT TO (default) or after the message data, at the end of DATA. */
  stage?: "rcpt" | "data";
};

/** The usual refusals, each on an address pattern tests can use without configuring anything. */
export const STANDARD_RULES: SinkRule[] = [
  { match: "*@full.test", reply: "452 4.2.2 Mailbox full" },
  { match: "unknown@*", reply: "550 5.1.1 User unknown" },
  { match: "spam@*", reply: "554 5.7.1 Message rejected as spam", stage: "data" },
  { match: "big@*", reply: "552 5.3.4 Message too big", stage: "data" },
  { match: "later@*", reply: "451 4.7.1 Try again later" },
  { match: "busy@*", reply: "450 4.2.1 Mailbox busy" },
];

export type SinkOptions = {
  /** Checked in order, first match wins; addresses matching none are accepted. Default STANDARD_RULES. */
  rules?: SinkRule[];
  /** Require AUTH PLAIN/LOGIN with these credentials (default: no AUTH offered). */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS with smtp-server's built-in self-signed certificate (default: not offered). */
  starttls?: boolean;
  /** Milliseconds to wait before answering the end of DATA (a slow relay). */
  dataDelayMs?: number;
  /** Leave SMTPUTF8 out of the EHLO reply: a relay that does not take internationalised addresses (default: offered). */
  withoutSmtpUtf8?: boolean;
};

export type SinkMessage = {
  envelope: { mailFrom: string; rcptTo: string[] };
  raw: Buffer;
  /** Whether the transaction ran over TLS, and the user that logged in (when auth is configured). */
  secure: boolean;
  user?: string;
  /** The queue id given in the 250 reply ("250 OK: queued as <queueId>"). */
  queueId: string;
  /** When the message was taken (Date.now()), for tests that time a recovery. */
  receivedAt: number;
  parse: () => Promise<ParsedMail>;
};

export type SmtpSink = {
  host: string;
  port: number;
  /** `smtp://127.0.0.1:port` (with credentials when auth is configured). */
  url: string;
  messages: SinkMessage[];
  /** Connections, completed-or-refused transactions, and the most DATA phases that overlapped. */
  stats: { connections: number; transactions: number; peakConcurrency: number };
  /** Resolves when at least `count` messages were accepted. */
  waitFor: (count: number, timeoutMs?: number) => Promise<SinkMessage[]>;
  reset: () => void;
  close: () => Promise<void>;
};

function toPredicate(match: SinkRule["match"]): (address: string) => boolean {
  if (typeof match === "function") return match;
  if (match instanceof RegExp) return (address) => match.test(address);
  const pattern = new RegExp(`^${match.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
  return (address) => pattern.test(address);
}

function replyError(reply: string): Error & { responseCode: number } {
  const match = /^(\d{3})\s+([\s\S]*)$/.exec(reply);
  if (!match) throw new Error(`sink rule reply must look like "550 5.1.1 text", got "${reply}"`);
  return Object.assign(new Error(match[2]), { responseCode: Number(match[1]) });
}

export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const rules = (options.rules ?? STANDARD_RULES).map((rule) => ({ ...rule, test: toPredicate(rule.match), stage: rule.stage ?? "rcpt" }));
  const ruleFor = (address: string) => rules.find((rule) => rule.test(address));
  const messages: SinkMessage[] = [];
  const stats = { connections: 0, transactions: 0, peakConcurrency: 0 };
  let receiving = 0;
  let waiters: { count: number; resolve: () => void }[] = [];

  const server = new SMTPServer({
    logger: false,
    closeTimeout: 1000,
    banner: "fanout test sink",
    authOptional: !options.auth,
    disabledCommands: [...(options.auth ? [] : ["AUTH"]), ...(options.starttls ? [] : ["STARTTLS"])],
    allowInsecureAuth: true,
    hideSMTPUTF8: options.withoutSmtpUtf8 ?? false,
    onConnect(_session, callback) {
      stats.connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) return callback(null, { user: auth.username });
      callback(Object.assign(new Error("5.7.8 Authentication credentials invalid"), { responseCode: 535 }));
    },
    onRcptTo(address, _session, callback) {
      const rule = ruleFor(address.address);
      if (rule?.stage === "rcpt") {
        stats.transactions++;
        return callback(replyError(rule.reply));
      }
      callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stats.peakConcurrency = Math.max(stats.peakConcurrency, ++receiving);
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const finish = () => {
          receiving--;
          stats.transactions++;
          const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
          const refusal = recipients.map(ruleFor).find((rule) => rule?.stage === "data");
          if (refusal) return callback(replyError(refusal.reply));
          const raw = Buffer.concat(chunks);
          const queueId = crypto.randomBytes(6).toString("hex").toUpperCase();
          const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          const user = typeof session.user === "string" ? session.user : undefined;
          messages.push({ envelope: { mailFrom, rcptTo: recipients }, raw, secure: session.secure, user, queueId, receivedAt: Date.now(), parse: () => simpleParser(raw) });
          waiters = waiters.filter((waiter) => (messages.length >= waiter.count ? (waiter.resolve(), false) : true));
          callback(null, `OK: queued as ${queueId}`);
        };
        if (options.dataDelayMs) setTimeout(finish, options.dataDelayMs);
        else finish();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.on("error", () => undefined); // client-side aborts are not the test's failure
  const port = (server.server.address() as AddressInfo).port;
  const credentials = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.pass)}@` : "";

  return {
    host: "127.0.0.1",
    port,
    url: `smtp://${credentials}127.0.0.1:${port}${options.starttls ? "?tls=insecure" : ""}`,
    messages,
    stats,
    waitFor(count, timeoutMs = 10_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`sink: ${messages.length} of ${count} messages after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ count, resolve: () => (clearTimeout(timer), resolve(messages)) });
      });
    },
    reset() {
      messages.length = 0;
      Object.assign(stats, { connections: 0, transactions: 0, peakConcurrency: 0 });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
