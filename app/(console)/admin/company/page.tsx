import Link from "next/link";
import type { ReactNode } from "react";
import { entranceAddress } from "@/components/gateway/client-settings";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { getCompanyAccount } from "@/lib/accounts/company";
import { readPhoneRegion, readSetting } from "@/lib/accounts/settings";
import { entranceSettings } from "@/lib/gateway/settings";
import { listDomains } from "@/lib/senders/domains";
import { consolePage } from "@/app/(console)/_page/console-page";
import { CompanyForm, RequireUnsubscribeToggle } from "./company-form";
import { GuardThresholdsForm } from "./guard-form";
import { RetentionForm } from "./retention-form";
import { PhoneRegionForm, SmsOptOutSuffixToggle } from "./phone-region-form";
import { readGuardThresholds } from "@/lib/guard/thresholds";

export default consolePage("company.view", async function CompanyPage(ctx) {
  const { t } = ctx;
  const [company, domains, requireUnsubscribe, guard, retentionMonths, phoneRegion, smsOptOutSuffix] = await Promise.all([
    getCompanyAccount(ctx),
    listDomains(ctx),
    readSetting(ctx.db, "requireUnsubscribeLink"),
    readGuardThresholds(ctx.db),
    readSetting(ctx.db, "personalDataRetentionMonths"),
    readPhoneRegion(ctx.db),
    readSetting(ctx.db, "smsOptOutSuffix"),
  ]);
  const number = (value: number | null) => (value === null ? t.common.unlimited : value.toLocaleString(ctx.locale));
  const entrance = entranceSettings();
  const address = entranceAddress(entrance, t.smtpAccounts.hostUnknown);
  // 域名 … [帐号管理]: each domain leads to the SMTP accounts of the department that holds it (all, for a company-wide one).
  const domainList = (
    <ul className="space-y-0.5">
      {domains.length === 0 ? (
        <li className="font-normal">
          <Link href="/senders" className="text-indigo-600 hover:underline" data-testid="company-no-domains">
            {t.company.noDomains}
          </Link>
        </li>
      ) : null}
      {domains.map((domain) => (
        <li key={domain.id} data-testid={`company-domain-${domain.domain}`}>
          {domain.domain} <span className="text-xs font-normal text-slate-500">{domain.departmentName ?? t.company.companyWide}</span>{" "}
          <Link
            className="font-normal text-indigo-600 hover:underline"
            href={domain.departmentId ? `/smtp-accounts?department=${domain.departmentId}` : "/smtp-accounts"}
            data-testid={`manage-accounts-${domain.domain}`}
          >
            {t.company.manageAccounts}
          </Link>
        </li>
      ))}
    </ul>
  );
  const rows: [string, ReactNode, string][] = [
    [t.company.accountType, t.company.accountTypeValue, "account-type"],
    [t.company.accountName, company.name, "account-name"],
    [t.company.sendingType, t.company.sendingTypeValue, "sending-type"],
    [t.company.domains, domainList, "domains"],
    [t.company.serverIp, address ? `${address} · ${entrance.starttls ? t.company.starttls : t.company.noTls}` : t.company.entranceOff, "server-ip"],
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
              <div key={testId} className="grid grid-cols-2 gap-2 py-2">
                <dt className="text-slate-500">{label}</dt>
                <dd className="break-words font-medium tabular-nums text-slate-900" data-testid={testId}>
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
        <div className="mt-4">
          <Card>
            <RequireUnsubscribeToggle required={requireUnsubscribe} />
          </Card>
        </div>
        <div className="mt-4">
          <Card title={t.guard.title} testId="guard-settings">
            <GuardThresholdsForm thresholds={guard} />
          </Card>
        </div>
        <div className="mt-4">
          <Card title={t.privacy.retentionTitle} testId="retention-settings">
            <RetentionForm months={retentionMonths} />
          </Card>
        </div>
        <div className="mt-4">
          <Card title={t.channels.region} testId="phone-region-settings">
            <PhoneRegionForm region={phoneRegion} />
            <div className="mt-4">
              <SmsOptOutSuffixToggle on={smsOptOutSuffix} />
            </div>
          </Card>
        </div>
      </div>
    </div>
  );
});
