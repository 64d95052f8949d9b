import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readEnv, readSecretSettings } from "@/lib/config/env";
import { getSecrets } from "@/lib/config/secrets";

describe("environment", () => {
  it("chooses the driver from DATABASE_URL", () => {
    expect(readEnv({}).databaseDriver).toBe("pglite");
    expect(readEnv({ DATABASE_URL: "postgres://u@127.0.0.1/db" }).databaseDriver).toBe("pg");
    expect(readEnv({ DATABASE_URL: "postgresql://u:p@ep-cool-1.eu-central-1.aws.neon.tech/db?sslmode=require" }).databaseDriver).toBe("neon");
    expect(readEnv({ DATABASE_URL: "postgres://u@127.0.0.1/db", DATABASE_DRIVER: "neon" }).databaseDriver).toBe("neon");
  });

  it("refuses what it cannot use, naming the variable", () => {
    expect(() => readEnv({ DATABASE_URL: "mysql://x" })).toThrow(/DATABASE_URL/);
    expect(() => readEnv({ FANOUT_TIMEZONE: "Mars/Olympus" })).toThrow(/FANOUT_TIMEZONE/);
    expect(() => readEnv({ DATABASE_DRIVER: "sqlite" })).toThrow(/DATABASE_DRIVER/);
  });

  it("refuses a bad value of each variable it validates, naming it", () => {
    const bad: Record<string, string> = {
      FANOUT_PUBLIC_URL: "fanout.example.com",
      PORT: "http",
      FANOUT_GATEWAY_PORT: "70000",
      SMTP_URL: "http://relay.example.com",
      RESEND_BASE_URL: "api.resend.com",
      FANOUT_SYSTEM_FROM: "no-reply",
      FANOUT_RETURN_PATH_HOST: "bounces example.com",
      FANOUT_SPF_INCLUDE: "spf/example.com",
      FANOUT_RUNNER: "cron",
      FANOUT_BATCH_SIZE: "0",
      FANOUT_SEND_CONCURRENCY: "many",
      FANOUT_LEASE_SECONDS: "0",
      FANOUT_MAX_ATTEMPTS: "0",
      FANOUT_RETRY_BASE_SECONDS: "-1",
      FANOUT_RATE_PER_SECOND: "-1",
      FANOUT_DOMAIN_RATE_PER_SECOND: "fast",
      RESEND_REQUESTS_PER_SECOND: "-2",
      FANOUT_MATERIALIZE_STEP: "0",
      FANOUT_RUNNER_TICK_MS: "5",
    };
    for (const [name, value] of Object.entries(bad)) {
      expect(() => readEnv({ [name]: value }), name).toThrow(new RegExp(`^Invalid environment: ${name}\\b`));
    }
  });

  it("reads the mail, server and engine settings", () => {
    const env = readEnv({
      PORT: "8080",
      FANOUT_GATEWAY_PORT: "0",
      FANOUT_MIGRATIONS_DIR: "/tmp/migrations",
      SMTP_URL: " smtp://relay.example.com:2525 ",
      RESEND_API_KEY: "re_key",
      RESEND_BASE_URL: "http://127.0.0.1:9/",
      RESEND_WEBHOOK_SECRET: "whsec_abc",
      FANOUT_SYSTEM_FROM: "fanout@example.com",
      FANOUT_RETURN_PATH_HOST: "bounces.mail.example.com",
      FANOUT_SPF_INCLUDE: "_spf.example.com",
      NEXTAUTH_URL: "https://fanout.example.com",
      FANOUT_BATCH_SIZE: "50",
      FANOUT_LEASE_SECONDS: "30",
    });
    expect(env).toMatchObject({ port: 8080, gatewayPort: 0, migrationsDir: "/tmp/migrations", nextAuth: { url: "https://fanout.example.com", trustHost: undefined } });
    expect(env.mail).toEqual({
      smtpUrl: "smtp://relay.example.com:2525",
      resendApiKey: "re_key",
      resendBaseUrl: "http://127.0.0.1:9/",
      resendWebhookSecret: "whsec_abc",
      systemFrom: "fanout@example.com",
      returnPathHost: "bounces.mail.example.com",
      spfInclude: "_spf.example.com",
    });
    expect(env.sending).toMatchObject({ batchSize: 50, leaseMs: 30_000, concurrency: 4, tickMs: 1000 });
    expect(readEnv({}).port).toBe(3000);
    expect(readEnv({}).gatewayPort).toBeUndefined();
  });

  it("runs the engine in-process unless Inngest is configured or FANOUT_RUNNER says otherwise", () => {
    expect(readEnv({}).engineMode).toBe("local");
    expect(readEnv({ INNGEST_DEV: "1" }).engineMode).toBe("inngest");
    expect(readEnv({ INNGEST_EVENT_KEY: "key" }).engineMode).toBe("inngest");
    expect(readEnv({ INNGEST_DEV: "1", FANOUT_RUNNER: "local" }).engineMode).toBe("local");
    expect(readEnv({ FANOUT_RUNNER: "inngest" }).engineMode).toBe("inngest");
  });

  it("defaults to Asia/Shanghai and ./.data", () => {
    const env = readEnv({});
    expect(env.timeZone).toBe("Asia/Shanghai");
    expect(env.dataDir.endsWith(".data")).toBe(true);
  });
});

describe("the secrets' settings", () => {
  it("follow a change of any of their variables at once, trimmed as readEnv trims them", () => {
    const source: Record<string, string | undefined> = { FANOUT_DATA_DIR: "/tmp/fanout-a", FANOUT_TOKEN_SECRET: " first " };
    expect(readSecretSettings(source)).toEqual({ dataDir: "/tmp/fanout-a", authSecret: undefined, tokenSecret: "first", hosted: false });
    source.FANOUT_TOKEN_SECRET = "second";
    expect(readSecretSettings(source).tokenSecret).toBe("second");
    source.NEXTAUTH_SECRET = "from-nextauth";
    expect(readSecretSettings(source).authSecret).toBe("from-nextauth");
    source.AUTH_SECRET = "from-auth";
    expect(readSecretSettings(source).authSecret).toBe("from-auth");
    source.FANOUT_DATA_DIR = "/tmp/fanout-b";
    expect(readSecretSettings(source).dataDir).toBe("/tmp/fanout-b");
  });

  it("are the same as readEnv's", () => {
    const source = { FANOUT_DATA_DIR: "relative-data", AUTH_SECRET: "a", FANOUT_TOKEN_SECRET: "t", FANOUT_BATCH_SIZE: "50" };
    const env = readEnv(source);
    expect(readSecretSettings(source)).toEqual({ dataDir: env.dataDir, authSecret: env.authSecret, tokenSecret: env.tokenSecret, hosted: false });
  });
});

describe("a hosted deployment (FANOUT_HOSTED)", () => {
  const complete = { FANOUT_HOSTED: "true", DATABASE_URL: "postgresql://u:p@ep-cool-1.eu-central-1.aws.neon.tech/db", AUTH_SECRET: "a", FANOUT_TOKEN_SECRET: "t", INNGEST_EVENT_KEY: "k" };

  it("is on with FANOUT_HOSTED=true or on Vercel, and off by default", () => {
    expect(readEnv(complete).hosted).toBe(true);
    expect(readEnv({ ...complete, FANOUT_HOSTED: undefined, VERCEL: "1" }).hosted).toBe(true);
    expect(readEnv({}).hosted).toBe(false);
    expect(() => readEnv({ FANOUT_HOSTED: "yes" })).toThrow(/FANOUT_HOSTED must be "true" or "false"/);
  });

  it("refuses what would need a local disk or the in-process runner, naming what to set", () => {
    expect(() => readEnv({ ...complete, DATABASE_URL: undefined })).toThrow(/FANOUT_HOSTED: .*DATABASE_URL must name a Postgres server/);
    expect(() => readEnv({ ...complete, AUTH_SECRET: undefined })).toThrow(/AUTH_SECRET and FANOUT_TOKEN_SECRET must be set/);
    expect(() => readEnv({ ...complete, FANOUT_TOKEN_SECRET: undefined })).toThrow(/AUTH_SECRET and FANOUT_TOKEN_SECRET must be set/);
    expect(() => readEnv({ ...complete, INNGEST_EVENT_KEY: undefined })).toThrow(/sending runs under Inngest only: set INNGEST_EVENT_KEY/);
    expect(() => readEnv({ ...complete, FANOUT_RUNNER: "local" })).toThrow(/not FANOUT_RUNNER=local/);
    expect(readEnv({ ...complete, NEXTAUTH_SECRET: "n", AUTH_SECRET: undefined }).authSecret).toBe("n");
  });

  it("takes its secrets from the environment and writes no file", () => {
    const dataDir = path.join(os.tmpdir(), `fanout-hosted-${process.pid}-${Date.now()}`);
    const names = [...Object.keys(complete), "FANOUT_DATA_DIR"];
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    Object.assign(process.env, complete, { FANOUT_DATA_DIR: dataDir });
    try {
      expect(getSecrets()).toEqual({ authSecret: "a", tokenSecret: "t" });
      expect(fs.existsSync(dataDir)).toBe(false);
    } finally {
      for (const name of names) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });
});
