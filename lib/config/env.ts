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
  };
}

function driverForUrl(url: string | undefined): "pglite" | "pg" | "neon" {
  if (!url) return "pglite";
  if (/^postgres(ql)?:\/\/[^/]*\.neon\.tech(:\d+)?\//i.test(url) || /\.neon\.tech\b/i.test(url)) return "neon";
  if (/^postgres(ql)?:\/\//i.test(url)) return "pg";
  throw new Error("Invalid environment: DATABASE_URL must start with postgres:// or postgresql://");
}
