import { ClientSettings } from "@/components/gateway/client-settings";
import { FilterField, FilterForm } from "@/components/forms/filter-form";
import { ActiveBadge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { Td } from "@/components/ui/table";
import { listDepartments } from "@/lib/accounts/departments";
import { can } from "@/lib/access/policy";
import { entranceSettings } from "@/lib/gateway/settings";
import { listSmtpAccounts, type SmtpAccountView } from "@/lib/gateway/smtp-accounts";
import { format, type Messages } from "@/lib/i18n";
import { formatInZone } from "@/lib/time/zone";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam, pageNumber } from "@/app/(console)/_page/search-params";
import { CreateSmtpAccountForm, SmtpAccountActions } from "./smtp-account-forms";

const PAGE_SIZE = 50;

function limitsOf(account: SmtpAccountView, words: Messages["smtpAccounts"]): string {
  const parts = [
    account.messagesPerMinute === null ? null : format(words.perMinute, { count: account.messagesPerMinute }),
    account.maxRecipients === null ? null : format(words.perMessage, { count: account.maxRecipients }),
    account.allowedIps?.length ? format(words.fromIps, { ranges: account.allowedIps.join(", ") }) : null,
    account.tracking ? null : words.trackingOff,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(" · ") : words.noLimits;
}

/** 域帐号管理: the SMTP accounts group-send clients log in with, and the settings those clients need (服务器IP). */
export default consolePage("smtp_accounts.view", async function SmtpAccountsPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const words = t.smtpAccounts;
  const params = await searchParams;
  const page = pageNumber(params.page);
  const q = firstParam(params.q);
  const department = firstParam(params.department);
  const manages = can(actor.role, "smtp_accounts.manage");
  // A department user has one department; others choose (and admins create for) one of theirs.
  const [accounts, departments] = await Promise.all([
    listSmtpAccounts(ctx, { departmentId: department, q, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }),
    actor.role === "department" ? Promise.resolve(null) : listDepartments(ctx, { offset: 0, limit: 1000 }),
  ]);
  const departmentOptions = departments?.rows.map((row) => ({ id: row.id, name: row.name })) ?? null;
  const chosen = departmentOptions?.find((row) => row.id === department);
  return (
    <div className="space-y-5">
      <PageHeader title={chosen ? format(words.titleFor, { department: chosen.name }) : words.title}>
        {format(t.common.showing, { count: accounts.rows.length, total: accounts.total })}
      </PageHeader>
      <p className="max-w-3xl text-sm text-slate-600">{words.explain}</p>
      <Card title={words.clientSettings} testId="smtp-client-settings-card">
        <ClientSettings settings={entranceSettings()} words={words} />
      </Card>
      {manages ? (
        <Card title={words.add}>
          <CreateSmtpAccountForm departments={actor.role === "admin" ? departmentOptions : null} />
        </Card>
      ) : null}
      <FilterForm testId="smtp-account-filter" submit={{ label: t.common.filter }}>
        <FilterField label={words.search}>
          <Input name="q" defaultValue={q ?? ""} className="w-full sm:w-48" data-testid="smtp-account-search" />
        </FilterField>
        {departmentOptions ? (
          <FilterField label={t.common.department}>
            <Select name="department" defaultValue={department ?? ""} className="w-full sm:w-48" data-testid="smtp-account-department">
              <option value="">{words.allDepartments}</option>
              <Options choices={departmentOptions.map((row) => ({ value: row.id, label: row.name }))} />
            </Select>
          </FilterField>
        ) : null}
      </FilterForm>
      <DataTable
        testId="smtp-accounts-table"
        columns={[words.username, departmentOptions && t.common.department, t.common.status, words.limits, words.lastUsed, manages && t.common.actions]}
        rows={accounts.rows}
        empty={t.common.noRows}
      >
        {(account) => (
          <tr key={account.id} data-testid={`smtp-account-row-${account.username}`} className="align-top">
            <Td className="font-mono font-medium text-slate-900">
              {account.username}
              {account.note ? <span className="block font-sans text-xs font-normal text-slate-500">{account.note}</span> : null}
            </Td>
            {departmentOptions ? <Td>{account.departmentName}</Td> : null}
            <Td>
              <ActiveBadge active={!account.disabled} labels={{ active: t.common.active, inactive: t.common.disabled }} />
            </Td>
            <Td className="max-w-64 whitespace-normal text-xs" data-testid="smtp-account-limits">
              {limitsOf(account, words)}
            </Td>
            <Td className="tabular-nums text-xs" data-testid="smtp-account-last-used">
              {account.lastUsedAt ? formatInZone(new Date(account.lastUsedAt), ctx.timeZone) : words.never}
              {account.lastIp ? <span className="block text-slate-500">{account.lastIp}</span> : null}
            </Td>
            {manages ? (
              <Td>
                <SmtpAccountActions account={account} />
              </Td>
            ) : null}
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={page * PAGE_SIZE < accounts.total} params={{ q, department }} labels={t.common} />
    </div>
  );
});
