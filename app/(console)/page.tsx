import Link from "next/link";
import { SummaryTiles } from "@/components/reports/summary-tiles";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Stat } from "@/components/ui/stat";
import { getCompanyAccount } from "@/lib/accounts/company";
import { getDepartment, listDepartments } from "@/lib/accounts/departments";
import { consolePage } from "@/app/(console)/_page/console-page";
import { can } from "@/lib/access/policy";
import { format } from "@/lib/i18n";
import { resolvePeriod } from "@/lib/reports/periods";
import { reportSummary } from "@/lib/reports/queries";

export default consolePage("dashboard.view", async function DashboardPage(ctx) {
  const { t, actor } = ctx;
  const number = (value: number | null) => (value === null ? t.common.unlimited : value.toLocaleString(ctx.locale));
  return (
    <div className="space-y-5">
      <PageHeader title={t.dashboard.title}>{format(t.dashboard.welcome, { email: actor.label })}</PageHeader>
      {actor.role === "admin" ? <CompanyQuota /> : null}
      {actor.role === "department" && actor.departmentId ? <DepartmentQuota id={actor.departmentId} /> : null}
      {actor.role === "manager" ? <ReadableDepartments /> : null}
      {can(actor.role, "reports.view") ? <Today /> : null}
    </div>
  );

  /** Today's sending at a glance, from the same rollup as the reports. */
  async function Today() {
    const summary = await reportSummary(ctx, resolvePeriod({ period: "today" }, new Date(), ctx.timeZone));
    return (
      <Card title={t.dashboard.today} testId="dashboard-today">
        <SummaryTiles summary={summary} locale={ctx.locale} labels={t.reports.summary} deliveredHint={t.reports.task.deliveredHint} />
        <Link href="/reports?period=today" className="mt-3 inline-block text-sm text-indigo-700 hover:underline" data-testid="dashboard-reports-link">
          {t.dashboard.openReports}
        </Link>
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

  async function ReadableDepartments() {
    const { rows } = await listDepartments(ctx, { offset: 0, limit: 200 });
    return (
      <Card title={t.dashboard.readable} testId="readable-departments">
        {actor.readable === "all" ? <p className="mb-2 text-sm text-slate-500">{t.dashboard.allDepartments}</p> : null}
        <ul className="flex flex-wrap gap-2 text-sm">
          {rows.map((row) => (
            <li key={row.id} className="rounded bg-slate-100 px-2 py-1">
              {row.name}
            </li>
          ))}
        </ul>
      </Card>
    );
  }
});
