import { ActiveBadge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { DataTable } from "@/components/ui/data-table";
import { Td, TimeCell } from "@/components/ui/table";
import { listDepartments } from "@/lib/accounts/departments";
import { listApiKeys } from "@/lib/accounts/api-keys";
import { format } from "@/lib/i18n";
import { readEnv } from "@/lib/config/env";
import { consolePage } from "@/app/(console)/_page/console-page";
import { ApiKeyForm, ApiKeyRateLimit, RevokeApiKey } from "./api-key-forms";

export default consolePage("apikey.view", async function ApiKeysPage(ctx) {
  const { t, actor } = ctx;
  const defaultRate = readEnv().rateLimits.api;
  const [keys, departments] = await Promise.all([listApiKeys(ctx), listDepartments(ctx, { offset: 0, limit: 1000 })]);
  const scopes = [
    ...(actor.role === "admin" ? [{ value: "company", label: t.apiKeys.company }] : []),
    ...departments.rows.map((row) => ({ value: row.id, label: row.name })),
  ];
  return (
    <div className="space-y-5">
      <PageHeader title={t.apiKeys.title} />
      <Card title={t.apiKeys.new}>
        <ApiKeyForm scopes={scopes} defaultRate={defaultRate} />
      </Card>
      <DataTable
        testId="api-keys-table"
        columns={[t.common.name, t.apiKeys.prefix, t.apiKeys.scope, t.common.created, t.apiKeys.lastUsed, t.apiKeys.rateLimit, t.common.status, t.common.actions]}
        rows={keys}
        empty={t.common.noRows}
      >
        {(key) => (
          <tr key={key.id} data-testid={`api-key-row-${key.prefix}`}>
            <Td className="font-medium text-slate-900">{key.name || t.common.none}</Td>
            <Td className="font-mono text-xs">{key.prefix}…</Td>
            <Td>{key.departmentName ?? t.apiKeys.company}</Td>
            <TimeCell at={key.createdAt} timeZone={ctx.timeZone} />
            <TimeCell at={key.lastUsedAt} timeZone={ctx.timeZone} none={t.common.none} />
            <Td>
              {key.revokedAt ? (
                (key.rateLimitPerMinute ?? format(t.apiKeys.defaultRate, { rate: defaultRate }))
              ) : (
                <ApiKeyRateLimit id={key.id} prefix={key.prefix} rateLimit={key.rateLimitPerMinute} defaultRate={defaultRate} />
              )}
            </Td>
            <Td>
              <ActiveBadge active={!key.revokedAt} labels={{ active: t.common.active, inactive: t.apiKeys.revoked }} />
            </Td>
            <Td>{key.revokedAt ? null : <RevokeApiKey id={key.id} />}</Td>
          </tr>
        )}
      </DataTable>
    </div>
  );
});
