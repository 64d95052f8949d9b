import { describe, expect, it } from "vitest";
import { readEnv } from "@/lib/config/env";

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

  it("defaults to Asia/Shanghai and ./.data", () => {
    const env = readEnv({});
    expect(env.timeZone).toBe("Asia/Shanghai");
    expect(env.dataDir.endsWith(".data")).toBe(true);
  });
});
