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
      <PageHeader
        title={t.templates.title}
        actions={
          <div className="flex gap-2">
            <LinkButton href="/templates/new" testId="new-template">{t.templates.new}</LinkButton>
            <LinkButton href="/templates/new?channel=sms" testId="new-sms-template">{t.smsTemplates.new}</LinkButton>
            <LinkButton href="/templates/new?channel=whatsapp" testId="new-whatsapp-template">{t.whatsappTemplates.new}</LinkButton>
          </div>
        }
      />
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
              {row.channel === "sms" ? <Badge tone="slate">{t.smsTemplates.channel}</Badge> : null}
              {row.channel === "whatsapp" ? <Badge tone="slate">{t.whatsappTemplates.channel}</Badge> : null}
            </Td>
            <Td className="max-w-md truncate">{row.channel === "whatsapp" ? (row.whatsapp ? `${row.whatsapp.name} · ${row.whatsapp.language}` : row.text) : row.channel === "sms" ? row.text : row.subject}</Td>
            <Td className="text-right tabular-nums">{row.version}</Td>
            <Td>{row.lint.warnings.length > 0 ? <Badge tone="amber">{row.lint.warnings.length}</Badge> : <Badge tone="green">0</Badge>}</Td>
            <TimeCell at={row.updatedAt} timeZone={ctx.timeZone} />
          </tr>
        )}
      </DataTable>
    </div>
  );
});
