import type { ReactNode } from "react";

/** A chart's card: its title, a fixed-height area the chart fills, or the empty-state line. */
export function ChartFrame({ title, testId, empty, emptyLabel, height = 260, children }: {
  title: string;
  testId: string;
  empty: boolean;
  emptyLabel: string;
  height?: number;
  children: ReactNode;
}) {
  return (
    <section className="rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid={testId} data-empty={empty ? "true" : "false"}>
      <h2 className="mb-3 text-sm font-semibold text-slate-900">{title}</h2>
      {empty ? (
        <div className="flex items-center justify-center text-sm text-slate-500" style={{ height }} data-testid={`${testId}-empty`}>
          {emptyLabel}
        </div>
      ) : (
        <div className="w-full min-w-0" style={{ height }}>
          {children}
        </div>
      )}
    </section>
  );
}
