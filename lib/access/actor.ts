import type { Role } from "@/db/schema";

/** Who is calling: a signed-in user, an API key, a department SMTP account at the SMTP entrance, the CLI or the system itself. */
export type Actor = {
  kind: "user" | "apikey" | "smtp" | "cli" | "system";
  id: string;
  label: string;
  role: Role;
  /** The department a department-scoped caller belongs to. */
  departmentId: string | null;
  /** Departments whose data the caller may read. */
  readable: "all" | readonly string[];
  ip: string;
};

export function cliActor(osUser = "local"): Actor {
  return { kind: "cli", id: "cli", label: `command line (${osUser})`, role: "admin", departmentId: null, readable: "all", ip: "" };
}

export function systemActor(label = "system"): Actor {
  return { kind: "system", id: "system", label, role: "admin", departmentId: null, readable: "all", ip: "" };
}

export function operatorId(actor: Actor): string {
  return actor.kind === "user" || actor.kind === "apikey" || actor.kind === "smtp" ? `${actor.kind}:${actor.id}` : actor.kind;
}
