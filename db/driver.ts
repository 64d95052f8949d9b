export type DatabaseDriver = "pglite" | "pg" | "neon";

/**
 * The driver a database URL asks for: PGlite (embedded) without one, Neon's serverless driver for
 * Neon hosts, node-postgres for any other postgres:// URL; null for a URL that is not Postgres.
 */
export function driverForUrl(url: string | undefined): DatabaseDriver | null {
  if (!url) return "pglite";
  if (/\.neon\.tech\b/i.test(url)) return "neon";
  if (/^postgres(ql)?:\/\//i.test(url)) return "pg";
  return null;
}
