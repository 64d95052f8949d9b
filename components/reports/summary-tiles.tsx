import { Stat } from "@/components/ui/stat";
import { format, type Messages } from "@/lib/i18n";
import type { ReportSummary } from "@/lib/reports/queries";
import { engagementRates } from "@/lib/reports/rates";

type Labels = {
  sent: string;
  failed: string;
  delivered: string;
  openRate: string;
  clickRate: string;
  unsubscribed: string;
  opened: string;
  clicked: string;
  machine: string;
};

export function percent(value: number | null, locale: string, none = "—"): string {
  return value === null || !Number.isFinite(value) ? none : new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(value);
}

/** A rate with the count it was taken from beside it, smaller. */
function RateStat({ label, rate, count, locale, testId }: { label: string; rate: number | null; count: string; locale: string; testId: string }) {
  return (
    <Stat
      label={label}
      value={
        <span className="flex items-baseline gap-2">
          {percent(rate, locale)}
          <span className="text-xs font-normal text-slate-500">{count}</span>
        </span>
      }
      testId={testId}
    />
  );
}

/**
 * The period at a glance; opens and clicks a machine likely made are shown apart and stay out of the rates.
 * The rates are of delivered messages, or of sent minus bounced where the transport never confirms
 * delivery (SMTP, outbox), and a line under the tiles says which. `compact` keeps to three columns (the dashboard's cards).
 */
export function SummaryTiles({
  summary,
  locale,
  labels,
  rateLabels,
  compact = false,
}: {
  summary: ReportSummary;
  locale: string;
  labels: Labels;
  rateLabels: Messages["reports"]["rates"];
  compact?: boolean;
}) {
  const number = (value: number) => value.toLocaleString(locale);
  const rates = engagementRates(summary);
  return (
    <div className="space-y-2" data-testid="report-summary">
      <div className={`grid grid-cols-2 gap-3 sm:grid-cols-3 ${compact ? "" : "xl:grid-cols-6"}`}>
        <Stat label={labels.sent} value={number(summary.sent)} testId="summary-sent" />
        <Stat label={labels.failed} value={number(summary.failed)} testId="summary-failed" />
        {rates.basis === "delivered" ? (
          <Stat label={labels.delivered} value={number(summary.delivered)} testId="summary-delivered" />
        ) : (
          <Stat label={rateLabels.reached} value={number(rates.base)} testId="summary-reached" />
        )}
        <RateStat
          label={labels.openRate}
          rate={rates.openRate}
          count={format(labels.opened, { count: number(summary.opened) })}
          locale={locale}
          testId="summary-open-rate"
        />
        <RateStat
          label={labels.clickRate}
          rate={rates.clickRate}
          count={format(labels.clicked, { count: number(summary.clicked) })}
          locale={locale}
          testId="summary-click-rate"
        />
        <Stat label={labels.unsubscribed} value={number(summary.unsubscribed)} testId="summary-unsubscribed" />
      </div>
      <p className="text-xs text-slate-500" data-testid="summary-machine">
        {format(labels.machine, { opens: number(summary.machineOpened), clicks: number(summary.machineClicked) })}
      </p>
      {summary.sent > 0 ? (
        <p className="text-xs text-slate-500" data-testid="rate-basis" data-basis={rates.basis}>
          {rates.basis === "delivered" ? rateLabels.basisDelivered : format(rateLabels.basisReached, { count: number(rates.base) })}
        </p>
      ) : null}
    </div>
  );
}
