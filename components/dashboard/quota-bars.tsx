import { format } from "@/lib/i18n";

export type QuotaRow = { id: string; name: string; quotaAllocated: number | null; quotaUsed: number; quotaReserved: number };

type Labels = { quotaOf: string; quotaUnlimited: string; quotaUsed: string; quotaReserved: string; quotaLeft: string };

/** Share of the bar, as a CSS width; a department without a limit is drawn against what it has used and reserved. */
function width(value: number, whole: number) {
  return `${whole > 0 ? Math.min(100, (value / whole) * 100) : 0}%`;
}

/** 部门额度: one bar per department, sent then reserved then what is left of its allocation, with the numbers beside it. */
export function QuotaBars({ rows, locale, labels }: { rows: QuotaRow[]; locale: string; labels: Labels }) {
  const number = (value: number) => value.toLocaleString(locale);
  return (
    <div className="space-y-3">
      <ul className="space-y-3" data-testid="quota-bars">
        {rows.map((row) => {
          const whole = row.quotaAllocated ?? row.quotaUsed + row.quotaReserved;
          const text =
            row.quotaAllocated === null
              ? format(labels.quotaUnlimited, { used: number(row.quotaUsed), reserved: number(row.quotaReserved) })
              : format(labels.quotaOf, { used: number(row.quotaUsed), reserved: number(row.quotaReserved), allocated: number(row.quotaAllocated) });
          return (
            <li key={row.id} data-testid="quota-bar" data-department={row.name}>
              <div className="flex flex-wrap items-baseline justify-between gap-x-3 text-sm">
                <span className="min-w-0 truncate font-medium text-slate-900" title={row.name}>
                  {row.name}
                </span>
                <span className="text-xs tabular-nums text-slate-600" data-testid="quota-bar-text">
                  {text}
                </span>
              </div>
              <div className="mt-1 flex h-2.5 overflow-hidden rounded-full bg-slate-200" aria-hidden="true">
                <div className="bg-indigo-600" style={{ width: width(row.quotaUsed, whole) }} data-testid="quota-bar-used" />
                <div className="bg-amber-400" style={{ width: width(row.quotaReserved, whole) }} data-testid="quota-bar-reserved" />
              </div>
            </li>
          );
        })}
      </ul>
      <p className="flex flex-wrap gap-4 text-xs text-slate-600" aria-hidden="true">
        <span className="flex items-center gap-1.5">
          <span className="inline-block size-2.5 rounded-full bg-indigo-600" />
          {labels.quotaUsed}
        </span>
        <span className="flex items-center gap-1.5">
          <span className="inline-block size-2.5 rounded-full bg-amber-400" />
          {labels.quotaReserved}
        </span>
        <span className="flex items-center gap-1.5">
          <span className="inline-block size-2.5 rounded-full bg-slate-200" />
          {labels.quotaLeft}
        </span>
      </p>
    </div>
  );
}
