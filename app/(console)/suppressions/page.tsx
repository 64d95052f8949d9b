import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { KeysetNav } from "@/components/ui/pagination";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { SUPPRESSION_REASONS, type SuppressionReason } from "@/db/schema";
import { listDepartments } from "@/lib/accounts/departments";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { listSuppressions } from "@/lib/pools/suppression";
import { formatInZone } from "@/lib/time/zone";
import { AddSuppressionsForm, RemoveSuppression } from "./suppression-forms";

export default consolePage("pools.manage", async function SuppressionsPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const params = await searchParams;
  const q = firstParam(params.q);
  const reasonParam = firstParam(params.reason);
  const reason = (SUPPRESSION_REASONS as readonly string[]).includes(reasonParam ?? "") ? (reasonParam as SuppressionReason) : undefined;
  const before = firstParam(params.before);
  const [{ rows, nextBefore }, departments] = await Promise.all([
    listSuppressions(ctx, { q, reason, before: before && !Number.isNaN(Date.parse(before)) ? before : undefined }),
    actor.role === "admin" ? listDepartments(ctx, { offset: 0, limit: 1000 }) : Promise.resolve(null),
  ]);
  const nextQuery = new URLSearchParams();
  if (q) nextQuery.set("q", q);
  if (reason) nextQuery.set("reason", reason);
  if (nextBefore) nextQuery.set("before", nextBefore);
  return (
    <div className="space-y-5">
      <PageHeader title={t.suppressions.title} />
      <Card title={t.suppressions.add}>
        <AddSuppressionsForm departments={departments?.rows.map((row) => ({ id: row.id, name: row.name })) ?? null} />
      </Card>
      <form className="flex flex-wrap items-end gap-2">
        <Input name="q" defaultValue={q ?? ""} placeholder={t.common.email} className="w-64" />
        <Select name="reason" defaultValue={reason ?? ""} className="w-44">
          <option value="">{t.common.all}</option>
          {SUPPRESSION_REASONS.map((value) => (
            <option key={value} value={value}>
              {t.suppressions.reasons[value]}
            </option>
          ))}
        </Select>
        <Button type="submit" variant="secondary">
          {t.common.filter}
        </Button>
      </form>
      <Table testId="suppressions-table">
        <thead>
          <tr>
            {actor.role === "admin" ? <Th>{t.common.department}</Th> : null}
            <Th>{t.common.email}</Th>
            <Th>{t.suppressions.reason}</Th>
            <Th>{t.suppressions.note}</Th>
            <Th>{t.suppressions.at}</Th>
            <Th>{t.common.actions}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.length === 0 ? <EmptyRow colSpan={6}>{t.common.noRows}</EmptyRow> : null}
          {rows.map((row) => (
            <tr key={`${row.departmentId}:${row.email}`} data-testid={`suppression-row-${row.email}`}>
              {actor.role === "admin" ? <Td>{row.departmentName}</Td> : null}
              <Td className="font-medium text-slate-900">{row.email}</Td>
              <Td>
                <Badge tone="red">{t.suppressions.reasons[row.reason]}</Badge>
              </Td>
              <Td className="max-w-xs truncate">{row.note || t.common.none}</Td>
              <Td className="tabular-nums">{formatInZone(row.createdAt, ctx.timeZone)}</Td>
              <Td>
                <RemoveSuppression departmentId={row.departmentId} email={row.email} />
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <KeysetNav next={nextBefore ? { href: `?${nextQuery.toString()}`, label: t.common.next } : null} />
    </div>
  );
});
