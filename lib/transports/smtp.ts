import net from "node:net";
import nodemailer from "nodemailer";
import SMTPConnection from "nodemailer/lib/smtp-connection";
import type SMTPPool from "nodemailer/lib/smtp-pool";
import { buildMime, envelopeOf } from "./mime";
import { enhancedStatusOf, needsSmtpUtf8, smtpUtf8Unsupported, type OutgoingMessage, type SendResult, type Transport } from "./types";

export type SmtpTransportOptions = {
  /**
   * `smtp://user:pass@host:port` (STARTTLS when the server offers it, and required when the URL
   * carries credentials and the relay is not on this machine) or `smtps://…` (TLS from the first
   * byte). `?tls=insecure` accepts any certificate (self-signed relays); nothing else does.
   */
  url: string;
  /** Always pooled; the option exists to say so at the call site. */
  pool?: true;
  /** Connections kept open to the relay, and messages of a batch in flight at once (default 5). */
  maxConnections?: number;
  /** Messages per connection before it is replaced (default 100). */
  maxMessagesPerConnection?: number;
  /** With rateLimit: at most rateLimit messages per rateDelta milliseconds, across connections. */
  rateDelta?: number;
  rateLimit?: number;
  /** Milliseconds to wait for the TCP connection (default 30 s). */
  connectionTimeout?: number;
  /** Milliseconds to wait for the greeting after connecting (default 30 s). */
  greetingTimeout?: number;
  /** Milliseconds of silence on the socket before giving up (default 2 min; DATA replies can be slow). */
  socketTimeout?: number;
  /** The name we give in EHLO (default: this machine's host name). */
  clientName?: string;
};

/** A message already composed: its bytes and the envelope they go to. */
export type ComposedMessage = Pick<OutgoingMessage, "id" | "to" | "from" | "envelopeFrom"> & { raw: Buffer };

export type SmtpTransport = Transport & {
  /**
   * Writes bytes composed beforehand over the same pooled connections, with nothing rendered,
   * composed or signed: the wire baseline of `npm run bench -- send`, the ceiling the engine is measured against.
   */
  sendComposed(messages: readonly ComposedMessage[]): Promise<SendResult[]>;
};

type SmtpError = Error & { code?: string; responseCode?: number; response?: string; command?: string };

/**
 * Parses an SMTP URL into nodemailer pool options; credentials are URL-decoded. Credentials never
 * go over a connection without TLS to a relay elsewhere: with smtp:// nodemailer would log in in
 * clear text when the relay does not offer STARTTLS — or when someone on the path strips the offer
 * from its EHLO reply — so `requireTLS` makes such a send fail before AUTH instead. A relay on a
 * loopback address (127.0.0.0/8, ::1, localhost) is this machine and keeps working without TLS.
 */
export function smtpOptionsFromUrl(url: string): SMTPPool.Options {
  const parsed = new URL(url);
  if (parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:") {
    throw new Error(`SMTP_URL must start with smtp:// or smtps:// (got ${parsed.protocol}//)`);
  }
  const options: SMTPPool.Options = {
    pool: true,
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    secure: parsed.protocol === "smtps:",
  };
  if (parsed.port) options.port = Number(parsed.port);
  if (parsed.username) {
    options.auth = { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) };
    if (!options.secure && !isLoopbackHost(options.host!)) options.requireTLS = true;
  }
  const tls = parsed.searchParams.get("tls");
  if (tls === "insecure") options.tls = { rejectUnauthorized: false };
  else if (tls !== null) throw new Error(`SMTP_URL: unknown tls=${tls} (only tls=insecure is understood)`);
  return options;
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** A host name or address that can only be this machine (IPv4-mapped IPv6 forms included). */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost") return true;
  const family = net.isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? "ipv4" : "ipv6");
}

/**
 * Opens the TCP connection for nodemailer with Nagle's algorithm off. nodemailer leaves it on, and
 * an SMTP transaction's small writes then wait for the relay's delayed ACK: about 40 ms per
 * command, capping a connection near 20 messages a second. nodemailer still does TLS (smtps) and
 * STARTTLS on the socket it is given.
 */
function connectWithoutDelay(options: SMTPPool.Options): NonNullable<SMTPPool.Options["getSocket"]> {
  const host = options.host ?? "localhost";
  const port = options.port ?? (options.secure ? 465 : 587);
  const timeoutMs = options.connectionTimeout ?? 30_000;
  return (_options, callback) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => onError(Object.assign(new Error(`Connection to ${host}:${port} timed out`), { code: "ETIMEDOUT" })), timeoutMs);
    function onError(error: Error) {
      clearTimeout(timer);
      socket.destroy();
      callback(error, undefined);
    }
    socket.once("error", onError);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      socket.setKeepAlive(true);
      callback(null, { connection: socket });
    });
  };
}

type Callback = (error: Error | null, info?: unknown) => void;
type EnvelopeStep = (envelope: { from?: unknown; to?: unknown; dsn?: unknown; requireTLSExtensionEnabled?: unknown }, callback: Callback) => void;
type ConnectionInternals = {
  _setEnvelope: EnvelopeStep;
  _supportedExtensions: string[];
  _responseActions: ((reply: string) => void)[];
  _envelope: { to: string[]; rcptQueue: string[]; accepted: string[]; rejected: string[]; rejectedErrors: Error[] };
  _recipientQueue: string[];
  _ehloLines?: string[];
  _sendCommand(command: string): void;
  _socket: { write(data: Buffer | string): boolean };
  _formatError(message: string, code: string, response: string | false, command: string): Error;
};
const PATCHED = Symbol.for("fanout.envelopeStep");
/** Marks the refusal below, so failureOf can tell it from nodemailer's own envelope errors. */
const NO_SMTPUTF8 = "ENOSMTPUTF8";

/**
 * Two changes to the step where nodemailer's smtp-connection starts a transaction, on the
 * connection that is about to send. It reads nodemailer's private state (its list of the relay's
 * extensions, its queue of reply handlers), held by tests/unit/smtputf8.test.ts and
 * tests/unit/transport-smtp.test.ts against smtp-server.
 *
 * SMTPUTF8: an address with a Unicode mailbox name (用户@例子.中国, RFC 6531) may only go to a relay
 * that offers SMTPUTF8. nodemailer adds the keyword to MAIL FROM when the relay offers it, but when
 * it does not it sends the raw UTF-8 anyway, and a lenient relay passes on an address its next hop
 * reads as garbage; such a message fails here before MAIL FROM, final and with a clear reason.
 *
 * PIPELINING (RFC 2920): nodemailer pipelines only the RCPT TO commands of one envelope, after the
 * reply to MAIL FROM; with our one recipient per transaction that is four round trips a message
 * (MAIL, RCPT, DATA, the message). When the relay offers PIPELINING, RCPT TO and DATA now follow
 * MAIL FROM at once and the three replies are read in order: two round trips. A refused MAIL or RCPT
 * is that message's answer as before (the relay then refuses DATA, which is read and dropped; a
 * relay that wrongly answers 354 gets an empty message ended at once, and its reply is dropped too).
 */
function patchEnvelopeStep(): void {
  const prototype = SMTPConnection.prototype as unknown as ConnectionInternals & { [PATCHED]?: true };
  if (prototype[PATCHED]) return;
  const setEnvelope = prototype._setEnvelope;
  prototype._setEnvelope = function (this: ConnectionInternals, envelope, callback) {
    const addresses = [envelope.from, ...[envelope.to ?? []].flat()].map((address) => String((address as { address?: string })?.address ?? address ?? ""));
    if (addresses.some(needsSmtpUtf8) && !this._supportedExtensions.includes("SMTPUTF8")) {
      return callback(Object.assign(new Error("the relay does not offer SMTPUTF8"), { code: NO_SMTPUTF8, command: "MAIL FROM" }));
    }
    const actions = this._responseActions.length;
    setEnvelope.call(this, envelope, callback);
    const pipelined = this._supportedExtensions.includes("PIPELINING") && !envelope.dsn && !envelope.requireTLSExtensionEnabled;
    // Only a transaction nodemailer did start (MAIL FROM written, its handler queued) with exactly one recipient.
    if (!pipelined || this._responseActions.length !== actions + 1 || this._envelope?.rcptQueue?.length !== 1) return;
    this._responseActions.pop();
    const recipient = this._envelope.rcptQueue.shift()!;
    let refusal: Error | null = null;
    this._responseActions.push(
      (reply) => {
        if (reply.charAt(0) !== "2") refusal = this._formatError("Mail command failed", "EENVELOPE", reply, "MAIL FROM");
      },
      (reply) => {
        if (reply.charAt(0) === "2") return void this._envelope.accepted.push(recipient);
        this._envelope.rejected.push(recipient);
        refusal ??= Object.assign(this._formatError("Recipient command failed", "EENVELOPE", reply, "RCPT TO"), { recipient });
      },
      (reply) => {
        if (refusal) {
          if (reply.charAt(0) === "3") {
            this._responseActions.push(() => undefined);
            this._socket.write("\r\n.\r\n");
          }
          return callback(refusal);
        }
        if (!/^[23]/.test(reply)) return callback(this._formatError("Data command failed", "EENVELOPE", reply, "DATA"));
        callback(null, { accepted: this._envelope.accepted, rejected: this._envelope.rejected, ...(this._ehloLines?.length ? { ehlo: this._ehloLines } : {}) });
      },
    );
    this._recipientQueue = [];
    this._sendCommand(`RCPT TO:<${recipient}>`);
    this._sendCommand("DATA");
  };
  prototype[PATCHED] = true;
}

/** The relay URL without credentials or options, for the console. */
export function describeSmtpUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const port = parsed.port || (parsed.protocol === "smtps:" ? "465" : "587");
    const user = parsed.username ? ` (as ${decodeURIComponent(parsed.username)})` : "";
    return `${parsed.protocol}//${parsed.hostname}:${port}${user}`;
  } catch {
    return "(unparsable SMTP_URL)";
  }
}

/**
 * Sends through any SMTP relay with a pool of nodemailer connections. Each message is its own
 * transaction with one RCPT TO, so the relay's reply to RCPT TO or to the end of DATA is that
 * recipient's result, kept as the server said it (code, enhanced status, text).
 */
export function createSmtpTransport(options: SmtpTransportOptions): SmtpTransport {
  patchEnvelopeStep();
  const maxConnections = Math.max(1, options.maxConnections ?? 5);
  const poolOptions: SMTPPool.Options & { maxRequeues: number } = {
    ...smtpOptionsFromUrl(options.url),
    maxConnections,
    maxMessages: options.maxMessagesPerConnection ?? 100,
    // A message whose connection closes under it is tried once more on a fresh connection,
    // not forever (nodemailer's default), so a batch always ends.
    maxRequeues: 1,
    connectionTimeout: options.connectionTimeout ?? 30_000,
    greetingTimeout: options.greetingTimeout ?? 30_000,
    socketTimeout: options.socketTimeout ?? 120_000,
    name: options.clientName,
    logger: false,
  };
  poolOptions.getSocket = connectWithoutDelay(poolOptions);
  if (options.rateLimit) {
    poolOptions.rateLimit = options.rateLimit;
    poolOptions.rateDelta = options.rateDelta ?? 1000;
  }
  const transporter = nodemailer.createTransport(poolOptions);

  /** One transaction: these bytes to this envelope, the relay's answer as the result. */
  async function deliver(message: Pick<OutgoingMessage, "id" | "to" | "from" | "envelopeFrom">, raw: () => Promise<Buffer>): Promise<SendResult> {
    try {
      const info = await transporter.sendMail({ raw: await raw(), envelope: envelopeOf(message), disableFileAccess: true, disableUrlAccess: true });
      const reply = fromWire(String(info.response ?? ""));
      return { id: message.id, ok: true, code: Number(/^\d{3}/.exec(reply)?.[0] ?? 250), reply, providerId: queueIdOf(reply) };
    } catch (error) {
      return failureOf(message, error as SmtpError);
    }
  }

  /** As many transactions in flight as the pool has connections; the rest wait their turn, so an abort leaves those not yet started untouched. */
  async function inTurn<M extends { id: string }>(messages: readonly M[], send: (message: M) => Promise<SendResult>, signal?: AbortSignal): Promise<SendResult[]> {
    const results: SendResult[] = new Array(messages.length);
    let next = 0;
    const worker = async () => {
      while (next < messages.length) {
        const index = next++;
        const message = messages[index]!;
        results[index] = signal?.aborted ? { id: message.id, ok: false, retry: true, reply: "not sent: the batch was aborted before this message" } : await send(message);
      }
    };
    await Promise.all(Array.from({ length: Math.min(maxConnections, messages.length) }, worker));
    return results;
  }

  return {
    name: "smtp",
    maxBatch: 100,
    target: describeSmtpUrl(options.url),
    // Composed here from the message's skeleton (skeleton.ts) and handed over as bytes: nodemailer only writes them to the relay.
    sendBatch: (messages, sendOptions) => inTurn(messages, (message) => deliver(message, () => buildMime(message)), sendOptions?.signal),
    sendComposed: (messages) => inTurn(messages, (message) => deliver(message, async () => message.raw)),
    async close() {
      transporter.close();
    },
  };
}

/** "250 2.0.0 Ok: queued as 4Xyz12" (Postfix), "250 OK id=1rAbc-000123-Xy" (Exim) → the relay's id. */
function queueIdOf(reply: string): string | undefined {
  return /queued as\s+<?([A-Za-z0-9._@-]+?)>?(?:\s|$)/i.exec(reply)?.[1] ?? /\bid=([A-Za-z0-9._-]+)/.exec(reply)?.[1];
}

/** nodemailer reads replies as latin1; give UTF-8 text (SMTPUTF8 servers) back its characters. */
function fromWire(text: string): string {
  if (!/[\u0080-\u00ff]/.test(text)) return text;
  const decoded = Buffer.from(text, "latin1").toString("utf8");
  return decoded.includes("\uFFFD") ? text : decoded;
}

/**
 * A reply to MAIL FROM, RCPT TO or DATA is about this message: 4xx is temporary, 5xx final.
 * Anything else (connection refused or dropped, timeouts, TLS, a 5xx to EHLO or AUTH, which is
 * the relay's configuration and not this recipient) is worth another try later.
 */
function failureOf(message: Pick<OutgoingMessage, "id">, error: SmtpError): SendResult {
  if (error.code === NO_SMTPUTF8) return smtpUtf8Unsupported(message);
  const aboutMessage = error.code === "EENVELOPE" || error.code === "EMESSAGE";
  // No TLS (the relay does not offer STARTTLS, or someone stripped the offer): say that, not only the relay's reply to STARTTLS.
  if (error.code === "ETLS") return { id: message.id, ok: false, retry: true, reply: `ETLS: ${error.message}${error.response ? ` (${fromWire(error.response)})` : ""}` };
  if (typeof error.responseCode === "number" && error.response) {
    const reply = fromWire(error.response);
    const code = error.responseCode;
    return {
      id: message.id,
      ok: false,
      retry: !(aboutMessage && code >= 500),
      code,
      enhancedStatus: enhancedStatusOf(reply),
      reply,
    };
  }
  // Refused before the relay said anything (an invalid address, a message over the advertised SIZE).
  if (aboutMessage) return { id: message.id, ok: false, retry: false, reply: error.message };
  return { id: message.id, ok: false, retry: true, reply: error.code ? `${error.code}: ${error.message}` : error.message };
}
