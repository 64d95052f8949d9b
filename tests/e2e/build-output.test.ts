/**
 * The build carries what a host that deploys only the traced files needs at run time (issue 22):
 * every migration and the journal, in the trace of the server's start (instrumentation, which
 * migrates or checks the schema) and of every app route, so Vercel's functions and
 * `output: "standalone"` hold them. Reads the traces of the production build `npm test` made.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const SERVER = path.join(ROOT, ".next", "server");

function tracesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".nft.json")).map((file) => path.join(dir, file));
}

function tracedFiles(trace: string): Set<string> {
  const { files } = JSON.parse(fs.readFileSync(trace, "utf8")) as { files: string[] };
  return new Set(files.map((file) => path.resolve(path.dirname(trace), file)));
}

describe("the production build's traces", () => {
  it("hold every migration and the journal for the server's start and every app route", () => {
    if (!fs.existsSync(path.join(ROOT, ".next", "BUILD_ID"))) throw new Error("No production build: run `npm test` (it builds first) or `npx next build`");
    const migrations = fs.readdirSync(path.join(ROOT, "db", "migrations"), { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".sql") || file === path.join("meta", "_journal.json"));
    expect(migrations.length).toBeGreaterThan(20);
    const wanted = migrations.map((file) => path.join(ROOT, "db", "migrations", file));

    const instrumentation = tracesUnder(SERVER).filter((trace) => path.basename(trace).startsWith("instrumentation"));
    const routes = tracesUnder(path.join(SERVER, "app")).filter((trace) => /\/(route|page)\.js\.nft\.json$/.test(trace));
    expect(instrumentation.length, "a trace of instrumentation").toBeGreaterThan(0);
    expect(routes.length, "traces of app routes").toBeGreaterThan(20);
    for (const trace of [...instrumentation, ...routes]) {
      const files = tracedFiles(trace);
      const missing = wanted.filter((file) => !files.has(file));
      expect(missing.map((file) => path.relative(ROOT, file)), path.relative(ROOT, trace)).toEqual([]);
    }
  });
});
