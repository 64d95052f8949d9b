import Link from "next/link";
import { DataTable } from "@/components/ui/data-table";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { Td, TimeCell } from "@/components/ui/table";
import { consolePage } from "@/app/(console)/_page/console-page";
import { pageNumber } from "@/app/(console)/_page/search-params";
import { can } from "@/lib/access/policy";
import { listAutomations } from "@/lib/automations/store";
import { automationNames } from "@/lib/automations/names";
import { format } from "@/lib/i18n";
import { AutomationStatusBadge } from "./automation-status";
import { namesFrom, triggerInWords } from "./automation-words";

const PAGE_SIZE = 20;

/** 自动化: the department's automations (an admin's and a manager's: every one they may read), newest first; managers only read. */
export default consolePage("tasks.view", async function AutomationsPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const words = t.automations;
  const page = pageNumber((await searchParams).page);
  // One more than a page says whether there is a next one.
  const rows = await listAutomations(ctx, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE + 1 });
  const shown = rows.slice(0, PAGE_SIZE);
  const names = await automationNames(ctx, shown);
  const nameOf = namesFrom(names);
  const showDepartment = actor.role !== "department";
  const number = (value: number) => value.toLocaleString(ctx.locale);
  return (
    <div className="space-y-4">
      <PageHeader title={words.title} actions={can(actor.role, "tasks.manage") ? <LinkButton href="/automations/new" testId="new-automation">{words.new}</LinkButton> : null} />
      <p className="max-w-3xl text-sm text-slate-600">{words.intro}</p>
      <DataTable
        testId="automations-table"
        columns={[showDepartment && t.common.department, words.columns.name, words.columns.trigger, words.columns.status, words.columns.enrolled, words.columns.created]}
        rows={shown}
        empty={words.none}
      >
        {(automation) => (
          <tr key={automation.id} data-testid={`automation-row-${automation.name}`}>
            {showDepartment ? <Td>{names.departments.get(automation.departmentId) ?? t.common.none}</Td> : null}
            <Td>
              <Link className="font-medium text-indigo-600 hover:underline" href={`/automations/${automation.id}`} data-testid={`automation-link-${automation.name}`}>
                {automation.name}
              </Link>
            </Td>
            <Td className="min-w-48 max-w-80 whitespace-normal" data-testid="automation-trigger">
              {triggerInWords(words, automation.trigger, nameOf)}
            </Td>
            <Td>
              <AutomationStatusBadge status={automation.status} labels={words.statuses} />
            </Td>
            <Td className="tabular-nums" data-testid="automation-enrolled" data-active={automation.enrolments.active} data-done={automation.enrolments.done}>
              {format(words.enrolled, { active: number(automation.enrolments.active), done: number(automation.enrolments.done), stopped: number(automation.enrolments.stopped) })}
            </Td>
            <TimeCell at={automation.createdAt} timeZone={ctx.timeZone} />
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={rows.length > PAGE_SIZE} params={{}} labels={t.common} />
    </div>
  );
});
