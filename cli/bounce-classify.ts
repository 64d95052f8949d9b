import fs from "node:fs/promises";
import { analyzeMessage } from "@/lib/feedback/bounce";

export type CliOutcome = { code: number; out: string; err: string };

/**
 * `fanout bounce classify FILE…`: one JSON line per readable message; an unreadable file is named on
 * stderr and makes the exit code 1, without hiding the lines of the files that could be read.
 */
export async function classifyBounceFiles(files: string[]): Promise<CliOutcome> {
  const option = files.find((file) => file.startsWith("--"));
  if (option) return { code: 2, out: "", err: `unknown option ${option}` };
  if (files.length === 0) return { code: 2, out: "", err: "give at least one FILE to classify" };
  const lines: string[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let raw: Buffer;
    try {
      raw = await fs.readFile(file);
    } catch {
      problems.push(`cannot read ${file}`);
      continue;
    }
    const { category, hard, status, recipient, reason } = await analyzeMessage(raw);
    lines.push(JSON.stringify({ file, category, hard, status, recipient, reason: reason ?? null }));
  }
  return { code: problems.length > 0 ? 1 : 0, out: lines.join("\n"), err: problems.join("\n") };
}
