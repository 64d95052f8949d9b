import type { ReactNode } from "react";

export function Badge({ tone = "slate", children }: { tone?: "slate" | "green" | "red" | "amber" | "indigo"; children: ReactNode }) {
  const tones = {
    slate: "bg-slate-100 text-slate-700",
    green: "bg-emerald-50 text-emerald-700",
    red: "bg-red-50 text-red-700",
    amber: "bg-amber-50 text-amber-700",
    indigo: "bg-indigo-50 text-indigo-700",
  };
  return <span className={`inline-flex rounded px-1.5 py-0.5 text-xs font-medium ${tones[tone]}`}>{children}</span>;
}

/** Whether something is in use: green when active, red otherwise (disabled, revoked), in the caller's words. */
export function ActiveBadge({ active, labels }: { active: boolean; labels: { active: string; inactive: string } }) {
  return active ? <Badge tone="green">{labels.active}</Badge> : <Badge tone="red">{labels.inactive}</Badge>;
}
