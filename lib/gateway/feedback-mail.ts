import "server-only";
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import type { Database } from "@/db/client";
import { parseFeedbackAddress } from "@/lib/tokens/delivery-addresses";
import { MAX_INBOUND_BYTES, receiveInboundMail } from "@/lib/feedback/inbound";

export type FeedbackMailOptions = {
  /** The name in the greeting (default: this machine's host name). */
  hostname?: string;
  /** Largest message taken; the rest of a longer one is read and dropped, then refused with 552 (default MAX_INBOUND_BYTES). */
  maxMessageBytes?: number;
  /** Connections served at once; one more is answered 421 and closed, and MTAs retry later (default 20: with 10 MB each, 200 MB at most buffered). */
  maxClients?: number;
  /** Milliseconds a client may stay silent while we wait for it before it is answered 421 and closed (default 60 s). */
  socketTimeoutMs?: number;
  /** Milliseconds close() lets open connections finish before it closes them (default 30 s). */
  closeTimeoutMs?: number;
  /** Where an error the peer is not told about goes (default: the server log). */
  logError?: (message: string, error: unknown) => void;
};

export const FEEDBACK_MAIL_DEFAULTS = { maxClients: 20, socketTimeoutMs: 60_000, closeTimeoutMs: 30_000 } as const;

/**
 * The part of the SMTP entrance (`FANOUT_GATEWAY_PORT`) that takes mail coming back: bounces,
 * delay notices and complaints for `bounce+<token>@…` and mailed unsubscribes for
 * `unsubscribe+<token>@…`, from any server, without authentication — the signed token is the
 * credential, checked at RCPT so a forged or unknown one is refused with a reply that says so.
 * Submissions from group-send clients (AUTH, quota) are the entrance's other half.
 *
 * Anyone can connect, so each connection is bounded: at most `maxClients` at once, closed after
 * `socketTimeoutMs` of silence, a message buffered only up to `maxMessageBytes` (the rest is read
 * and dropped, then refused with 552), and a failure while recording answered with a fixed 451 text
 * while the error itself goes to the log.
 */
export function createFeedbackMailServer(db: Database, options: FeedbackMailOptions = {}): SMTPServer {
  const maxMessageBytes = options.maxMessageBytes ?? MAX_INBOUND_BYTES;
  const logError = options.logError ?? ((message, error) => console.error(`[fanout] ${message}`, error));
  return new SMTPServer({
    name: options.hostname,
    banner: "Fanout feedback mail",
    size: maxMessageBytes,
    maxClients: options.maxClients ?? FEEDBACK_MAIL_DEFAULTS.maxClients,
    socketTimeout: options.socketTimeoutMs ?? FEEDBACK_MAIL_DEFAULTS.socketTimeoutMs,
    closeTimeout: options.closeTimeoutMs ?? FEEDBACK_MAIL_DEFAULTS.closeTimeoutMs,
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error | null) => void) {
      const target = parseFeedbackAddress(address.address);
      if (!target) return callback(smtpError(550, `5.7.1 <${address.address}>: relaying denied; this server only takes mail for Fanout return paths`));
      if (target.deliveryId === null) return callback(smtpError(550, `5.1.1 <${address.address}>: unknown or forged token`));
      callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (error?: Error | null, message?: string) => void) {
      const chunks: Buffer[] = [];
      let buffered = 0;
      let oversized = false;
      // Past the limit the stream is still drained (the client only hears us after its final dot), but nothing more is kept.
      stream.on("data", (chunk: Buffer) => {
        if (oversized) return;
        buffered += chunk.length;
        if (buffered > maxMessageBytes) {
          oversized = true;
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      stream.on("end", () => {
        if (oversized || stream.sizeExceeded) return callback(smtpError(552, `5.3.4 The message is larger than ${maxMessageBytes} bytes`));
        const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        receiveInboundMail(db, Buffer.concat(chunks), recipients).then(
          (result) => {
            if (result.outcome === "invalid_token" || result.outcome === "not_found") return callback(smtpError(550, "5.1.1 The delivery this message names does not exist"));
            callback(null, `2.0.0 Accepted (${result.outcome})`);
          },
          (error: unknown) => {
            logError(`SMTP entrance: could not record a message for ${recipients.join(", ")}`, error);
            callback(smtpError(451, "4.3.0 Could not record the message, try again later"));
          },
        );
      });
    },
  });
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
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
