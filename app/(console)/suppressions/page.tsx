import { FilterForm } from "@/components/forms/filter-form";
import { DataTable } from "@/components/ui/data-table";
import { Input, Select } from "@/components/ui/field";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { KeysetNav } from "@/components/ui/pagination";
import { Options } from "@/components/ui/options";
import { Td, TimeCell } from "@/components/ui/table";
import { SUPPRESSION_REASONS, type SuppressionReason } from "@/db/schema";
import { listDepartments } from "@/lib/accounts/departments";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { isErased } from "@/lib/addresses/erased";
import { systemNoteKey } from "@/lib/i18n/system-notes";
import { isSuppressionCursor, listSuppressions } from "@/lib/pools/suppression";
import { AddSuppressionsForm, RemoveSuppression } from "./suppression-forms";
import { ChannelSuppressionList, ChannelSwitcher, suppressionChannelOf } from "./channel-list";

export default consolePage("pools.manage", async function SuppressionsPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const params = await searchParams;
  const channel = suppressionChannelOf(firstParam(params.channel));
  const q = firstParam(params.q);
  const reasonParam = firstParam(params.reason);
  const reason = (SUPPRESSION_REASONS as readonly string[]).includes(reasonParam ?? "") ? (reasonParam as SuppressionReason) : undefined;
  const before = firstParam(params.before);
  if (channel !== "email") {
    const departments = actor.role === "admin" ? await listDepartments(ctx, { offset: 0, limit: 1000 }) : null;
    return (
      <div className="space-y-5">
        <PageHeader title={t.suppressions.title} />
        <ChannelSwitcher current={channel} t={t} />
        <ChannelSuppressionList
          ctx={ctx}
          t={t}
          channel={channel}
          q={q}
          before={before}
          departments={departments?.rows.map((row) => ({ id: row.id, name: row.name })) ?? null}
        />
      </div>
    );
  }
  const [{ rows, nextBefore }, departments] = await Promise.all([
    listSuppressions(ctx, { q, reason, before: before && isSuppressionCursor(before) ? before : undefined }),
    actor.role === "admin" ? listDepartments(ctx, { offset: 0, limit: 1000 }) : Promise.resolve(null),
  ]);
  const suppressionNote = (note: string) => {
    const key = systemNoteKey(note);
    return key ? t.suppressions.systemNotes[key] : note || t.common.none;
  };
  const nextQuery = new URLSearchParams();
  if (q) nextQuery.set("q", q);
  if (reason) nextQuery.set("reason", reason);
  if (nextBefore) nextQuery.set("before", nextBefore);
  return (
    <div className="space-y-5">
      <PageHeader title={t.suppressions.title} />
      <ChannelSwitcher current="email" t={t} />
      <Card title={t.suppressions.add}>
        <AddSuppressionsForm departments={departments?.rows.map((row) => ({ id: row.id, name: row.name })) ?? null} />
      </Card>
      <FilterForm submit={{ label: t.common.filter }}>
        <Input name="q" defaultValue={q ?? ""} placeholder={t.common.email} aria-label={t.common.email} className="w-64" />
        <Select name="reason" defaultValue={reason ?? ""} aria-label={t.suppressions.reason} className="w-44">
          <option value="">{t.common.all}</option>
          <Options choices={SUPPRESSION_REASONS.map((value) => ({ value, label: t.suppressions.reasons[value] }))} />
        </Select>
      </FilterForm>
      <DataTable
        testId="suppressions-table"
        columns={[actor.role === "admin" && t.common.department, t.common.email, t.suppressions.reason, t.suppressions.note, t.suppressions.at, t.common.actions]}
        rows={rows}
        empty={t.common.noRows}
      >
        {(row) => (
          <tr key={`${row.departmentId}:${row.email}`} data-testid={`suppression-row-${row.email}`}>
            {actor.role === "admin" ? <Td>{row.departmentName}</Td> : null}
            <Td className="font-medium text-slate-900">{isErased(row.email) ? <span data-testid="erased-address">{t.suppressions.erasedAddress}</span> : row.email}</Td>
            <Td>
              <Badge tone="red">{t.suppressions.reasons[row.reason]}</Badge>
            </Td>
            <Td className="max-w-xs truncate">{suppressionNote(row.note)}</Td>
            <TimeCell at={row.createdAt} timeZone={ctx.timeZone} />
            <Td>
              <RemoveSuppression departmentId={row.departmentId} email={row.email} />
            </Td>
          </tr>
        )}
      </DataTable>
      <KeysetNav next={nextBefore ? { href: `?${nextQuery.toString()}`, label: t.common.next } : null} />
    </div>
  );
});
