import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // PGlite ships WebAssembly and the drivers open sockets: load them from node_modules at run time.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "pg",
    "@neondatabase/serverless",
    "bcryptjs",
  ],
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
