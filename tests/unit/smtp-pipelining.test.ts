import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createSmtpTransport } from "@/lib/transports/smtp";
import { outgoingMessage } from "../helpers/messages";

/**
 * A relay on loopback that speaks just enough SMTP to show the order of the dialogue: it holds its
 * reply to MAIL FROM for 50 ms and notes which commands arrived in the meantime. Replies go out in
 * the order of the commands, as RFC 2920 requires. RCPT TO for `refused@…` is answered 550, and
 * DATA after it 503 (no valid recipients).
 */
async function startRelay(options: { pipelining: boolean }) {
  const beforeMailReply: string[][] = [];
  const server = net.createServer((socket) => {
    let buffer = "";
    let inData = false;
    let rcptRefused = false;
    let chain = Promise.resolve();
    const reply = (text: string, delayMs = 0, before?: () => void) => {
      chain = chain.then(() => new Promise<void>((done) => setTimeout(() => (before?.(), socket.write(`${text}\r\n`), done()), delayMs)));
    };
    const lines: string[] = [];
    socket.write("220 relay.test ESMTP\r\n");
    socket.on("error", () => undefined);
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("latin1");
      for (let end = buffer.indexOf("\r\n"); end >= 0; end = buffer.indexOf("\r\n")) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            reply("250 2.0.0 OK: queued as ABC123");
          }
          continue;
        }
        lines.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") reply(`250-relay.test\r\n${options.pipelining ? "250-PIPELINING\r\n" : ""}250 8BITMIME`);
        else if (verb === "MAIL") {
          rcptRefused = false;
          const at = lines.length;
          reply("250 2.1.0 OK", 50, () => beforeMailReply.push(lines.slice(at)));
        } else if (verb === "RCPT") {
          rcptRefused = line.includes("refused@");
          reply(rcptRefused ? "550 5.1.1 User unknown" : "250 2.1.5 OK");
        } else if (verb === "DATA") {
          if (rcptRefused) reply("503 5.5.1 No valid recipients");
          else {
            inData = true;
            reply("354 go ahead");
          }
        } else if (verb === "QUIT") {
          reply("221 bye");
          chain = chain.then(() => void socket.end());
        } else reply("250 OK");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`, beforeMailReply, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe("SMTP PIPELINING", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it("sends RCPT TO and DATA right after MAIL FROM when the relay offers it, and each message keeps its own answer", async () => {
    const relay = await startRelay({ pipelining: true });
    const transport = createSmtpTransport({ url: relay.url, maxConnections: 1 });
    cleanups.push(() => transport.close(), relay.close);
    const messages = ["first@example.test", "refused@example.test", "third@example.test"].map((to) => outgoingMessage(to, { envelopeFrom: "bounce+1@news.example.com" }));
    const results = await transport.sendBatch(messages);
    expect(results).toMatchObject([
      { ok: true, code: 250, providerId: "ABC123" },
      { ok: false, retry: false, code: 550, enhancedStatus: "5.1.1", reply: "550 5.1.1 User unknown" },
      { ok: true, code: 250 },
    ]);
    // While MAIL FROM waited for its reply, the rest of the envelope was already on its way.
    expect(relay.beforeMailReply).toEqual(messages.map((message) => [`RCPT TO:<${message.to}>`, "DATA"]));
  });

  it("waits for each reply when the relay does not offer it", async () => {
    const relay = await startRelay({ pipelining: false });
    const transport = createSmtpTransport({ url: relay.url, maxConnections: 1 });
    cleanups.push(() => transport.close(), relay.close);
    const results = await transport.sendBatch([outgoingMessage("first@example.test"), outgoingMessage("refused@example.test")]);
    expect(results).toMatchObject([{ ok: true }, { ok: false, code: 550 }]);
    expect(relay.beforeMailReply).toEqual([[], []]);
  });
});
