import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import type { Database } from "@/db/client";
import { parseFeedbackAddress } from "@/lib/feedback/address-token";
import { MAX_INBOUND_BYTES, receiveInboundMail } from "@/lib/feedback/inbound";

/**
 * The part of the SMTP entrance (`FANOUT_GATEWAY_PORT`) that takes mail coming back: bounces,
 * delay notices and complaints for `bounce+<token>@…` and mailed unsubscribes for
 * `unsubscribe+<token>@…`, from any server, without authentication — the signed token is the
 * credential, checked at RCPT so a forged or unknown one is refused with a reply that says so.
 * Submissions from group-send clients (AUTH, quota) are the entrance's other half.
 */
export function createFeedbackMailServer(db: Database, options: { hostname?: string } = {}): SMTPServer {
  return new SMTPServer({
    name: options.hostname,
    banner: "Fanout feedback mail",
    size: MAX_INBOUND_BYTES,
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
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (stream.sizeExceeded) return callback(smtpError(552, `5.3.4 The message is larger than ${MAX_INBOUND_BYTES} bytes`));
        const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
        receiveInboundMail(db, Buffer.concat(chunks), recipients).then(
          (result) => {
            if (result.outcome === "invalid_token" || result.outcome === "not_found") return callback(smtpError(550, "5.1.1 The delivery this message names does not exist"));
            callback(null, `2.0.0 Accepted (${result.outcome})`);
          },
          (error: unknown) => callback(smtpError(451, `4.3.0 Could not record the message, try again later: ${error instanceof Error ? error.message : String(error)}`)),
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
