/**
 * Whether given data renders a template: each part rendered once with strict variables, so the
 * first variable the data lacks is named (an `if` on a missing one is false, not an error), and a
 * render that fails otherwise (a render limit) says why. For data that arrives with the request
 * that sends it (POST /api/v1/messages), where an empty greeting is a caller's mistake to refuse,
 * not a contact's missing column to tolerate.
 */
import "server-only";
import { issueFromError } from "./diagnostics";
import { strictEngineFor, type TemplatePart } from "./engine";

export type DataProblem = { kind: "missing"; variable: string; part: TemplatePart } | { kind: "render"; message: string; part: TemplatePart };

const UNDEFINED_VARIABLE = /undefined variable: ([^,\s]+)/;

/** The first problem rendering `source` with `scope`, or undefined when every part renders. Throws TemplateError when a part does not parse. */
export function checkTemplateData(source: { subject: string; html: string; text?: string | null }, scope: Record<string, unknown>): DataProblem | undefined {
  for (const part of ["subject", "html", "text"] as const) {
    const text = (part === "text" ? source.text : source[part]) ?? "";
    if (!text.trim()) continue;
    const engine = strictEngineFor(part);
    let templates;
    try {
      templates = engine.parse(text);
    } catch (error) {
      return { kind: "render", message: issueFromError(error, part, text, "parse").message, part };
    }
    try {
      engine.renderSync(templates, scope);
    } catch (error) {
      const cause = error as { message?: string; originalError?: { message?: string } };
      const missing = UNDEFINED_VARIABLE.exec(cause.originalError?.message ?? cause.message ?? "");
      if (missing) return { kind: "missing", variable: missing[1]!, part };
      return { kind: "render", message: issueFromError(error, part, text, "render").message, part };
    }
  }
  return undefined;
}
