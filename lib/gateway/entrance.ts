import "server-only";
import fs from "node:fs";
import type { Socket } from "node:net";
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import type { Database } from "@/db/client";
import { addressProblemInEnglish, normalizeAddress } from "@/lib/addresses/normalize";
import { PasswordWorkBusy } from "@/lib/auth/passwords";
import { readEnv, type FanoutEnv } from "@/lib/config/env";
import { isLoopbackHost } from "@/lib/transports/smtp";
import { FEEDBACK_MAX_BYTES, feedbackRecipientRefusal, receiveFeedbackMail } from "./feedback-mail";
import { groupRecipientRefusal, receiveGroupMail } from "./group-mail";
import type { TxtResolver } from "@/lib/groups/dmarc";
import { systemResolver } from "@/lib/senders/dns";
import { parseFeedbackAddress } from "@/lib/tokens/delivery-addresses";
import { acceptSubmission, senderPermission, type SenderPermission } from "./intake";
import { accountRateRefusal, PeerLimits, type PeerLimitSettings } from "./limits";
import { checkLogin, type GatewayAccount } from "./login";
import { SubmissionRecorder } from "./recorder";
import { BAD_CREDENTIALS, quoted, refuse, SmtpRefusal, TRY_AGAIN_LATER } from "./replies";

/*
 * The SMTP entrance (FANOUT_GATEWAY_PORT): one smtp-server that takes three kinds of mail.
 *
 * Without AUTH, mail coming back to Fanout return paths (feedback-mail.ts) and mail for group
 * addresses (group-mail.ts): any other recipient is relaying and refused at RCPT. With AUTH PLAIN or LOGIN as a department's SMTP
 * account (login.ts), a submission from a group-send client: the envelope sender is checked at
 * MAIL FROM, each recipient at RCPT (a valid address, within the account's and the entrance's
 * recipient limits), and at the end of DATA the message's header and From (intake.ts), after
 * which it is recorded as one task with its deliveries and quota before the 250 (intake.ts,
 * recorder.ts).
 *
 * Anyone can connect, so every connection is bounded: at most `maxClients` at once and
 * `connectionsPerIp` per address, a back-off for an address after repeated failed logins
 * (limits.ts), silence closed after `socketTimeoutMs`, a message kept only up to its size limit
 * (the rest is read and dropped, then refused with 552), and a client that leaves in the middle of
 * DATA leaves nothing. Only SmtpRefusal texts reach the peer; any other error is logged and
 * answered with a fixed 451.
 */

/** Recipients one message may have whatever the account allows: a message to more is a mailing list, which belongs in a pool and a task. */
export const MAX_RECIPIENTS_PER_MESSAGE = 1000;

export type EntranceOptions = {
  /** The name in the greeting (default: this machine's host name). */
  hostname?: string;
  /** Largest submission taken (SIZE); mail for return paths is also held to FEEDBACK_MAX_BYTES. Default: FANOUT_GATEWAY_MAX_BYTES. */
  maxMessageBytes?: number;
  /** Connections served at once; one more is answered 421 and closed, and clients retry later (default FANOUT_GATEWAY_MAX_CLIENTS). */
  maxClients?: number;
  /** Milliseconds a client may stay silent while we wait for it before it is answered 421 and closed (default 60 s). */
  socketTimeoutMs?: number;
  /** Milliseconds close() lets open connections finish before it closes them (default 30 s). */
  closeTimeoutMs?: number;
  /** PEM certificate and key: STARTTLS is offered, and AUTH then needs it except from loopback. Default: none. */
  tls?: { key: Buffer | string; cert: Buffer | string };
  /** Per-address limits (limits.ts PEER_LIMIT_DEFAULTS). */
  peerLimits?: Partial<PeerLimitSettings>;
  /** Recipients per message at most, for any account (default MAX_RECIPIENTS_PER_MESSAGE). */
  maxRecipients?: number;
  /** Groups of submissions recorded at once (recorder.ts; default 1 on the embedded database, 4 on a server). */
  recordingLanes?: number;
  /** DNS for the DMARC policy of a group post's poster (default: the system's). */
  resolver?: TxtResolver;
  /** Where an error the peer is not told about goes (default: the server log). */
  logError?: (message: string, error: unknown) => void;
  /** Refused logins and the like (default: the server log). */
  logInfo?: (message: string) => void;
};

export const ENTRANCE_DEFAULTS = { socketTimeoutMs: 60_000, closeTimeoutMs: 30_000 } as const;

/** The entrance's options from the environment; reads the STARTTLS certificate and key when they are set. */
export function entranceOptionsFromEnv(env: FanoutEnv = readEnv()): EntranceOptions {
  const { tlsCertFile, tlsKeyFile, maxMessageBytes, maxClients } = env.gateway;
  const read = (file: string, name: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new Error(`${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  const tls = tlsCertFile && tlsKeyFile ? { cert: read(tlsCertFile, "FANOUT_GATEWAY_TLS_CERT"), key: read(tlsKeyFile, "FANOUT_GATEWAY_TLS_KEY") } : undefined;
  return { maxMessageBytes, maxClients, tls };
}

/** One transaction's envelope as the entrance checked it (per envelope: smtp-server makes a new one for each MAIL). */
type Transaction = { recipients: Set<string>; sender?: SenderPermission; groups: Set<string> };

/**
 * How long a connection trusts what it learnt of an envelope sender: a client sends message after
 * message from one address, and need not cost a query each. A sender an administrator removes is
 * refused on open connections within this time.
 */
const SENDER_CHECK_MS = 60_000;

export function createEntrance(db: Database, options: EntranceOptions = {}): SMTPServer {
  const env = readEnv();
  const maxMessageBytes = options.maxMessageBytes ?? env.gateway.maxMessageBytes;
  const maxRecipients = options.maxRecipients ?? MAX_RECIPIENTS_PER_MESSAGE;
  const logError = options.logError ?? ((message, error) => console.error(`[fanout] ${message}`, error));
  const logInfo = options.logInfo ?? ((message) => console.log(`[fanout] ${message}`));
  const limits = new PeerLimits(options.peerLimits);
  const resolver = options.resolver ?? systemResolver;
  /** Authenticated sessions between an accepted MAIL FROM and the answer to their DATA: what the recorder may expect. */
  const submitting = new Set<string>();
  const recorder = new SubmissionRecorder(db, { inFlight: () => submitting.size, lanes: options.recordingLanes ?? (env.databaseDriver === "pglite" ? 1 : 4) });
  const counted = new Map<string, string>(); // session id → address counted against its connection limit
  const transactions = new WeakMap<SMTPServerSession["envelope"], Transaction>();
  const transactionOf = (session: SMTPServerSession) => {
    let transaction = transactions.get(session.envelope);
    if (!transaction) transactions.set(session.envelope, (transaction = { recipients: new Set(), groups: new Set() }));
    return transaction;
  };
  const senderChecks = new WeakMap<SMTPServerSession, Map<string, { permission: SenderPermission; until: number }>>();
  /** senderPermission, remembered per connection for SENDER_CHECK_MS. */
  const checkSender = async (session: SMTPServerSession, departmentId: string, address: string) => {
    let known = senderChecks.get(session);
    if (!known) senderChecks.set(session, (known = new Map()));
    const now = Date.now();
    const cached = known.get(address);
    if (cached && cached.until > now) return cached.permission;
    const permission = await senderPermission(db, departmentId, address);
    if (known.size >= 100) known.clear();
    known.set(address, { permission, until: now + SENDER_CHECK_MS });
    return permission;
  };
  const accountOf = (session: SMTPServerSession): GatewayAccount | undefined => (session.user ? (session.user as GatewayAccount) : undefined);
  /** Our own failure: logged, and the peer hears only the fixed text. */
  const ours = (message: string, callback: (error: Error) => void) => (error: unknown) => {
    if (error instanceof SmtpRefusal) return callback(error);
    logError(message, error);
    callback(TRY_AGAIN_LATER());
  };

  const server = new SMTPServer({
    name: options.hostname,
    banner: "Fanout SMTP entrance",
    size: maxMessageBytes,
    maxClients: options.maxClients ?? env.gateway.maxClients,
    socketTimeout: options.socketTimeoutMs ?? ENTRANCE_DEFAULTS.socketTimeoutMs,
    closeTimeout: options.closeTimeoutMs ?? ENTRANCE_DEFAULTS.closeTimeoutMs,
    // Nothing uses the client's host name, and its PTR lookup (up to 1.5 s) is the peer's to slow down.
    disableReverseLookup: true,
    authMethods: ["PLAIN", "LOGIN"],
    authOptional: true,
    // Checked in onAuth instead, where a client on loopback is let through and the reply is 530.
    allowInsecureAuth: true,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    disabledCommands: options.tls ? [] : ["STARTTLS"],
    logger: false,

    onConnect(session, callback) {
      const ip = clientIp(session.remoteAddress);
      const refusal = limits.admit(ip);
      if (refusal) return callback(refusal);
      counted.set(session.id, ip);
      callback();
    },

    onClose(session) {
      submitting.delete(session.id);
      const ip = counted.get(session.id);
      if (ip === undefined) return;
      counted.delete(session.id);
      limits.release(ip);
    },

    onAuth(auth: SMTPServerAuthentication, session, callback) {
      const ip = clientIp(session.remoteAddress);
      if (options.tls && !session.secure && !isLoopbackHost(ip)) return callback(refuse(530, "5.7.0 Must issue STARTTLS first"));
      const backoff = limits.authRefusal(ip);
      if (backoff) return callback(backoff);
      const username = auth.username ?? "";
      checkLogin(db, { username, password: auth.password ?? "", ip }).then(
        (result) => {
          if (result.ok) return callback(null, { user: result.account });
          limits.recordAuthFailure(ip);
          logInfo(`SMTP entrance: login as ${JSON.stringify(username.slice(0, 100))} from ${ip} refused (${result.reason.replace(/_/g, " ")})`);
          callback(BAD_CREDENTIALS());
        },
        (error: unknown) => {
          if (error instanceof PasswordWorkBusy) return callback(refuse(454, "4.7.0 The server is busy checking passwords; try again in a moment"));
          logError(`SMTP entrance: could not check the login of ${JSON.stringify(username.slice(0, 100))} from ${ip}`, error);
          callback(refuse(454, "4.7.0 Could not check the credentials; try again later"));
        },
      );
    },

    onMailFrom(address: SMTPServerAddress, session, callback) {
      const account = accountOf(session);
      // Without AUTH the recipients decide (only return paths are taken), so any sender may try.
      if (!account) return callback();
      if (address.address === "") return callback(refuse(550, "5.7.1 An empty envelope sender is for bounces; a submission needs the sender's address"));
      (async () => {
        const permission = await checkSender(session, account.departmentId, address.address);
        transactionOf(session).sender = permission;
        if (!permission.ok) throw refuse(550, `5.7.1 ${quoted(address.address)} is not allowed as the sender for this account: ${permission.reason}`);
        const rate = await accountRateRefusal(db, account);
        if (rate) throw rate;
        submitting.add(session.id);
      })().then(() => callback(), ours(`SMTP entrance: could not check the sender ${JSON.stringify(address.address)} of ${account.username}`, callback));
    },

    onRcptTo(address: SMTPServerAddress, session, callback) {
      const account = accountOf(session);
      if (!account) {
        if (parseFeedbackAddress(address.address)) return callback(feedbackRecipientRefusal(address.address));
        // Anything else without AUTH is for a group address, or relaying.
        return void groupRecipientRefusal(db, address.address).then((refusal) => {
          if (!refusal) transactionOf(session).groups.add(address.address);
          callback(refusal);
        }, ours(`SMTP entrance: could not look up the group ${JSON.stringify(address.address.slice(0, 100))}`, callback));
      }
      const checked = normalizeAddress(address.address);
      if (!checked.ok) return callback(refuse(553, `5.1.3 ${quoted(address.address)}: ${addressProblemInEnglish(checked)}`));
      const { recipients } = transactionOf(session);
      const allowed = Math.min(maxRecipients, account.maxRecipients ?? maxRecipients);
      if (!recipients.has(checked.email) && recipients.size >= allowed) {
        return callback(refuse(452, `4.5.3 Too many recipients: at most ${allowed} per message${allowed < maxRecipients ? " for this account" : ""}; send the rest in another message`));
      }
      recipients.add(checked.email);
      callback();
    },

    onData(stream: SMTPServerDataStream, session, callback) {
      const account = accountOf(session);
      const limit = account ? maxMessageBytes : Math.min(maxMessageBytes, FEEDBACK_MAX_BYTES);
      // The envelope ends with this answer, whatever it is.
      const answer = (error: Error | null, text?: string) => {
        submitting.delete(session.id);
        callback(error, text);
      };
      void readBounded(stream, limit).then((read) => {
        // The client left before its final dot: nothing is kept, and nobody is left to answer.
        if (read.kind === "aborted") return answer(refuse(451, "4.3.0 The connection closed before the message was complete"));
        if (read.kind === "oversized") return answer(refuse(552, `5.3.4 The message is larger than ${limit} bytes`));
        if (!account) {
          const { groups } = transactionOf(session);
          const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address).filter((recipient) => !groups.has(recipient));
          const mail = { raw: read.raw, envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "", clientIp: clientIp(session.remoteAddress) };
          return void (async () => {
            const texts = groups.size > 0 ? [await receiveGroupMail(db, [...groups], mail, resolver)] : [];
            if (recipients.length > 0) texts.push(await receiveFeedbackMail(db, read.raw, recipients, logError));
            return texts.join("; ");
          })().then((text) => answer(null, text), ours("SMTP entrance: mail for return paths or groups", answer));
        }
        const transaction = transactionOf(session);
        const submission = {
          account,
          clientIp: clientIp(session.remoteAddress),
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          recipients: [...transaction.recipients],
          raw: read.raw,
        };
        acceptSubmission(db, recorder, submission, logError, transaction.sender).then(
          (accepted) => answer(null, `2.0.0 Accepted as task ${accepted.taskId}`),
          ours(`SMTP entrance: could not record a message of ${account.username} from ${submission.clientIp} for ${submission.recipients.length} recipient(s)`, answer),
        );
      });
    },
  });
  // Replies are small writes a client waits for: with Nagle's algorithm each would wait for the client's delayed ACK.
  server.server.on("connection", (socket: Socket) => socket.setNoDelay(true));
  return server;
}

type Read = { kind: "complete"; raw: Buffer } | { kind: "oversized" } | { kind: "aborted" };

/**
 * The message of one DATA, kept up to `limit` bytes. Past the limit the stream is still drained
 * (the client only hears us after its final dot) but nothing more is kept; a stream that is
 * destroyed before its end (the client left) is "aborted".
 */
export function readBounded(stream: SMTPServerDataStream, limit: number): Promise<Read> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let oversized = false;
    stream.on("data", (chunk: Buffer) => {
      if (oversized) return;
      kept += chunk.length;
      if (kept > limit) {
        oversized = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    stream.once("end", () => resolve(oversized || stream.sizeExceeded ? { kind: "oversized" } : { kind: "complete", raw: Buffer.concat(chunks, kept) }));
    stream.once("error", () => resolve({ kind: "aborted" }));
    stream.once("close", () => {
      if (!stream.readableEnded) resolve({ kind: "aborted" });
    });
  });
}

/** The client's address as the reports show it: an IPv4 client seen through an IPv6 socket is its IPv4 address. */
export function clientIp(remoteAddress: string): string {
  const lower = (remoteAddress ?? "").toLowerCase();
  return lower.startsWith("::ffff:") && lower.includes(".") ? lower.slice(7) : lower;
}

/** Listens on `port` (0 picks a free one) and answers the port it got. */
export function listen(server: SMTPServer, port: number, host = "0.0.0.0"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** The entrance as the server and `npm run gateway` start it: options from the environment, listening on FANOUT_GATEWAY_PORT. */
export async function startEntrance(db: Database, env: FanoutEnv = readEnv()): Promise<{ server: SMTPServer; port: number; summary: string }> {
  if (env.gatewayPort === undefined) throw new Error("FANOUT_GATEWAY_PORT is not set: there is no SMTP entrance to start");
  const options = entranceOptionsFromEnv(env);
  const server = createEntrance(db, options);
  // An error on one connection (a reset, a failed TLS handshake) is that connection's; the entrance goes on.
  server.on("error", (error) => console.error(`[fanout] SMTP entrance: ${error.message}`));
  const port = await listen(server, env.gatewayPort);
  const summary = `SMTP entrance listening on port ${port}${options.tls ? " with STARTTLS" : ""} (submissions with a department's SMTP account; bounces, complaints, mailed unsubscribes and replies for Fanout return paths; mail for group addresses)`;
  return { server, port, summary };
}
