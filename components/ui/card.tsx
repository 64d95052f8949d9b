import type { ReactNode } from "react";

/** A panel of the page. On a phone, content wider than it (a table, a long DNS value) scrolls inside it rather than widen the page. */
export function Card({ title, children, testId }: { title?: string; children: ReactNode; testId?: string }) {
  return (
    <section className="rounded-lg bg-white p-4 ring-1 ring-slate-200 max-md:overflow-x-auto" data-testid={testId}>
      {title ? <h2 className="mb-3 text-sm font-semibold text-slate-900">{title}</h2> : null}
      {children}
    </section>
  );
}
