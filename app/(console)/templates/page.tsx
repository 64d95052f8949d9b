import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { consolePage } from "@/app/(console)/_page/console-page";
import { listTemplates } from "@/lib/templates/store";
import { formatInZone } from "@/lib/time/zone";

export default consolePage("templates.manage", async function TemplatesPage(ctx) {
  const { t, actor } = ctx;
  const rows = await listTemplates(ctx);
  return (
    <div className="space-y-4">
      <PageHeader
        title={t.templates.title}
        actions={
          <Link href="/templates/new" className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500" data-testid="new-template">
            {t.templates.new}
          </Link>
        }
      />
      <Table testId="templates-table">
        <thead>
          <tr>
            {actor.role === "admin" ? <Th>{t.common.department}</Th> : null}
            <Th>{t.templates.name}</Th>
            <Th>{t.templates.subject}</Th>
            <Th className="text-right">{t.templates.version}</Th>
            <Th>{t.templates.warnings}</Th>
            <Th>{t.templates.updated}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.length === 0 ? <EmptyRow colSpan={6}>{t.common.noRows}</EmptyRow> : null}
          {rows.map((row) => (
            <tr key={row.id}>
              {actor.role === "admin" ? <Td>{row.departmentName}</Td> : null}
              <Td>
                <Link className="font-medium text-indigo-600 hover:underline" href={`/templates/${row.id}`}>
                  {row.name}
                </Link>
              </Td>
              <Td className="max-w-md truncate">{row.subject}</Td>
              <Td className="text-right tabular-nums">{row.version}</Td>
              <Td>{row.lint.warnings.length > 0 ? <Badge tone="amber">{row.lint.warnings.length}</Badge> : <Badge tone="green">0</Badge>}</Td>
              <Td className="tabular-nums">{formatInZone(row.updatedAt, ctx.timeZone)}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
});
