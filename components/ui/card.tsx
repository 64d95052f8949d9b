import type { ReactNode } from "react";

export function Card({ title, children, testId }: { title?: string; children: ReactNode; testId?: string }) {
  return (
    <section className="rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid={testId}>
      {title ? <h2 className="mb-3 text-sm font-semibold text-slate-900">{title}</h2> : null}
      {children}
    </section>
  );
}
