import Link from "next/link";
import { GettingStartedChecklist } from "@/components/dashboard/checklist";
import { FailureCategoriesChart } from "@/components/charts/failure-categories-chart";
import { QuotaBars } from "@/components/dashboard/quota-bars";
import { RecentTasks } from "@/components/dashboard/recent-tasks";
import { SummaryTiles } from "@/components/reports/summary-tiles";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Stat } from "@/components/ui/stat";
import { getCompanyAccount } from "@/lib/accounts/company";
import { getDepartment, listDepartments } from "@/lib/accounts/departments";
import { gettingStarted } from "@/lib/accounts/getting-started";
import { consolePage } from "@/app/(console)/_page/console-page";
import { can } from "@/lib/access/policy";
import { format } from "@/lib/i18n";
import { resolvePeriod, type Period } from "@/lib/reports/periods";
import { failureCategoriesPerDay, reportSummary } from "@/lib/reports/queries";
import { listTasks } from "@/lib/sending/task-pages";

const GLANCE = [
  { period: "today", testId: "dashboard-today" },
  { period: "this_week", testId: "dashboard-this-week" },
  { period: "this_month", testId: "dashboard-this-month" },
] as const satisfies readonly { period: Period; testId: string }[];

export default consolePage("dashboard.view", async function DashboardPage(ctx) {
  const { t, actor } = ctx;
  const number = (value: number | null) => (value === null ? t.common.unlimited : value.toLocaleString(ctx.locale));
  return (
    <div className="space-y-5">
      <PageHeader title={t.dashboard.title}>{format(t.dashboard.welcome, { email: actor.label })}</PageHeader>
      {can(actor.role, "tasks.manage") ? <Checklist /> : null}
      {actor.role === "admin" ? <CompanyQuota /> : null}
      {actor.role === "department" && actor.departmentId ? <DepartmentQuota id={actor.departmentId} /> : null}
      {can(actor.role, "reports.view") ? <Glance /> : null}
      <div className="grid gap-4 xl:grid-cols-2">
        {can(actor.role, "reports.view") ? <FailuresThisMonth /> : null}
        {can(actor.role, "tasks.view") ? <Recent /> : null}
      </div>
      {can(actor.role, "department.view") ? <DepartmentQuotas /> : null}
    </div>
  );

  /** From zero to the first send, ticked from the data (lib/accounts/getting-started.ts). */
  async function Checklist() {
    return <GettingStartedChecklist steps={await gettingStarted(ctx)} labels={t.checklist} />;
  }

  /** Today, this week and this month side by side, from the same rollup as the reports. */
  async function Glance() {
    const now = new Date();
    const summaries = await Promise.all(GLANCE.map(({ period }) => reportSummary(ctx, resolvePeriod({ period }, now, ctx.timeZone))));
    const titles = { today: t.dashboard.today, this_week: t.dashboard.thisWeek, this_month: t.dashboard.thisMonth };
    return (
      <div className="grid gap-4 xl:grid-cols-3">
        {GLANCE.map(({ period, testId }, index) => (
          <Card key={period} title={titles[period]} testId={testId}>
            <SummaryTiles summary={summaries[index]!} locale={ctx.locale} labels={t.reports.summary} rateLabels={t.reports.rates} compact />
            <Link href={`/reports?period=${period}`} className="mt-3 inline-block text-sm text-indigo-700 hover:underline" data-testid={period === "today" ? "dashboard-reports-link" : undefined}>
              {t.dashboard.openReports}
            </Link>
          </Card>
        ))}
      </div>
    );
  }

  async function FailuresThisMonth() {
    const r = t.reports;
    const points = await failureCategoriesPerDay(ctx, resolvePeriod({ period: "this_month" }, new Date(), ctx.timeZone));
    return (
      <div data-testid="dashboard-failures">
        <FailureCategoriesChart
          points={points}
          locale={ctx.locale}
          labels={{ title: t.dashboard.failuresByCategory, date: r.charts.date, messages: r.charts.messages, empty: r.charts.empty, categories: r.categories }}
        />
      </div>
    );
  }

  async function Recent() {
    const { tasks } = await listTasks(ctx, { pageSize: 5 });
    return (
      <Card title={t.dashboard.recentTasks} testId="dashboard-recent-tasks">
        <RecentTasks tasks={tasks} showDepartment={actor.role !== "department"} locale={ctx.locale} timeZone={ctx.timeZone} labels={{ statuses: t.tasks.statuses, empty: t.dashboard.noTasks }} />
        <Link href="/tasks" className="mt-3 inline-block text-sm text-indigo-700 hover:underline">
          {t.dashboard.allTasks}
        </Link>
      </Card>
    );
  }

  /** Each department's quota as a bar: every department for an admin, the readable ones for a manager, its own for a department user. */
  async function DepartmentQuotas() {
    const { rows } = await listDepartments(ctx, { offset: 0, limit: 200 });
    return (
      <Card title={t.dashboard.quotas} testId="dashboard-quotas">
        {actor.role === "manager" && actor.readable === "all" ? <p className="mb-2 text-sm text-slate-600">{t.dashboard.allDepartments}</p> : null}
        <QuotaBars rows={rows} locale={ctx.locale} labels={t.dashboard} />
      </Card>
    );
  }

  async function CompanyQuota() {
    const company = await getCompanyAccount(ctx);
    return (
      <Card title={t.dashboard.companyQuota} testId="company-quota">
        <div className="grid grid-cols-2 gap-3 md:grid-cols-5">
          <Stat label={t.dashboard.purchased} value={number(company.quotaTotal)} />
          <Stat label={t.dashboard.sent} value={number(company.quotaUsed)} />
          <Stat label={t.dashboard.reserved} value={number(company.quotaReserved)} />
          <Stat label={t.dashboard.remaining} value={number(company.quotaRemaining)} />
          <Stat label={t.dashboard.departments} value={number(company.departmentCount)} />
        </div>
      </Card>
    );
  }

  async function DepartmentQuota({ id }: { id: string }) {
    const department = await getDepartment(ctx, id);
    return (
      <Card title={`${t.dashboard.departmentQuota} · ${department.name}`} testId="department-quota">
        <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
          <Stat label={t.dashboard.allocated} value={number(department.quotaAllocated)} testId="department-allocated" />
          <Stat label={t.dashboard.sent} value={number(department.quotaUsed)} />
          <Stat label={t.dashboard.reserved} value={number(department.quotaReserved)} />
          <Stat label={t.dashboard.remaining} value={number(department.quotaRemaining)} />
        </div>
      </Card>
    );
  }
});
