import Link from "next/link";
import { WEBHOOK_EVENT_TYPES } from "@/db/schema/webhooks";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { Td } from "@/components/ui/table";
import { listDepartments } from "@/lib/accounts/departments";
import { readSetting } from "@/lib/accounts/settings";
import { readEnv } from "@/lib/config/env";
import { format } from "@/lib/i18n";
import { formatInZone } from "@/lib/time/zone";
import { listWebhookEndpoints } from "@/lib/webhooks/endpoints";
import { listWebhookMessages } from "@/lib/webhooks/messages";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam, pageNumber } from "@/app/(console)/_page/search-params";
import { AllowPrivateToggle, CreateWebhookForm, ReplayButton, WebhookActions } from "./webhook-forms";

const PAGE_SIZE = 20;
const LOG_PAGE_SIZE = 20;

/** Outgoing webhooks: a department's endpoints (an admin's: all, and company-wide ones), each with its delivery log. */
export default consolePage("webhooks.manage", async function WebhooksPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const words = t.webhooks;
  const params = await searchParams;
  const page = pageNumber(params.page);
  const shown = firstParam(params.endpoint);
  const logPage = pageNumber(params.logPage);
  const [endpoints, departments, log, allowPrivate] = await Promise.all([
    listWebhookEndpoints(ctx, { offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE }),
    actor.role === "admin" ? listDepartments(ctx, { offset: 0, limit: 1000 }) : Promise.resolve(null),
    shown ? listWebhookMessages(ctx, shown, { offset: (logPage - 1) * LOG_PAGE_SIZE, limit: LOG_PAGE_SIZE }) : Promise.resolve(null),
    readSetting(ctx.db, "webhooksAllowPrivate"),
  ]);
  const kindName = (kind: string) => words.kinds[kind as keyof typeof words.kinds] ?? kind;
  const time = (value: Date | null) => (value ? formatInZone(new Date(value), ctx.timeZone) : "—");
  return (
    <div className="space-y-5">
      <PageHeader title={words.title}>{format(t.common.showing, { count: endpoints.rows.length, total: endpoints.total })}</PageHeader>
      <p className="max-w-3xl text-sm text-slate-600">{words.explain}</p>
      <Card title={words.add}>
        <CreateWebhookForm departments={departments?.rows.map((row) => ({ id: row.id, name: row.name })) ?? null} kinds={WEBHOOK_EVENT_TYPES} />
        {actor.role === "admin" ? (
          <div className="mt-4 border-t border-slate-100 pt-3">
            <AllowPrivateToggle allowed={allowPrivate} byEnvironment={readEnv().webhooks.allowPrivate} />
          </div>
        ) : null}
      </Card>
      <DataTable
        testId="webhooks-table"
        columns={[words.url, actor.role === "admin" && words.owner, words.events, t.common.status, t.common.created, t.common.actions]}
        rows={endpoints.rows}
        empty={t.common.noRows}
      >
        {(endpoint) => (
          <tr key={endpoint.id} data-testid={`webhook-row-${endpoint.id}`} className="align-top">
            <Td className="max-w-72 whitespace-normal break-all font-mono text-xs">
              {endpoint.url}
              <Link href={`?endpoint=${endpoint.id}`} className="mt-1 block font-sans text-indigo-600 hover:underline" data-testid="webhook-log-link">
                {words.log}
              </Link>
            </Td>
            {actor.role === "admin" ? <Td>{endpoint.departmentName ?? words.companyWide}</Td> : null}
            <Td className="max-w-56 whitespace-normal text-xs">{endpoint.events.map(kindName).join(", ")}</Td>
            <Td className="whitespace-normal" data-testid="webhook-status-cell">
              {endpoint.enabled ? (
                <Badge tone="green">{t.common.active}</Badge>
              ) : (
                <span className="block max-w-48 text-xs text-red-700" role="status">
                  <Badge tone="red">{t.common.disabled}</Badge>
                  <span className="mt-1 block">{words.disabledBecause[endpoint.disabledReason ?? "manual"]}</span>
                </span>
              )}
            </Td>
            <Td className="text-xs tabular-nums">{time(endpoint.createdAt)}</Td>
            <Td>
              <WebhookActions endpoint={endpoint} />
            </Td>
          </tr>
        )}
      </DataTable>
      <Pagination page={page} hasMore={page * PAGE_SIZE < endpoints.total} params={{ endpoint: shown }} labels={t.common} />
      {log ? (
        <Card title={format(words.logOf, { url: log.endpoint.url })} testId="webhook-log">
          <Link href="?" className="mb-2 inline-block text-sm text-indigo-600 hover:underline">
            {words.closeLog}
          </Link>
          <DataTable
            testId="webhook-log-table"
            columns={[words.event, t.common.status, words.attempts, words.lastResponse, words.time, t.common.actions]}
            rows={log.rows}
            empty={t.common.noRows}
          >
            {(message) => (
              <tr key={message.id} data-testid={`webhook-message-${message.id}`} className="align-top">
                <Td className="text-xs">
                  {kindName(message.type)}
                  <span className="block font-mono text-slate-500">msg_{message.id}</span>
                </Td>
                <Td className="whitespace-normal text-xs">
                  {words.statuses[message.status]}
                  {message.status === "pending" && message.attempts > 0 ? <span className="block text-slate-500">{format(words.nextAttempt, { time: time(message.nextAttemptAt) })}</span> : null}
                </Td>
                <Td className="tabular-nums">{message.attempts}</Td>
                <Td className="max-w-64 whitespace-normal break-all text-xs">
                  <span className="font-medium">{message.lastStatusCode ?? (message.attempts > 0 ? words.noAnswer : "—")}</span>
                  {message.lastResponse || message.lastError ? <span className="block font-mono text-slate-500">{(message.lastResponse || message.lastError || "").slice(0, 200)}</span> : null}
                </Td>
                <Td className="text-xs tabular-nums">{time(message.lastAttemptAt ?? message.createdAt)}</Td>
                <Td>
                  <ReplayButton endpointId={log.endpoint.id} messageId={message.id} />
                </Td>
              </tr>
            )}
          </DataTable>
          <Pagination page={logPage} hasMore={logPage * LOG_PAGE_SIZE < log.total} params={{ endpoint: log.endpoint.id, page: String(page) }} labels={{ ...t.common, page: t.common.page }} />
        </Card>
      ) : null}
    </div>
  );
});
