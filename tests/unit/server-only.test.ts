import { describe, expect, it } from "vitest";
import { importsOf, sourceFiles } from "../helpers/imports";

/*
 * A module under lib/ that reaches the database or the secrets — importing db/, lib/config/env.ts or
 * lib/config/secrets.ts, itself or through the modules it runs — imports "server-only", so a client
 * component that pulls one in fails the build instead of shipping it to the browser. Type-only imports
 * are erased and do not count.
 */

const SECRET_HOLDERS = new Set(["lib/config/env.ts", "lib/config/secrets.ts"]);
const libFiles = sourceFiles("lib");
const uiFiles = [...sourceFiles("app"), ...sourceFiles("components"), ...libFiles];

const valueTargets = (file: string) => importsOf(file).project.filter((edge) => !edge.typeOnly).map((edge) => edge.target);
const marked = (file: string) => importsOf(file).packages.includes("server-only");

/** Whether running this file runs code that opens the database or reads a secret. */
const touching = new Map<string, boolean>();
function touchesServer(file: string, visiting = new Set<string>()): boolean {
  const known = touching.get(file);
  if (known !== undefined) return known;
  if (file.startsWith("db/") || SECRET_HOLDERS.has(file)) return true;
  if (visiting.has(file)) return false;
  visiting.add(file);
  const answer = valueTargets(file).some((target) => touchesServer(target, visiting));
  visiting.delete(file);
  touching.set(file, answer);
  return answer;
}

describe("server-only", () => {
  it("every lib module that touches the database or a secret imports server-only", () => {
    const server = libFiles.filter((file) => touchesServer(file));
    expect(server.length).toBeGreaterThan(40);
    expect(server.filter((file) => !marked(file))).toEqual([]);
  });

  it("no client component imports a server-only module, however indirectly", () => {
    const reaches = (file: string, seen = new Set<string>()): string | null => {
      for (const target of valueTargets(file)) {
        // A client imports a "use server" module as references to its actions, never its code.
        if (seen.has(target) || importsOf(target).directives.includes("use server")) continue;
        seen.add(target);
        if (marked(target)) return target;
        const deeper = reaches(target, seen);
        if (deeper) return `${target} → ${deeper}`;
      }
      return null;
    };
    const clients = uiFiles.filter((file) => importsOf(file).directives.includes("use client"));
    expect(clients.length).toBeGreaterThan(5);
    const offending = clients.flatMap((file) => {
      const path = reaches(file);
      return path ? [`${file} → ${path}`] : [];
    });
    expect(offending).toEqual([]);
  });
});
