import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { Client } from "pg";
import { embeddedPaths } from "@/db/client";
import { ROOT } from "./server";

/** A node-postgres client on the embedded server's Unix socket, as the CLI connects. */
export async function socketClient(dataDir: string): Promise<Client> {
  const client = new Client({ host: embeddedPaths(dataDir).socketDir, port: 5432, user: "postgres", database: "postgres" });
  // A test that kills the server side sees the error on its next query; it must not crash the runner.
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/**
 * Another process that connects over the socket, runs `statements` (BEGIN, an insert…), prints
 * "ready" and then sits there until it is killed: a CLI that dies mid-transaction.
 */
export async function holdingProcess(dataDir: string, statements: string[]): Promise<ChildProcess> {
  const script = `
    const { Client } = require("pg");
    const client = new Client({ host: ${JSON.stringify(embeddedPaths(dataDir).socketDir)}, port: 5432, user: "postgres", database: "postgres" });
    (async () => {
      await client.connect();
      for (const statement of ${JSON.stringify(statements)}) await client.query(statement);
      process.stdout.write("ready\\n");
      setInterval(() => undefined, 1000);
    })().catch((error) => { process.stderr.write(String(error)); process.exit(3); });
  `;
  const child = spawn(process.execPath, ["-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let errors = "";
  child.stderr!.on("data", (chunk) => (errors += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      if (String(chunk).includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`the holding process exited with ${code}: ${errors}`)));
  });
  return child;
}

/** A raw socket that has done the startup handshake, for messages node-postgres never sends alone. */
export async function rawSocket(dataDir: string): Promise<{ socket: net.Socket; received: () => Buffer; send: (bytes: Buffer) => void }> {
  const socket = net.connect(embeddedPaths(dataDir).socketFile);
  let received = Buffer.alloc(0);
  socket.on("data", (chunk) => (received = Buffer.concat([received, chunk])));
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const parameters = Buffer.from("user\0postgres\0database\0postgres\0\0");
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + parameters.length, 0);
  startup.writeInt32BE(196608, 4);
  socket.write(Buffer.concat([startup, parameters]));
  const deadline = Date.now() + 5_000;
  while (!received.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) {
    if (Date.now() > deadline) throw new Error("no ReadyForQuery after the startup message");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { socket, received: () => received, send: (bytes) => socket.write(bytes) };
}

/** One frontend message: a type byte, then a length that counts itself and the body. */
export function frontendMessage(type: string, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

/** Parse (unnamed statement, no parameter types), Bind (unnamed portal, no parameters), Execute: no Sync. */
export function unsyncedStatement(text: string): Buffer {
  const parse = frontendMessage("P", Buffer.concat([Buffer.from(`\0${text}\0`), Buffer.from([0, 0])]));
  const bind = frontendMessage("B", Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]));
  const execute = frontendMessage("E", Buffer.from([0, 0, 0, 0, 0]));
  return Buffer.concat([parse, bind, execute]);
}

export const withinMs = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms))]);
