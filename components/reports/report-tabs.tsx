import Link from "next/link";
import { reportHref, type ReportQuery } from "./report-query";

const tabClass = (active: boolean) =>
  `-mb-px border-b-2 px-3 py-2 ${active ? "border-indigo-600 font-medium text-indigo-700" : "border-transparent text-slate-600 hover:text-slate-900"}`;

/** 群发统计 | 投递失败统计, keeping the period; the delivery log is one more step away. */
export function ReportTabs({
  current,
  query,
  labels,
}: {
  current: "sends" | "failures";
  query: ReportQuery;
  labels: { sends: string; failures: string; deliveryLog: string };
}) {
  const period = { period: query.period, from: query.from, to: query.to };
  return (
    <nav className="flex flex-wrap items-center gap-1 border-b border-slate-200 text-sm" data-testid="report-tabs">
      <Link className={tabClass(current === "sends")} href={reportHref("/reports", period)} data-testid="report-tab-sends">
        {labels.sends}
      </Link>
      <Link className={tabClass(current === "failures")} href={reportHref("/reports/failures", period)} data-testid="report-tab-failures">
        {labels.failures}
      </Link>
      <Link className="ml-auto px-3 py-2 text-indigo-600 hover:underline" href="/logs/deliveries" data-testid="report-tab-delivery-log">
        {labels.deliveryLog} →
      </Link>
    </nav>
  );
}
