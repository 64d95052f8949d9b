import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { vi } from "vitest";

// Secrets and embedded data of a test run live in a temporary folder, never in the project's .data.
if (!process.env.FANOUT_TEST_DATA_DIR) {
  process.env.FANOUT_TEST_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "fanout-test-"));
}
process.env.FANOUT_DATA_DIR = process.env.FANOUT_TEST_DATA_DIR;
delete process.env.DATABASE_URL;

// A test makes hundreds of users and SMTP accounts with the same few passwords, and at the product's
// cost (11, pinned by tests/unit/password-cost.test.ts) each hash is ~170 ms of CPU: the hash of a
// password at a cost is made once per test process and given again (a valid bcrypt hash of it, with
// one salt). Comparing is never shortened: every sign-in and SMTP login still checks for real.
vi.mock("bcryptjs", async (importOriginal) => {
  const bcrypt = (await importOriginal<{ default: typeof import("bcryptjs") }>()).default;
  const made = new Map<string, string>();
  const pending = new Map<string, Promise<string>>();
  const hash = (password: string, salt: number | string) => {
    if (typeof salt !== "number") return bcrypt.hash(password, salt);
    const key = `${salt}\0${password}`;
    const known = made.get(key);
    if (known) return Promise.resolve(known);
    let making = pending.get(key);
    if (!making) {
      making = bcrypt.hash(password, salt).then((result) => (made.set(key, result), result));
      pending.set(key, making);
    }
    return making;
  };
  const hashSync = (password: string, salt?: number | string) => {
    if (typeof salt !== "number") return bcrypt.hashSync(password, salt);
    const key = `${salt}\0${password}`;
    const result = made.get(key) ?? bcrypt.hashSync(password, salt);
    made.set(key, result);
    return result;
  };
  const memoised = { ...bcrypt, hash, hashSync } as typeof bcrypt;
  return { ...memoised, default: memoised };
});

// Every sender domain gets an RSA-2048 DKIM key, and generating one costs 50–500 ms of CPU (about
// 190 ms on average here); the suite adds hundreds of domains. A test process generates one real key
// and gives it to every domain it adds: signing and verifying with it are unchanged.
vi.mock("@/lib/senders/dns", async (importOriginal) => {
  const dns = await importOriginal<typeof import("@/lib/senders/dns")>();
  let key: ReturnType<typeof dns.generateDkimKey> | undefined;
  return { ...dns, generateDkimKey: () => (key ??= dns.generateDkimKey()) };
});
