import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request a receiver got: its headers (lower-case names) and raw body. */
export type ReceivedWebhook = { headers: Record<string, string>; body: string };

/** What the receiver does with the n-th request (0-based): answer with a status and body, or hold it open and never answer. */
export type ReceiverAnswer = { status: number; body?: string } | { hang: true };

export type WebhookReceiver = {
  url: string;
  received: ReceivedWebhook[];
  /** Decides each answer from here on (default: 200 "ok"). */
  answer: (decide: (index: number, request: ReceivedWebhook) => ReceiverAnswer) => void;
  /** Resolves when `count` requests have arrived. */
  waitFor: (count: number, timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
};

/** A business system's webhook receiver on loopback (a plain node http server). */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let decide: (index: number, request: ReceivedWebhook) => ReceiverAnswer = () => ({ status: 200, body: "ok" });
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]));
      const entry = { headers, body: Buffer.concat(chunks).toString("utf8") };
      const index = received.push(entry) - 1;
      for (const waiter of waiters.filter((candidate) => received.length >= candidate.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const answer = decide(index, entry);
      if ("hang" in answer) return;
      response.writeHead(answer.status, { "content-type": "text/plain" }).end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/fanout`,
    received,
    answer: (next) => {
      decide = next;
    },
    waitFor: (count, timeoutMs = 30_000) =>
      received.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${count} webhook requests had not arrived after ${timeoutMs} ms (${received.length} had)`)), timeoutMs);
            waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
          }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
