import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { getCompanyAccount } from "@/lib/accounts/company";
import { consolePage } from "@/app/(console)/_page/console-page";
import { CompanyForm } from "./company-form";

export default consolePage("company.view", async function CompanyPage(ctx) {
  const { t } = ctx;
  const company = await getCompanyAccount(ctx);
  const number = (value: number | null) => (value === null ? t.common.unlimited : value.toLocaleString(ctx.locale));
  const rows: [string, string, string][] = [
    [t.company.accountType, t.company.accountTypeValue, "account-type"],
    [t.company.accountName, company.name, "account-name"],
    [t.company.sendingType, t.company.sendingTypeValue, "sending-type"],
    [t.company.purchased, number(company.quotaTotal), "quota-total"],
    [t.company.sent, number(company.quotaUsed), "quota-used"],
    [t.company.reserved, number(company.quotaReserved), "quota-reserved"],
    [t.company.remaining, number(company.quotaRemaining), "quota-remaining"],
    [t.company.allocated, number(company.allocatedToDepartments), "quota-allocated"],
  ];
  return (
    <div className="grid gap-5 lg:grid-cols-2">
      <div>
        <PageHeader title={t.company.title} />
        <Card>
          <dl className="divide-y divide-slate-100 text-sm">
            {rows.map(([label, value, testId]) => (
              <div key={testId} className="grid grid-cols-2 py-2">
                <dt className="text-slate-500">{label}</dt>
                <dd className="font-medium tabular-nums text-slate-900" data-testid={testId}>
                  {value}
                </dd>
              </div>
            ))}
          </dl>
        </Card>
      </div>
      <div>
        <PageHeader title={t.company.editTitle} />
        <Card>
          <CompanyForm name={company.name} quotaTotal={company.quotaTotal} />
        </Card>
      </div>
    </div>
  );
});
