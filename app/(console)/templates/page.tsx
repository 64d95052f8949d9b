import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { DataTable } from "@/components/ui/data-table";
import { Td, TimeCell } from "@/components/ui/table";
import { consolePage } from "@/app/(console)/_page/console-page";
import { listTemplates } from "@/lib/templates/store";

export default consolePage("templates.manage", async function TemplatesPage(ctx) {
  const { t, actor } = ctx;
  const rows = await listTemplates(ctx);
  return (
    <div className="space-y-4">
      <PageHeader title={t.templates.title} actions={<LinkButton href="/templates/new" testId="new-template">{t.templates.new}</LinkButton>} />
      <DataTable
        testId="templates-table"
        columns={[
          actor.role === "admin" && t.common.department,
          t.templates.name,
          t.templates.subject,
          { label: t.templates.version, className: "text-right" },
          t.templates.warnings,
          t.templates.updated,
        ]}
        rows={rows}
        empty={t.common.noRows}
      >
        {(row) => (
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
            <TimeCell at={row.updatedAt} timeZone={ctx.timeZone} />
          </tr>
        )}
      </DataTable>
    </div>
  );
});
