import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { DataTable } from "@/components/ui/data-table";
import { Td } from "@/components/ui/table";
import { listDepartments } from "@/lib/accounts/departments";
import { readSetting } from "@/lib/accounts/settings";
import { consolePage } from "@/app/(console)/_page/console-page";
import { listDomains } from "@/lib/senders/domains";
import { listSenders } from "@/lib/senders/senders";
import { AddDomainForm, AddSenderForm, CheckDomainButton, DeleteSenderButton, DomainClaimButtons, RequireVerifiedToggle } from "./sender-forms";

export default consolePage("senders.manage", async function SendersPage(ctx) {
  const { t, actor } = ctx;
  const [domains, senders, departments, requireVerified] = await Promise.all([
    listDomains(ctx),
    listSenders(ctx),
    actor.role === "admin" ? listDepartments(ctx, { offset: 0, limit: 1000 }) : Promise.resolve(null),
    readSetting(ctx.db, "requireVerifiedDomains"),
  ]);
  const departmentOptions = departments?.rows.map((row) => ({ id: row.id, name: row.name })) ?? null;
  const tone = (status: string) => (status === "verified" ? "green" : status === "failed" ? "red" : "amber");
  return (
    <div className="space-y-6">
      <PageHeader title={t.senders.title} actions={actor.role === "admin" ? <RequireVerifiedToggle required={requireVerified} /> : null} />
      <Card title={t.senders.addDomain}>
        <AddDomainForm departments={departmentOptions} />
      </Card>
      {domains.length === 0 ? null : (
        <div className="space-y-4" data-testid="domains">
          {domains.map((domain) => (
            <Card key={domain.id} testId={`domain-${domain.domain}`}>
              <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
                <div className="flex items-center gap-2">
                  <span className="font-semibold text-slate-900">{domain.domain}</span>
                  <Badge tone={tone(domain.status)}>{t.senders.statuses[domain.status]}</Badge>
                  <span className="text-xs text-slate-500">{domain.departmentName ?? t.senders.companyWide}</span>
                  {domain.approval === "pending" ? (
                    <span data-testid={`approval-${domain.domain}`}>
                      <Badge tone="amber">{t.senders.pendingApproval}</Badge>
                    </span>
                  ) : null}
                </div>
                <div className="flex items-center gap-2">
                  {domain.approval === "pending" && actor.role === "admin" ? <DomainClaimButtons id={domain.id} domain={domain.domain} /> : null}
                  <CheckDomainButton id={domain.id} />
                </div>
              </div>
              {domain.approval === "pending" ? <p className="mb-3 text-xs text-amber-700">{t.senders.pendingExplain}</p> : null}
              <div className="text-xs font-medium text-slate-500">{t.senders.records}</div>
              <table className="mt-1 w-full text-xs">
                <thead className="text-left text-slate-500">
                  <tr>
                    <th className="py-1 pr-3">{t.senders.type}</th>
                    <th className="py-1 pr-3">{t.senders.host}</th>
                    <th className="py-1 pr-3">{t.senders.value}</th>
                    <th className="py-1">{t.senders.found}</th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100 align-top">
                  {domain.records.map((record) => {
                    const check = domain.checks.find((item) => item.record === record.record);
                    return (
                      <tr key={record.record} data-testid={`record-${record.record}`}>
                        <td className="py-1 pr-3 font-mono">{record.type}</td>
                        <td className="py-1 pr-3 font-mono">{record.host}</td>
                        <td className="max-w-md break-all py-1 pr-3 font-mono">{record.value}</td>
                        <td className="py-1">
                          {check ? (
                            <span className={check.pass ? "text-emerald-700" : "text-red-600"}>
                              {check.pass ? t.senders.pass : t.senders.fail}: {check.detail}
                              <span className="block break-all text-slate-500">{check.found.join(" | ")}</span>
                            </span>
                          ) : (
                            t.common.none
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </Card>
          ))}
        </div>
      )}
      <Card title={t.senders.addSender}>
        <AddSenderForm departments={departmentOptions} />
      </Card>
      <DataTable
        testId="senders-table"
        columns={[departmentOptions && t.common.department, t.senders.address, t.senders.displayName, t.senders.domain, t.common.actions]}
        rows={senders}
        empty={t.common.noRows}
      >
        {(sender) => (
          <tr key={sender.id} data-testid={`sender-row-${sender.address}`}>
            {departmentOptions ? <Td>{sender.departmentName}</Td> : null}
            <Td className="font-medium text-slate-900">{sender.address}</Td>
            <Td>{sender.name || t.common.none}</Td>
            <Td>
              <Badge tone={tone(sender.domainStatus)}>{t.senders.statuses[sender.domainStatus]}</Badge>
              {sender.domainStatus !== "verified" ? (
                <span className="ml-2 text-xs text-amber-700" title={t.senders.unverifiedWarning}>
                  ⚠ {t.senders.unverifiedWarning}
                </span>
              ) : null}
            </Td>
            <Td>
              <DeleteSenderButton id={sender.id} />
            </Td>
          </tr>
        )}
      </DataTable>
    </div>
  );
});
