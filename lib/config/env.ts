import net from "node:net";
import path from "node:path";
import { z } from "zod";

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value && value.trim() !== "" ? value.trim() : undefined));

const envSchema = z.object({
  DATABASE_URL: optionalText,
  DATABASE_DRIVER: z.enum(["pglite", "pg", "neon"]).optional(),
  FANOUT_DATA_DIR: optionalText,
  FANOUT_TIMEZONE: optionalText,
  FANOUT_PUBLIC_URL: optionalText,
  FANOUT_ADMIN_EMAIL: optionalText,
  FANOUT_ADMIN_PASSWORD: optionalText,
  AUTH_SECRET: optionalText,
  NEXTAUTH_SECRET: optionalText,
  FANOUT_TOKEN_SECRET: optionalText,
  SMTP_URL: optionalText,
  RESEND_API_KEY: optionalText,
  PORT: optionalText,
  FANOUT_TRUSTED_PROXIES: optionalText,
  FANOUT_RATE_LIMIT_API: optionalText,
  FANOUT_RATE_LIMIT_PUBLIC: optionalText,
  FANOUT_RATE_LIMIT_TRACKING: optionalText,
});

export type FanoutEnv = {
  databaseUrl: string | undefined;
  databaseDriver: "pglite" | "pg" | "neon";
  dataDir: string;
  timeZone: string;
  publicUrl: string | undefined;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  authSecret: string | undefined;
  tokenSecret: string | undefined;
  /** CIDRs ("10.0.0.0/8", "::1/128") of the proxies in front of the server; empty: the socket address is the client. */
  trustedProxies: readonly string[];
  /** Requests per minute: per API key, per client IP on the public endpoints, per delivery for tracking hits. */
  rateLimits: { api: number; public: number; tracking: number };
};

// Building an Intl.DateTimeFormat costs 100–400 µs, and the send engine reads the environment per message.
const checkedZones = new Set<string>();

const ENV_KEYS = Object.keys(envSchema.shape) as (keyof typeof envSchema.shape)[];
let lastRead: { key: string; env: FanoutEnv } | undefined;

/**
 * Every setting Fanout knows, validated. Signing a token reads it, and a message signs several, so
 * the answer is kept while the variables it reads are unchanged (tests change them at will).
 */
export function readEnv(source: Record<string, string | undefined> = process.env): FanoutEnv {
  // The working directory too: a relative FANOUT_DATA_DIR resolves against it.
  const key = `${process.cwd()}\u0001${ENV_KEYS.map((name) => source[name] ?? "\u0000").join("\u0001")}`;
  if (lastRead?.key === key) return lastRead.env;
  const env = Object.freeze(parseEnv(source));
  lastRead = { key, env };
  return env;
}

function parseEnv(source: Record<string, string | undefined>): FanoutEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid environment: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const env = parsed.data;
  const timeZone = env.FANOUT_TIMEZONE ?? "Asia/Shanghai";
  if (!checkedZones.has(timeZone)) {
    try {
      new Intl.DateTimeFormat("en", { timeZone });
    } catch {
      throw new Error(`Invalid environment: FANOUT_TIMEZONE "${timeZone}" is not an IANA time zone`);
    }
    checkedZones.add(timeZone);
  }
  return {
    databaseUrl: env.DATABASE_URL,
    databaseDriver: env.DATABASE_DRIVER ?? driverForUrl(env.DATABASE_URL),
    dataDir: path.resolve(/*turbopackIgnore: true*/ env.FANOUT_DATA_DIR ?? ".data"),
    timeZone,
    publicUrl: env.FANOUT_PUBLIC_URL?.replace(/\/+$/, ""),
    adminEmail: env.FANOUT_ADMIN_EMAIL,
    adminPassword: env.FANOUT_ADMIN_PASSWORD,
    authSecret: env.AUTH_SECRET ?? env.NEXTAUTH_SECRET,
    tokenSecret: env.FANOUT_TOKEN_SECRET,
    trustedProxies: parseCidrs(env.FANOUT_TRUSTED_PROXIES),
    rateLimits: {
      api: perMinute("FANOUT_RATE_LIMIT_API", env.FANOUT_RATE_LIMIT_API, 600),
      public: perMinute("FANOUT_RATE_LIMIT_PUBLIC", env.FANOUT_RATE_LIMIT_PUBLIC, 1200),
      tracking: perMinute("FANOUT_RATE_LIMIT_TRACKING", env.FANOUT_RATE_LIMIT_TRACKING, 20),
    },
  };
}

function parseCidrs(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(",").map((entry) => {
    const cidr = entry.trim();
    const [address = "", prefix] = cidr.split("/");
    const family = net.isIP(address);
    const bits = prefix === undefined ? (family === 6 ? 128 : 32) : Number(prefix);
    if (!family || !Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32) || (prefix !== undefined && !/^\d{1,3}$/.test(prefix))) {
      throw new Error(`Invalid environment: FANOUT_TRUSTED_PROXIES entry "${cidr}" is not an IPv4 or IPv6 address or CIDR`);
    }
    return `${address}/${bits}`;
  });
}

function perMinute(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`Invalid environment: ${name} must be a whole number of requests per minute, at least 1`);
  return parsed;
}

function driverForUrl(url: string | undefined): "pglite" | "pg" | "neon" {
  if (!url) return "pglite";
  if (/^postgres(ql)?:\/\/[^/]*\.neon\.tech(:\d+)?\//i.test(url) || /\.neon\.tech\b/i.test(url)) return "neon";
  if (/^postgres(ql)?:\/\//i.test(url)) return "pg";
  throw new Error("Invalid environment: DATABASE_URL must start with postgres:// or postgresql://");
}
