import Link from "next/link";
import { DeliveryStatusBadge } from "@/components/logs/delivery-status-badge";
import { LogTabs } from "@/components/logs/log-tabs";
import { FilterField, FilterForm } from "@/components/forms/filter-form";
import { DataTable } from "@/components/ui/data-table";
import { Input, Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { KeysetNav } from "@/components/ui/pagination";
import { Options } from "@/components/ui/options";
import { Td } from "@/components/ui/table";
import { BOUNCE_CATEGORIES, DELIVERY_STATUSES } from "@/db/schema";
import { can } from "@/lib/access/policy";
import { consolePage } from "@/app/(console)/_page/console-page";
import { format } from "@/lib/i18n";
import { DELIVERY_LOG_EXPORT_LIMIT } from "@/lib/reports/delivery-export";
import { recentTasks, searchDeliveries } from "@/lib/reports/delivery-log";
import { formatInZone } from "@/lib/time/zone";
import { deliveryLogFilters, deliveryLogQuery } from "./filters";

/** 数据投递日志: every delivery the caller may read, across tasks, with search, filters and keyset pages. */
export default consolePage("reports.view", async function DeliveryLogPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const labels = t.deliveryLog;
  const params = await searchParams;
  const { before, ...filters } = deliveryLogFilters((name) => {
    const value = params[name];
    return Array.isArray(value) ? value[0] : value;
  });
  const [page, tasks] = await Promise.all([searchDeliveries(ctx, { ...filters, before }, undefined, { timeZone: ctx.timeZone }), recentTasks(ctx)]);
  const showDepartment = actor.role !== "department";
  const taskHref = (taskId: string) => (can(actor.role, "tasks.manage") ? `/tasks/${taskId}` : `/logs/deliveries${deliveryLogQuery({ taskId })}`);
  return (
    <div className="space-y-4">
      <LogTabs current="deliveries" labels={labels.tabs} />
      <PageHeader
        title={labels.title}
        actions={
          <a
            className="inline-flex items-center rounded-md bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
            href={`/logs/deliveries/export${deliveryLogQuery(filters)}`}
            title={format(labels.downloadHint, { count: DELIVERY_LOG_EXPORT_LIMIT.toLocaleString(ctx.locale) })}
            data-testid="delivery-log-download"
          >
            {labels.download}
          </a>
        }
      >
        {labels.explain}
      </PageHeader>
      <FilterForm
        className="text-sm"
        action="/logs/deliveries"
        testId="delivery-log-filters"
        submit={{ label: labels.search, testId: "delivery-log-search" }}
        after={
          <Link className="px-2 py-1.5 text-slate-500 hover:text-slate-900" href="/logs/deliveries">
            {labels.reset}
          </Link>
        }
      >
        <FilterField label={labels.address}>
          <Input name="q" defaultValue={filters.q ?? ""} placeholder={labels.addressPlaceholder} className="w-64" data-testid="delivery-log-q" />
        </FilterField>
        <FilterField label={labels.task}>
          <Select name="taskId" defaultValue={filters.taskId ?? ""} className="w-56" data-testid="delivery-log-task">
            <option value="">{labels.anyTask}</option>
            {filters.taskId && !tasks.some((task) => task.id === filters.taskId) ? (
              <option value={filters.taskId}>{format(labels.taskId, { id: filters.taskId.slice(0, 8) })}</option>
            ) : null}
            <Options choices={tasks.map((task) => ({ value: task.id, label: task.name }))} />
          </Select>
        </FilterField>
        <FilterField label={labels.status}>
          <Select name="status" defaultValue={filters.status ?? ""} className="w-36" data-testid="delivery-log-status">
            <option value="">{labels.anyStatus}</option>
            <Options choices={DELIVERY_STATUSES.map((value) => ({ value, label: t.tasks.deliveryStatuses[value] }))} />
          </Select>
        </FilterField>
        <FilterField label={labels.category}>
          <Select name="category" defaultValue={filters.category ?? ""} className="w-40" data-testid="delivery-log-category">
            <option value="">{labels.anyCategory}</option>
            <Options choices={BOUNCE_CATEGORIES.map((value) => ({ value, label: t.tasks.categories[value] }))} />
          </Select>
        </FilterField>
        <FilterField label={labels.from}>
          <Input name="from" type="date" defaultValue={filters.from ?? ""} className="w-40" data-testid="delivery-log-from" />
        </FilterField>
        <FilterField label={labels.to}>
          <Input name="to" type="date" defaultValue={filters.to ?? ""} className="w-40" data-testid="delivery-log-to" />
        </FilterField>
      </FilterForm>
      <DataTable
        testId="delivery-log-table"
        columns={[
          labels.time,
          labels.address,
          labels.task,
          showDepartment && labels.department,
          labels.ip,
          labels.status,
          labels.category,
          labels.reply,
          { label: labels.opensClicks, className: "text-right" },
        ]}
        rows={page.rows}
        empty={page.windowed ? labels.windowed : t.common.noRows}
      >
        {(row) => {
          const repeated = row.enhancedStatus && row.error?.includes(row.enhancedStatus);
          const reply = [row.code, repeated ? null : row.enhancedStatus, row.error].filter((part) => part !== null && part !== "").join(" ");
          return (
            <tr key={row.id} data-testid={`delivery-log-row-${row.id}`}>
              <Td className="tabular-nums">
                {row.sentAt ? formatInZone(row.sentAt, ctx.timeZone) : <span className="text-xs text-slate-500">{labels.notSent}</span>}
              </Td>
              <Td>
                <Link className="font-medium text-indigo-700 hover:underline" href={`/logs/deliveries/${row.id}`} data-testid="delivery-log-address">
                  {row.channel === "email" ? row.email : (row.address ?? row.email)}
                </Link>
                {row.channel !== "email" ? (
                  <span className="ml-1.5 text-xs text-slate-500" data-testid="delivery-log-channel" title={row.email}>
                    {t.channels.names[row.channel]}
                  </span>
                ) : null}
              </Td>
              <Td className="max-w-48 truncate" title={row.taskName}>
                <Link className="text-slate-700 hover:underline" href={taskHref(row.taskId)}>
                  {row.taskName}
                </Link>
              </Td>
              {showDepartment ? <Td>{row.department}</Td> : null}
              <Td className="tabular-nums text-xs text-slate-600" data-testid="delivery-log-ip">
                {row.clientIp || t.common.none}
              </Td>
              <Td>
                <DeliveryStatusBadge status={row.status} labels={t.tasks.deliveryStatuses} />
              </Td>
              <Td>{row.category ? t.tasks.categories[row.category] : t.common.none}</Td>
              <Td className="max-w-md truncate text-xs text-slate-500" title={reply || undefined}>
                {reply || t.common.none}
              </Td>
              <Td
                className="text-right tabular-nums"
                title={format(labels.machineCounts, { count: `${row.machineOpenCount} / ${row.machineClickCount}` })}
              >
                {row.openCount} / {row.clickCount}
              </Td>
            </tr>
          );
        }}
      </DataTable>
      {page.windowed && page.rows.length > 0 ? <p className="text-xs text-slate-500">{labels.windowed}</p> : null}
      <KeysetNav
        first={before ? { href: `/logs/deliveries${deliveryLogQuery(filters)}`, label: labels.newest } : null}
        next={page.nextBefore ? { href: `/logs/deliveries${deliveryLogQuery({ ...filters, before: page.nextBefore })}`, label: labels.older } : null}
      />
    </div>
  );
});
