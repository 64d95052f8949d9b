import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");

/**
 * The node flags `npm start` gives the server: the words between `node` and the script in
 * package.json's start script. A benchmark that stands for the server runs with them (decision 0083).
 */
export function serverNodeFlags(): string[] {
  const start = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
  const [command, ...words] = start.trim().split(/\s+/);
  if (command !== "node") throw new Error(`package.json's start script no longer starts with node: "${start}"`);
  const script = words.findIndex((word) => !word.startsWith("--"));
  return script < 0 ? words : words.slice(0, script);
}
