import { LogTabs } from "@/components/logs/log-tabs";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { Td, TimeCell } from "@/components/ui/table";
import { DataTable } from "@/components/ui/data-table";
import { Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { FilterField, FilterForm } from "@/components/forms/filter-form";
import type { AuditAction } from "@/lib/audit/actions";
import { AUDIT_ACTIONS, listAuditEntries } from "@/lib/audit/queries";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam, pageNumber } from "@/app/(console)/_page/search-params";
import { auditWording, describeStoredSummary } from "@/lib/i18n/describe-audit";
import { addDays, isIsoDate, startOfZonedDay } from "@/lib/time/zone";

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
  const actionName = (action: string) => (Object.hasOwn(t.auditActions, action) ? t.auditActions[action as AuditAction] : action);
  const wording = auditWording(ctx.locale, ctx.timeZone);
  const roleName = (role: string) => {
    const [apiKey, keyRole] = role.startsWith("apikey:") ? [true, role.slice("apikey:".length)] : [false, role];
    const name = Object.hasOwn(t.roles, keyRole) ? t.roles[keyRole as keyof typeof t.roles] : keyRole;
    return apiKey ? `${t.nav.apiKeys} · ${name}` : name;
  };
  return (
    <div className="space-y-4">
      <LogTabs current="operations" labels={t.deliveryLog.tabs} />
      <PageHeader title={t.logs.title} />
      <FilterForm className="text-sm" testId="log-filters" submit={{ label: t.common.filter }}>
        <FilterField label={t.logs.action}>
          <Select name="action" defaultValue={action ?? ""} data-testid="log-filter-action">
            <option value="">{t.logs.allActions}</option>
            <Options choices={AUDIT_ACTIONS.map((value) => ({ value, label: t.auditActions[value] }))} />
          </Select>
        </FilterField>
        <FilterField label={t.logs.operator}>
          <Input name="operator" defaultValue={operator ?? ""} data-testid="log-filter-operator" />
        </FilterField>
        <FilterField label={t.logs.from}>
          <Input name="from" type="date" defaultValue={from ?? ""} />
        </FilterField>
        <FilterField label={t.logs.to}>
          <Input name="to" type="date" defaultValue={to ?? ""} />
        </FilterField>
      </FilterForm>
      <DataTable testId="audit-table" columns={[t.logs.time, t.logs.action, t.logs.object, t.logs.operator, t.logs.ip]} rows={rows} empty={t.common.noRows}>
        {(row) => (
          <tr key={row.id}>
            <TimeCell at={row.at} timeZone={ctx.timeZone} />
            <Td>
              <Badge>{actionName(row.action)}</Badge>
            </Td>
            <Td className="max-w-md whitespace-normal">{describeStoredSummary(row, wording)}</Td>
            <Td>
              {row.operatorLabel} <span className="text-xs text-slate-500">({roleName(row.operatorRole)})</span>
            </Td>
            <Td className="tabular-nums">{row.ip || t.common.none}</Td>
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={hasMore} params={{ action, operator, from, to }} labels={t.common} />
    </div>
  );
});
