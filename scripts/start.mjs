#!/usr/bin/env node
// `npm start`: builds once when no production build exists, then serves it on PORT (default 3000).
//
// The server is Next's own request handler behind a plain node:http server, not `next start`,
// for one reason: `next start` hands the app the client's address only through X-Forwarded-For,
// and only when the client sent none, so any client could choose its own IP. Here every request
// carries the socket's address in X-Fanout-Peer (lib/auth/session.ts PEER_HEADER), overwriting
// whatever a client sent under that name; clientIp() believes nothing else unless
// FANOUT_TRUSTED_PROXIES says the peer is a proxy.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const PEER_HEADER = "x-fanout-peer";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");

if (!existsSync(path.join(root, ".next", "BUILD_ID"))) {
  console.log("[fanout] no production build yet: running next build (once)");
  const build = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

process.env.NODE_ENV = "production";
const { default: next } = await import("next");
const port = Number(process.env.PORT ?? "3000");
const hostname = process.env.HOSTNAME || undefined;
const app = next({ dev: false, dir: root, port, hostname: hostname ?? "localhost" });
const handle = app.getRequestHandler();
await app.prepare();

const server = http.createServer((request, response) => {
  // Node lower-cases header names, so this replaces every spelling a client could send.
  request.headers[PEER_HEADER] = request.socket.remoteAddress ?? "";
  handle(request, response).catch((error) => {
    console.error("[fanout] request failed", error);
    if (!response.headersSent) response.statusCode = 500;
    response.end();
  });
});
// Idle keep-alive sockets outlive a client's own idle timeout (undici's is 4 s), so the client
// always closes first: a server that closes at 5 s races a request sent on the same socket, and
// the client sees ECONNRESET (seen under load in tests/e2e/embedded-stress.test.ts).
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(port, hostname, () => console.log(`[fanout] listening on http://${hostname ?? "localhost"}:${port}`));

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    app
      .close()
      .catch(() => {})
      .finally(() => process.exit(0));
  });
}
