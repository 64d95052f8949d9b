import Link from "next/link";
import { reportHref, type ReportQuery } from "@/components/reports/report-query";
import { DataTable } from "@/components/ui/data-table";
import { Td } from "@/components/ui/table";
import type { Messages } from "@/lib/i18n";
import { channelOfDomain, REPORT_CHANNELS, type ReportChannel } from "@/lib/reports/channel-dimension";
import type { ChannelRow, FailureReason } from "@/lib/reports/channels";
import { ChannelChart } from "./channel-chart";

const toggleClass = (active: boolean) =>
  `rounded-md px-2.5 py-1 ${active ? "bg-slate-800 text-white" : "text-slate-600 ring-1 ring-slate-300 hover:bg-slate-50"}`;

/** A sender domain as a report shows it: a messaging channel's rows by the channel's name ("短信"), a mail domain as it is. */
export function domainLabel(domain: string, t: Messages): string {
  const channel = channelOfDomain(domain);
  return channel ? t.channels.names[channel] : domain;
}

/** 全部 / 邮件 / 短信 / WhatsApp / 企业微信: the channel the page's figures are of, keeping the period. */
export function ChannelSwitch({ channel, query, t, path = "/reports" }: { channel: ReportChannel | null; query: ReportQuery; t: Messages; path?: string }) {
  const choices: (ReportChannel | null)[] = [null, ...REPORT_CHANNELS];
  return (
    <nav className="flex flex-wrap items-center gap-1.5 text-sm" aria-label={t.reports.channels.filter} data-testid="channel-switch">
      <span className="text-xs text-slate-500">{t.reports.channels.filter}</span>
      {choices.map((choice) => (
        <Link
          key={choice ?? "all"}
          className={toggleClass(choice === channel)}
          aria-current={choice === channel ? "page" : undefined}
          href={reportHref(path, { ...query, channel: choice ?? undefined, page: undefined })}
          data-testid={`channel-${choice ?? "all"}`}
        >
          {choice ? t.channels.names[choice] : t.reports.channels.all}
        </Link>
      ))}
    </nav>
  );
}

/** 按渠道: a chart and a table of the period per channel, and the providers' reasons for failures. */
export function ChannelBreakdown({ rows, reasons, locale, t }: { rows: ChannelRow[]; reasons: FailureReason[]; locale: string; t: Messages }) {
  const c = t.reports.channels;
  const number = (value: number | null) => (value === null ? t.common.none : value.toLocaleString(locale));
  return (
    <section className="space-y-3" data-testid="channel-breakdown">
      <ChannelChart
        points={rows.map((row) => ({ ...row, name: t.channels.names[row.channel], replies: row.replies ?? 0 }))}
        locale={locale}
        labels={{ title: c.title, empty: t.reports.charts.empty, series: c.columns }}
      />
      <DataTable
        testId="channel-table"
        columns={[
          c.channel,
          ...(["sent", "delivered", "failed", "opened", "replies", "optOuts"] as const).map((key) => ({ label: c.columns[key], className: "text-right" })),
        ]}
        rows={rows}
        empty={t.reports.charts.empty}
      >
        {(row) => (
          <tr key={row.channel} data-testid={`channel-row-${row.channel}`}>
            <Td>{t.channels.names[row.channel]}</Td>
            {(["sent", "delivered", "failed", "opened", "replies", "optOuts"] as const).map((key) => (
              <Td key={key} className="text-right tabular-nums" data-testid={`channel-${row.channel}-${key}`}>
                {number(row[key])}
              </Td>
            ))}
          </tr>
        )}
      </DataTable>
      <p className="text-xs text-slate-500">{c.note}</p>
      {reasons.length > 0 ? (
        <DataTable testId="channel-reasons" columns={[c.channel, c.reason, { label: c.columns.failed, className: "text-right" }]} rows={reasons} empty={t.reports.charts.empty}>
          {(row) => (
            <tr key={`${row.channel}|${row.reason}`} data-testid="channel-reason-row">
              <Td>{t.channels.names[row.channel]}</Td>
              <Td className="max-w-md whitespace-normal text-slate-600">{row.reason || c.noReason}</Td>
              <Td className="text-right tabular-nums">{number(row.failed)}</Td>
            </tr>
          )}
        </DataTable>
      ) : null}
    </section>
  );
}
