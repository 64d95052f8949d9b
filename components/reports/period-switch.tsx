import Link from "next/link";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { reportHref } from "./report-query";

const tabClass = (active: boolean) =>
  `rounded-md px-2.5 py-1 ${active ? "bg-slate-800 text-white" : "text-slate-600 ring-1 ring-slate-300 hover:bg-slate-50"}`;

/**
 * 今天 / 昨天 / 本周 / 上周 / 本月 / 指定时间 as links; the custom range is a GET form with two
 * dates, so the page works (and can be bookmarked) without any script.
 */
export function PeriodSwitch({
  path,
  periods,
  range,
  keep,
  labels,
}: {
  path: string;
  periods: readonly string[];
  range: { period: string; from: string; to: string };
  /** The page's own options (e.g. `by`) that a period change keeps. */
  keep: Record<string, string | undefined>;
  labels: { periods: Record<string, string>; from: string; to: string; apply: string; period: string };
}) {
  return (
    <div className="flex flex-wrap items-end gap-3">
      <nav className="flex flex-wrap gap-1.5 text-sm" aria-label={labels.period} data-testid="period-switch">
        {periods.map((period) => (
          <Link
            key={period}
            className={tabClass(period === range.period)}
            aria-current={period === range.period ? "page" : undefined}
            href={reportHref(path, period === "custom" ? { ...keep, period, from: range.from, to: range.to } : { ...keep, period })}
            data-testid={`period-${period}`}
          >
            {labels.periods[period] ?? period}
          </Link>
        ))}
      </nav>
      {range.period === "custom" ? (
        <form method="get" action={path} className="flex flex-wrap items-end gap-2 text-sm" data-testid="custom-range-form">
          <input type="hidden" name="period" value="custom" />
          {Object.entries(keep).map(([key, value]) => (value ? <input key={key} type="hidden" name={key} value={value} /> : null))}
          <label className="space-y-1">
            <span className="block text-xs text-slate-500">{labels.from}</span>
            <Input name="from" type="date" required defaultValue={range.from} className="w-40" data-testid="custom-from" />
          </label>
          <label className="space-y-1">
            <span className="block text-xs text-slate-500">{labels.to}</span>
            <Input name="to" type="date" required defaultValue={range.to} className="w-40" data-testid="custom-to" />
          </label>
          <Button type="submit" variant="secondary" data-testid="custom-apply">
            {labels.apply}
          </Button>
        </form>
      ) : null}
    </div>
  );
}
