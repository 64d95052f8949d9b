import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WebAssembly and the drivers open sockets: load them from node_modules at run time.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pg",
    "@neondatabase/serverless",
    "bcryptjs",
  ],
  // The migrations are read from db/migrations at run time (a start migrates, or a hosted one checks:
  // db/migrate.ts). Tracing finds that folder through its path today; naming it here keeps a host that
  // deploys only the traced files (Vercel, `output: "standalone"`) supplied if that path ever stops
  // being one tracing can follow. tests/e2e/build-output.test.ts holds the result.
  outputFileTracingIncludes: { "*": ["./db/migrations/*.sql", "./db/migrations/meta/_journal.json"] },
  poweredByHeader: false,
  typedRoutes: false,
  // Headers that never change, on every response (proxy.ts adds the per-request CSP and HSTS).
  async headers() {
    const always = [
      { key: "X-Content-Type-Options", value: "nosniff" },
      { key: "X-Frame-Options", value: "DENY" },
    ];
    return [
      // Tracking and unsubscribe URLs carry a recipient's token: no page they lead to learns them or where the reader came from.
      { source: "/((?!t/|u/).*)", headers: [...always, { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" }] },
      { source: "/:area(t|u)/:path*", headers: [...always, { key: "Referrer-Policy", value: "no-referrer" }] },
    ];
  },
};

export default nextConfig;
