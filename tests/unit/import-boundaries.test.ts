import { describe, expect, it } from "vitest";
import { importsOf, sourceFiles } from "../helpers/imports";

/*
 * The layers hold by test, not by habit: app → components → lib → db. lib imports nothing from the
 * app, the components or the Inngest driver; db imports nothing from lib; and the capabilities under
 * lib/ (one folder each; a loose file such as lib/errors.ts is its own) depend on each other without
 * a cycle, so any one of them can be read, tested and moved with what it stands on. Every import
 * counts, `import type` and `import()` included: a type is a dependency a reader has to follow too.
 */

const targetsOf = (file: string) => importsOf(file).project.map((edge) => edge.target);

/** lib/pools/parse/csv.ts → lib/pools; lib/errors.ts → lib/errors.ts. */
function capabilityOf(file: string): string {
  const [, first] = file.split("/");
  return file.split("/").length > 2 ? `lib/${first}` : file;
}

const libFiles = sourceFiles("lib");
const dbFiles = sourceFiles("db");

/** Strongly connected components of more than one node (Tarjan), each as its members. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    order.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, order.get(next)!));
    }
    if (low.get(node) === order.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!order.has(node)) visit(node);
  return found;
}

describe("import boundaries", () => {
  it("finds the files it checks", () => {
    expect(libFiles.length).toBeGreaterThan(50);
    expect(dbFiles).toContain("db/client.ts");
  });

  it("lib imports nothing from app/, components/ or inngest/", () => {
    const offending = libFiles.flatMap((file) => targetsOf(file).filter((target) => /^(app|components|inngest)\//.test(target)).map((target) => `${file} → ${target}`));
    expect(offending).toEqual([]);
  });

  it("db imports nothing from lib/", () => {
    const offending = dbFiles.flatMap((file) => targetsOf(file).filter((target) => target.startsWith("lib/")).map((target) => `${file} → ${target}`));
    expect(offending).toEqual([]);
  });

  it("no two capabilities under lib/ import each other, directly or around a loop", () => {
    const graph = new Map<string, Set<string>>();
    const witnesses = new Map<string, string>();
    for (const file of libFiles) {
      const from = capabilityOf(file);
      if (!graph.has(from)) graph.set(from, new Set());
      for (const target of targetsOf(file).filter((target) => target.startsWith("lib/"))) {
        const to = capabilityOf(target);
        if (to === from) continue;
        graph.get(from)!.add(to);
        if (!witnesses.has(`${from} ${to}`)) witnesses.set(`${from} ${to}`, `${file} → ${target}`);
      }
    }
    // Each cycle is reported with one import per edge inside it, so the fix has a place to start.
    const report = cycles(graph).map((members) => ({
      capabilities: members,
      imports: [...witnesses.entries()].filter(([edge]) => members.includes(edge.split(" ")[0]!) && members.includes(edge.split(" ")[1]!)).map(([, witness]) => witness),
    }));
    expect(report).toEqual([]);
  });
});
