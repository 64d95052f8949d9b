import { LogTabs } from "@/components/logs/log-tabs";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { AUDIT_ACTIONS, listAuditEntries } from "@/lib/audit/queries";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam, pageNumber } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { addDays, formatInZone, isIsoDate, startOfZonedDay } from "@/lib/time/zone";

export default consolePage("audit.view", async function OperationLogPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t } = ctx;
  const params = await searchParams;
  const action = firstParam(params.action);
  const operator = firstParam(params.operator);
  const from = firstParam(params.from);
  const to = firstParam(params.to);
  const page = pageNumber(params.page);
  const { rows, hasMore } = await listAuditEntries(
    ctx,
    {
      action,
      operator,
      from: from && isIsoDate(from) ? startOfZonedDay(from, ctx.timeZone) : undefined,
      to: to && isIsoDate(to) ? startOfZonedDay(addDays(to, 1), ctx.timeZone) : undefined,
    },
    page,
  );
  return (
    <div className="space-y-4">
      <LogTabs current="operations" labels={t.deliveryLog.tabs} />
      <PageHeader title={t.logs.title} />
      <form className="flex flex-wrap items-end gap-2 text-sm" data-testid="log-filters">
        <label className="space-y-1">
          <span className="block text-xs text-slate-500">{t.logs.action}</span>
          <Select name="action" defaultValue={action ?? ""} data-testid="log-filter-action">
            <option value="">{t.logs.allActions}</option>
            {AUDIT_ACTIONS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </Select>
        </label>
        <label className="space-y-1">
          <span className="block text-xs text-slate-500">{t.logs.operator}</span>
          <Input name="operator" defaultValue={operator ?? ""} data-testid="log-filter-operator" />
        </label>
        <label className="space-y-1">
          <span className="block text-xs text-slate-500">{t.logs.from}</span>
          <Input name="from" type="date" defaultValue={from ?? ""} />
        </label>
        <label className="space-y-1">
          <span className="block text-xs text-slate-500">{t.logs.to}</span>
          <Input name="to" type="date" defaultValue={to ?? ""} />
        </label>
        <Button type="submit" variant="secondary">
          {t.common.filter}
        </Button>
      </form>
      <Table testId="audit-table">
        <thead>
          <tr>
            <Th>{t.logs.time}</Th>
            <Th>{t.logs.action}</Th>
            <Th>{t.logs.object}</Th>
            <Th>{t.logs.operator}</Th>
            <Th>{t.logs.ip}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.length === 0 ? <EmptyRow colSpan={5}>{t.common.noRows}</EmptyRow> : null}
          {rows.map((row) => (
            <tr key={row.id}>
              <Td className="tabular-nums">{formatInZone(row.at, ctx.timeZone)}</Td>
              <Td>
                <Badge>{row.action}</Badge>
              </Td>
              <Td className="max-w-md whitespace-normal">{row.summary}</Td>
              <Td>
                {row.operatorLabel} <span className="text-xs text-slate-400">({row.operatorRole})</span>
              </Td>
              <Td className="tabular-nums">{row.ip || t.common.none}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <Pagination
        page={page}
        hasMore={hasMore}
        params={{ action, operator, from, to }}
        labels={{ previous: t.common.previous, next: t.common.next, page: format(t.common.page, { page }) }}
      />
    </div>
  );
});
