import "server-only";
import path from "node:path";
import { z } from "zod";
import { driverForUrl, type DatabaseDriver } from "@/db/driver";
import { atLeast, flag, hostName, invalid, mailAddress, parseCidrs, perMinute, portNumber, smtpUrl, tlsFiles, webUrl } from "./env-values";

const optionalText = z
  .string()
  .optional()
  .transform((value) => (value && value.trim() !== "" ? value.trim() : undefined));

const envSchema = z.object({
  DATABASE_URL: optionalText,
  DATABASE_DRIVER: z.enum(["pglite", "pg", "neon"]).optional(),
  FANOUT_DATA_DIR: optionalText,
  FANOUT_MIGRATIONS_DIR: optionalText,
  FANOUT_TIMEZONE: optionalText,
  FANOUT_PUBLIC_URL: optionalText,
  FANOUT_ADMIN_EMAIL: optionalText,
  FANOUT_ADMIN_PASSWORD: optionalText,
  AUTH_SECRET: optionalText,
  NEXTAUTH_SECRET: optionalText,
  NEXTAUTH_URL: optionalText,
  AUTH_TRUST_HOST: optionalText,
  FANOUT_TOKEN_SECRET: optionalText,
  SMTP_URL: optionalText,
  RESEND_API_KEY: optionalText,
  RESEND_BASE_URL: optionalText,
  RESEND_WEBHOOK_SECRET: optionalText,
  FANOUT_SYSTEM_FROM: optionalText,
  FANOUT_RETURN_PATH_HOST: optionalText,
  FANOUT_SPF_INCLUDE: optionalText,
  PORT: optionalText,
  FANOUT_GATEWAY_PORT: optionalText,
  FANOUT_GATEWAY_HOST: optionalText,
  FANOUT_GATEWAY_TLS_CERT: optionalText,
  FANOUT_GATEWAY_TLS_KEY: optionalText,
  FANOUT_GATEWAY_MAX_BYTES: optionalText,
  FANOUT_GATEWAY_MAX_CLIENTS: optionalText,
  FANOUT_TRUSTED_PROXIES: optionalText,
  FANOUT_RATE_LIMIT_API: optionalText,
  FANOUT_RATE_LIMIT_PUBLIC: optionalText,
  FANOUT_RATE_LIMIT_TRACKING: optionalText,
  FANOUT_RUNNER: optionalText,
  INNGEST_EVENT_KEY: optionalText,
  INNGEST_DEV: optionalText,
  FANOUT_BATCH_SIZE: optionalText,
  FANOUT_SEND_CONCURRENCY: optionalText,
  FANOUT_LEASE_SECONDS: optionalText,
  FANOUT_MAX_ATTEMPTS: optionalText,
  FANOUT_RETRY_BASE_SECONDS: optionalText,
  FANOUT_RATE_PER_SECOND: optionalText,
  FANOUT_DOMAIN_RATE_PER_SECOND: optionalText,
  RESEND_REQUESTS_PER_SECOND: optionalText,
  FANOUT_MATERIALIZE_STEP: optionalText,
  FANOUT_RUNNER_TICK_MS: optionalText,
  FANOUT_WEBHOOKS_ALLOW_PRIVATE: optionalText,
  FANOUT_WEBHOOKS_TIMEOUT_SECONDS: optionalText,
  FANOUT_MX_CHECK: optionalText,
  FANOUT_HOSTED: optionalText,
  /** Set to "1" by Vercel in its builds and functions: hosted, whatever FANOUT_HOSTED says. */
  VERCEL: optionalText,
});

/** How the send engine paces and retries; every number can be set from the environment. */
export type SendingSettings = {
  /** Recipients per claimed batch (capped by the transport's own largest batch). */
  batchSize: number;
  /** Batches one process sends at the same time (local runner). */
  concurrency: number;
  /** How long a claimed batch may stay in flight before the reconciler re-queues it. */
  leaseMs: number;
  /** Transport answers per delivery before a retryable failure becomes final. */
  maxAttempts: number;
  /** First retry delay; each further one is four times longer (1 min, 4 min, 16 min, …). */
  retryBaseMs: number;
  /** Messages per second per transport; 0 means as fast as it goes. */
  transportRatePerSecond: number;
  /** Messages per second per sender domain; 0 means unlimited. */
  domainRatePerSecond: number;
  /** API requests per second to Resend (its default account limit is 2). */
  resendRequestsPerSecond: number;
  /** Contacts examined per materialisation step. */
  materializeStep: number;
  /** How often the local runner looks for work. */
  tickMs: number;
};

export type FanoutEnv = {
  databaseUrl: string | undefined;
  databaseDriver: DatabaseDriver;
  dataDir: string;
  /** Where the SQL migrations are read from; unset: db/migrations of the installation. */
  migrationsDir: string | undefined;
  timeZone: string;
  publicUrl: string | undefined;
  /** The port the web server listens on (scripts/start.mjs), also the host part of links when FANOUT_PUBLIC_URL is unset. */
  port: number;
  /** The SMTP entrance's port; unset: no SMTP entrance. */
  gatewayPort: number | undefined;
  /** The SMTP entrance beyond its port: the host name clients are told to use, STARTTLS files, bounds. */
  gateway: {
    /** FANOUT_GATEWAY_HOST, else the host of FANOUT_PUBLIC_URL; undefined: the console says "this server's address". */
    host: string | undefined;
    /** PEM files; both or neither. With them the entrance offers STARTTLS and refuses AUTH in clear text off loopback. */
    tlsCertFile: string | undefined;
    tlsKeyFile: string | undefined;
    /** Largest message a client may submit (SIZE), default 25 MiB. */
    maxMessageBytes: number;
    /** Connections served at once, default 100. */
    maxClients: number;
  };
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  authSecret: string | undefined;
  tokenSecret: string | undefined;
  /** next-auth's own settings, read so Fanout can fill them in from FANOUT_PUBLIC_URL when unset. */
  nextAuth: { url: string | undefined; trustHost: string | undefined };
  /** Outgoing mail: Resend when its key is set, else the SMTP relay, else the outbox table. */
  mail: {
    smtpUrl: string | undefined;
    resendApiKey: string | undefined;
    resendBaseUrl: string | undefined;
    resendWebhookSecret: string | undefined;
    /** The From address of Fanout's own messages (subscription confirmations). */
    systemFrom: string | undefined;
    /** The CNAME target of sender domains' return paths, and the host their SPF includes. */
    returnPathHost: string | undefined;
    spfInclude: string | undefined;
  };
  /** Which driver runs the send engine: Inngest when it is configured, else the in-process runner. */
  engineMode: "inngest" | "local";
  sending: SendingSettings;
  /** CIDRs ("10.0.0.0/8", "::1/128") of the proxies in front of the server; empty: the socket address is the client. */
  trustedProxies: readonly string[];
  /** Requests per minute: per API key, per client IP on the public endpoints, per delivery for tracking hits. */
  rateLimits: { api: number; public: number; tracking: number };
  /** Outgoing webhooks: may URLs point at loopback/private addresses, and how long a receiver may take to answer. */
  webhooks: { allowPrivate: boolean; timeoutMs: number };
  /** FANOUT_MX_CHECK=true: imports may ask DNS for their domains' MX (off by default, so tests and offline installs never do). */
  mxCheck: boolean;
  /** FANOUT_HOSTED=true (or on Vercel): no local disk, so Postgres migrated by a deploy step, secrets from the environment, Inngest sending (checkHosted). */
  hosted: boolean;
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
  const env = checkHosted(parseEnv(source));
  for (const part of [env.nextAuth, env.mail, env.sending, env.rateLimits, env.gateway, env.webhooks]) Object.freeze(part);
  lastRead = { key, env: Object.freeze(env) };
  return env;
}

/** The settings the secrets are made from: what readSecretSettings watches. */
const SECRET_KEYS = ["FANOUT_DATA_DIR", "AUTH_SECRET", "NEXTAUTH_SECRET", "FANOUT_TOKEN_SECRET", "FANOUT_HOSTED", "VERCEL"] as const satisfies readonly (typeof ENV_KEYS)[number][];
export type SecretSettings = Pick<FanoutEnv, "dataDir" | "authSecret" | "tokenSecret" | "hosted">;
let lastSecretRead: { key: string; settings: SecretSettings } | undefined;

/**
 * readEnv's data folder, secrets and hosting, watching only the variables they come from: every
 * signed link of every message asks for the token secret (a dozen times a message), and checking
 * all of readEnv's variables each time cost about a tenth of the send path's CPU. Parsed by
 * readEnv whenever one of the four changes.
 */
export function readSecretSettings(source: Record<string, string | undefined> = process.env): SecretSettings {
  const key = `${process.cwd()}\u0001${SECRET_KEYS.map((name) => source[name] ?? "\u0000").join("\u0001")}`;
  if (lastSecretRead?.key === key) return lastSecretRead.settings;
  const { dataDir, authSecret, tokenSecret, hosted } = readEnv(source);
  const settings = Object.freeze({ dataDir, authSecret, tokenSecret, hosted });
  lastSecretRead = { key, settings };
  return settings;
}

function parseEnv(source: Record<string, string | undefined>): FanoutEnv {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    invalid(`${issue?.path.join(".")}: ${issue?.message}`);
  }
  const env = parsed.data;
  return {
    databaseUrl: env.DATABASE_URL,
    databaseDriver: env.DATABASE_DRIVER ?? driverForUrl(env.DATABASE_URL) ?? invalid("DATABASE_URL must start with postgres:// or postgresql://"),
    dataDir: path.resolve(/*turbopackIgnore: true*/ env.FANOUT_DATA_DIR ?? ".data"),
    migrationsDir: env.FANOUT_MIGRATIONS_DIR,
    timeZone: timeZone(env.FANOUT_TIMEZONE ?? "Asia/Shanghai"),
    publicUrl: webUrl("FANOUT_PUBLIC_URL", env.FANOUT_PUBLIC_URL)?.replace(/\/+$/, ""),
    port: portNumber("PORT", env.PORT) ?? 3000,
    gatewayPort: portNumber("FANOUT_GATEWAY_PORT", env.FANOUT_GATEWAY_PORT),
    gateway: {
      host: hostName("FANOUT_GATEWAY_HOST", env.FANOUT_GATEWAY_HOST) ?? (env.FANOUT_PUBLIC_URL && URL.canParse(env.FANOUT_PUBLIC_URL) ? new URL(env.FANOUT_PUBLIC_URL).hostname : undefined),
      ...tlsFiles(env.FANOUT_GATEWAY_TLS_CERT, env.FANOUT_GATEWAY_TLS_KEY),
      maxMessageBytes: Math.floor(atLeast("FANOUT_GATEWAY_MAX_BYTES", env.FANOUT_GATEWAY_MAX_BYTES, 25 * 1024 * 1024, 1024)),
      maxClients: Math.floor(atLeast("FANOUT_GATEWAY_MAX_CLIENTS", env.FANOUT_GATEWAY_MAX_CLIENTS, 100, 1)),
    },
    adminEmail: env.FANOUT_ADMIN_EMAIL,
    adminPassword: env.FANOUT_ADMIN_PASSWORD,
    authSecret: env.AUTH_SECRET ?? env.NEXTAUTH_SECRET,
    tokenSecret: env.FANOUT_TOKEN_SECRET,
    nextAuth: { url: env.NEXTAUTH_URL, trustHost: env.AUTH_TRUST_HOST },
    mail: {
      smtpUrl: smtpUrl(env.SMTP_URL),
      resendApiKey: env.RESEND_API_KEY,
      resendBaseUrl: webUrl("RESEND_BASE_URL", env.RESEND_BASE_URL),
      resendWebhookSecret: env.RESEND_WEBHOOK_SECRET,
      systemFrom: mailAddress("FANOUT_SYSTEM_FROM", env.FANOUT_SYSTEM_FROM),
      returnPathHost: hostName("FANOUT_RETURN_PATH_HOST", env.FANOUT_RETURN_PATH_HOST),
      spfInclude: hostName("FANOUT_SPF_INCLUDE", env.FANOUT_SPF_INCLUDE),
    },
    engineMode: engineMode(env),
    sending: {
      batchSize: Math.floor(atLeast("FANOUT_BATCH_SIZE", env.FANOUT_BATCH_SIZE, 100, 1)),
      concurrency: Math.floor(atLeast("FANOUT_SEND_CONCURRENCY", env.FANOUT_SEND_CONCURRENCY, 4, 1)),
      leaseMs: atLeast("FANOUT_LEASE_SECONDS", env.FANOUT_LEASE_SECONDS, 300, 1) * 1000,
      maxAttempts: Math.floor(atLeast("FANOUT_MAX_ATTEMPTS", env.FANOUT_MAX_ATTEMPTS, 5, 1)),
      retryBaseMs: atLeast("FANOUT_RETRY_BASE_SECONDS", env.FANOUT_RETRY_BASE_SECONDS, 60, 0) * 1000,
      transportRatePerSecond: atLeast("FANOUT_RATE_PER_SECOND", env.FANOUT_RATE_PER_SECOND, 0, 0),
      domainRatePerSecond: atLeast("FANOUT_DOMAIN_RATE_PER_SECOND", env.FANOUT_DOMAIN_RATE_PER_SECOND, 0, 0),
      resendRequestsPerSecond: atLeast("RESEND_REQUESTS_PER_SECOND", env.RESEND_REQUESTS_PER_SECOND, 2, 0),
      materializeStep: Math.floor(atLeast("FANOUT_MATERIALIZE_STEP", env.FANOUT_MATERIALIZE_STEP, 5000, 1)),
      tickMs: atLeast("FANOUT_RUNNER_TICK_MS", env.FANOUT_RUNNER_TICK_MS, 1000, 10),
    },
    trustedProxies: parseCidrs(env.FANOUT_TRUSTED_PROXIES),
    rateLimits: {
      api: perMinute("FANOUT_RATE_LIMIT_API", env.FANOUT_RATE_LIMIT_API, 600),
      public: perMinute("FANOUT_RATE_LIMIT_PUBLIC", env.FANOUT_RATE_LIMIT_PUBLIC, 1200),
      tracking: perMinute("FANOUT_RATE_LIMIT_TRACKING", env.FANOUT_RATE_LIMIT_TRACKING, 20),
    },
    webhooks: {
      allowPrivate: flag("FANOUT_WEBHOOKS_ALLOW_PRIVATE", env.FANOUT_WEBHOOKS_ALLOW_PRIVATE),
      timeoutMs: atLeast("FANOUT_WEBHOOKS_TIMEOUT_SECONDS", env.FANOUT_WEBHOOKS_TIMEOUT_SECONDS, 10, 0.05) * 1000,
    },
    mxCheck: flag("FANOUT_MX_CHECK", env.FANOUT_MX_CHECK),
    hosted: flag("FANOUT_HOSTED", env.FANOUT_HOSTED) || env.VERCEL === "1",
  };
}

/** What a hosted deployment cannot do without (FanoutEnv.hosted), each refusal naming what to set. */
function checkHosted(env: FanoutEnv): FanoutEnv {
  if (!env.hosted) return env;
  const hosted = "FANOUT_HOSTED: a hosted deployment keeps nothing on a local disk, so";
  if (env.databaseDriver === "pglite") invalid(`${hosted} DATABASE_URL must name a Postgres server (Neon or postgres://), not the embedded database`);
  if (!env.authSecret || !env.tokenSecret) invalid(`${hosted} AUTH_SECRET and FANOUT_TOKEN_SECRET must be set (they cannot be generated into a file)`);
  if (env.engineMode !== "inngest") invalid(`${hosted} sending runs under Inngest only: set INNGEST_EVENT_KEY (or INNGEST_DEV), not FANOUT_RUNNER=local`);
  return env;
}

function timeZone(zone: string): string {
  if (checkedZones.has(zone)) return zone;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
  } catch {
    invalid(`FANOUT_TIMEZONE "${zone}" is not an IANA time zone`);
  }
  checkedZones.add(zone);
  return zone;
}

/** FANOUT_RUNNER names the driver; else Inngest runs the engine when it is configured. */
function engineMode(env: { FANOUT_RUNNER?: string; INNGEST_EVENT_KEY?: string; INNGEST_DEV?: string }): "inngest" | "local" {
  if (env.FANOUT_RUNNER === "local" || env.FANOUT_RUNNER === "inngest") return env.FANOUT_RUNNER;
  if (env.FANOUT_RUNNER !== undefined) invalid(`FANOUT_RUNNER must be "local" or "inngest" (got "${env.FANOUT_RUNNER}")`);
  return env.INNGEST_EVENT_KEY || env.INNGEST_DEV ? "inngest" : "local";
}
