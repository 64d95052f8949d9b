import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { closeDatabase, getDatabaseHandle } from "@/lib/database";
import { cliActor } from "@/lib/access/actor";
import type { Ctx } from "@/lib/access/context";
import { AppError, toErrorBody } from "@/lib/errors";
import type { CliOutcome } from "./bounce-classify";

const USAGE = `usage: npm run fanout -- <command>
  admin create --email E --password P
  department create --name N [--quota Q]
  apikey create (--department ID | --company) [--name N] [--rate-limit N]
  import --pool ID FILE.csv [--update] [--skip role,disposable,typo]
  sender create --department ID --address A [--name N]
  bounce classify FILE…
  smtp-account create --department ID --username U --password P
  personal-data export --email E
  personal-data erase --email E --yes`;

class UsageError extends Error {}

// Each command loads what it needs when it runs: a process that creates a department does not load the XLSX reader.
type Command = (args: string[], ctx: () => Promise<Ctx>) => Promise<string | CliOutcome>;

function options<T extends Record<string, { type: "string" | "boolean" }>>(args: string[], spec: T) {
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function required(value: string | boolean | undefined, flag: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new UsageError(`${flag} is required`);
  return value;
}

const commands: Record<string, Command> = {
  "admin create": async (args, ctx) => {
    const values = options(args, { email: { type: "string" }, password: { type: "string" }, name: { type: "string" } });
    const { createUser } = await import("@/lib/accounts/users");
    const created = await createUser(await ctx(), {
      email: required(values.email, "--email"),
      password: required(values.password, "--password"),
      name: typeof values.name === "string" ? values.name : "",
      role: "admin",
    });
    return created.id;
  },
  "department create": async (args, ctx) => {
    const values = options(args, { name: { type: "string" }, quota: { type: "string" }, description: { type: "string" } });
    let quota: number | null = null;
    if (typeof values.quota === "string") {
      if (!/^\d+$/.test(values.quota)) throw new UsageError(`--quota must be a whole number, not "${values.quota}"`);
      quota = Number(values.quota);
    }
    const { createDepartment } = await import("@/lib/accounts/departments");
    const created = await createDepartment(await ctx(), {
      name: required(values.name, "--name").trim(),
      description: typeof values.description === "string" ? values.description : "",
      quotaAllocated: quota,
    });
    return created.id;
  },
  "apikey create": async (args, ctx) => {
    const values = options(args, { department: { type: "string" }, company: { type: "boolean" }, name: { type: "string" }, "rate-limit": { type: "string" } });
    if (values.company && values.department) throw new UsageError("give either --department ID or --company, not both");
    if (!values.company && !values.department) throw new UsageError("give --department ID or --company");
    const rateLimit = values["rate-limit"];
    if (typeof rateLimit === "string" && !/^[1-9]\d*$/.test(rateLimit)) throw new UsageError(`--rate-limit must be a whole number of requests a minute, at least 1, not "${rateLimit}"`);
    const { createApiKey } = await import("@/lib/accounts/api-keys");
    const created = await createApiKey(await ctx(), {
      name: typeof values.name === "string" ? values.name : "",
      scope: values.company ? { company: true } : { company: false, departmentId: required(values.department, "--department") },
      rateLimitPerMinute: typeof rateLimit === "string" ? Number(rateLimit) : null,
    });
    return created.secret;
  },
  "sender create": async (args, ctx) => {
    const values = options(args, { department: { type: "string" }, address: { type: "string" }, name: { type: "string" } });
    const { createSender } = await import("@/lib/senders/senders");
    const created = await createSender(await ctx(), {
      departmentId: required(values.department, "--department"),
      address: required(values.address, "--address"),
      name: typeof values.name === "string" ? values.name : "",
      registerDomain: true,
    });
    return created.id;
  },
  "smtp-account create": async (args, ctx) => {
    const values = options(args, { department: { type: "string" }, username: { type: "string" }, password: { type: "string" }, note: { type: "string" } });
    const { createSmtpAccount } = await import("@/lib/gateway/smtp-accounts");
    const created = await createSmtpAccount(await ctx(), {
      departmentId: required(values.department, "--department"),
      username: required(values.username, "--username"),
      // The operator chose it: the CLI prints only the id, so it never generates a password nobody would see.
      password: required(values.password, "--password"),
      note: typeof values.note === "string" ? values.note : "",
    });
    return created.id;
  },
};

/** A progress bar on stderr when it is a terminal; nothing otherwise, so stdout stays the JSON report. */
function progressBar(total: number) {
  if (!process.stderr.isTTY || total === 0) return () => undefined;
  return (bytes: number) => {
    const share = Math.min(1, bytes / total);
    const filled = Math.round(share * 30);
    process.stderr.write(`\r[${"#".repeat(filled)}${".".repeat(30 - filled)}] ${Math.floor(share * 100)}%`);
    if (share >= 1) process.stderr.write("\n");
  };
}

commands["import"] = async (args, ctx) => {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { pool: { type: "string" }, update: { type: "boolean" }, skip: { type: "string" } }, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const poolId = required(parsed.values.pool, "--pool");
  const file = parsed.positionals[0];
  if (!file || parsed.positionals.length > 1) throw new UsageError("give exactly one FILE to import");
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  const skipHygiene = (parsed.values.skip ?? "").split(",").map((kind) => kind.trim()).filter(Boolean);
  const unknownKind = skipHygiene.find((kind) => !["role", "disposable", "typo"].includes(kind));
  if (unknownKind) throw new UsageError(`--skip takes role, disposable and typo (got "${unknownKind}")`);
  const { importTable } = await import("@/lib/pools/import-csv");
  const report = await importTable(await ctx(), poolId, fs.createReadStream(file), {
    fileName: path.basename(file),
    updateExisting: parsed.values.update === true,
    skipHygiene: skipHygiene as ("role" | "disposable" | "typo")[],
    onProgress: progressBar(size),
  });
  progressBar(size)(size);
  return JSON.stringify(report);
};

commands["personal-data export"] = async (args, ctx) => {
  const values = options(args, { email: { type: "string" } });
  const { exportAddress } = await import("@/lib/privacy/export");
  return JSON.stringify(await exportAddress(await ctx(), required(values.email, "--email")), null, 2);
};

// --yes stands for the console's "type the address again": an erasure is never one keystroke away.
commands["personal-data erase"] = async (args, ctx) => {
  const values = options(args, { email: { type: "string" }, yes: { type: "boolean" } });
  const email = required(values.email, "--email");
  if (values.yes !== true) throw new UsageError("erasing cannot be undone: add --yes to confirm");
  const { eraseAddress } = await import("@/lib/privacy/erase");
  return JSON.stringify(await eraseAddress(await ctx(), { email, confirm: email }));
};

commands["bounce classify"] = async (args) => {
  const { classifyBounceFiles } = await import("./bounce-classify");
  const outcome = await classifyBounceFiles(args);
  if (outcome.code === 2) throw new UsageError(outcome.err);
  return { ...outcome, err: outcome.err.split("\n").filter(Boolean).map((line) => `fanout: ${line}`).join("\n") };
};

export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const key = argv[0] === "import" ? "import" : argv.slice(0, 2).join(" ");
  const command = commands[key];
  if (!command) {
    const reason = argv.length === 0 ? "no command given" : `unknown command "${argv.join(" ")}"`;
    return { code: 2, out: "", err: `fanout: ${reason}\n${USAGE}` };
  }
  try {
    const out = await command(argv.slice(key.split(" ").length), async () => ({ db: (await getDatabaseHandle()).db, actor: cliActor(os.userInfo().username) }));
    return typeof out === "string" ? { code: 0, out, err: "" } : out;
  } catch (error) {
    if (error instanceof UsageError) return { code: 2, out: "", err: `fanout: ${error.message}\n${USAGE}` };
    if (error instanceof AppError) return { code: 1, out: "", err: `fanout: ${error.message}` };
    const { status, body } = toErrorBody(error);
    const reason = status === 500 ? (error as Error).message.split("\n")[0] : body.error.message;
    return { code: 1, out: "", err: `fanout: ${reason}` };
  } finally {
    await closeDatabase();
  }
}

const result = await runCli(process.argv.slice(2));
if (result.out) process.stdout.write(`${result.out}\n`);
if (result.err) process.stderr.write(`${result.err}\n`);
process.exitCode = result.code;
