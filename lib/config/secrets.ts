import "server-only";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { readSecretSettings, type SecretSettings } from "./env";

export type Secrets = { authSecret: string; tokenSecret: string };

let cached: { dir: string; secrets: Secrets } | undefined;

/**
 * Secrets given in the environment win; the rest are generated on first start and kept in
 * FANOUT_DATA_DIR so a restart keeps sessions and signed links valid.
 */
export function getSecrets(): Secrets {
  const env = readSecretSettings();
  // Both from the environment (always so when hosted: readEnv checks): nothing to read or write on disk.
  if (env.authSecret && env.tokenSecret) return { authSecret: env.authSecret, tokenSecret: env.tokenSecret };
  if (cached && cached.dir === env.dataDir) return withEnv(cached.secrets, env);
  const file = path.join(env.dataDir, "secrets.json");
  let stored: Partial<Secrets> = {};
  try {
    stored = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<Secrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`Cannot read ${file}: ${String(error)}`);
  }
  const secrets: Secrets = {
    authSecret: stored.authSecret ?? randomSecret(),
    tokenSecret: stored.tokenSecret ?? randomSecret(),
  };
  if (secrets.authSecret !== stored.authSecret || secrets.tokenSecret !== stored.tokenSecret) {
    fs.mkdirSync(env.dataDir, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    try {
      // Another process may have written first: keep whichever file exists.
      fs.linkSync(temporary, file);
    } catch {
      const existing = JSON.parse(fs.readFileSync(file, "utf8")) as Secrets;
      secrets.authSecret = existing.authSecret;
      secrets.tokenSecret = existing.tokenSecret;
    } finally {
      fs.rmSync(temporary, { force: true });
    }
  }
  cached = { dir: env.dataDir, secrets };
  return withEnv(secrets, env);
}

function withEnv(secrets: Secrets, env: SecretSettings): Secrets {
  return {
    authSecret: env.authSecret ?? secrets.authSecret,
    tokenSecret: env.tokenSecret ?? secrets.tokenSecret,
  };
}

function randomSecret() {
  return crypto.randomBytes(32).toString("base64url");
}
