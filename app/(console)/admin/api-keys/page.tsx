import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { listDepartments } from "@/lib/accounts/departments";
import { listApiKeys } from "@/lib/accounts/api-keys";
import { consolePage } from "@/app/(console)/_page/console-page";
import { formatInZone } from "@/lib/time/zone";
import { ApiKeyForm, RevokeApiKey } from "./api-key-forms";

export default consolePage("apikey.view", async function ApiKeysPage(ctx) {
  const { t, actor } = ctx;
  const [keys, departments] = await Promise.all([listApiKeys(ctx), listDepartments(ctx, { offset: 0, limit: 1000 })]);
  const scopes = [
    ...(actor.role === "admin" ? [{ value: "company", label: t.apiKeys.company }] : []),
    ...departments.rows.map((row) => ({ value: row.id, label: row.name })),
  ];
  return (
    <div className="space-y-5">
      <PageHeader title={t.apiKeys.title} />
      <Card title={t.apiKeys.new}>
        <ApiKeyForm scopes={scopes} />
      </Card>
      <Table testId="api-keys-table">
        <thead>
          <tr>
            <Th>{t.common.name}</Th>
            <Th>{t.apiKeys.prefix}</Th>
            <Th>{t.apiKeys.scope}</Th>
            <Th>{t.common.created}</Th>
            <Th>{t.apiKeys.lastUsed}</Th>
            <Th>{t.common.status}</Th>
            <Th>{t.common.actions}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {keys.length === 0 ? <EmptyRow colSpan={7}>{t.common.noRows}</EmptyRow> : null}
          {keys.map((key) => (
            <tr key={key.id} data-testid={`api-key-row-${key.prefix}`}>
              <Td className="font-medium text-slate-900">{key.name || t.common.none}</Td>
              <Td className="font-mono text-xs">{key.prefix}…</Td>
              <Td>{key.departmentName ?? t.apiKeys.company}</Td>
              <Td className="tabular-nums">{formatInZone(key.createdAt, ctx.timeZone)}</Td>
              <Td className="tabular-nums">{key.lastUsedAt ? formatInZone(key.lastUsedAt, ctx.timeZone) : t.common.none}</Td>
              <Td>{key.revokedAt ? <Badge tone="red">{t.apiKeys.revoked}</Badge> : <Badge tone="green">{t.common.active}</Badge>}</Td>
              <Td>{key.revokedAt ? null : <RevokeApiKey id={key.id} />}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
});
