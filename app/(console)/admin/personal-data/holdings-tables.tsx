import type { ReactNode } from "react";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { Td, TimeCell } from "@/components/ui/table";
import { format, type Messages } from "@/lib/i18n";
import type { Holdings } from "@/lib/privacy/holdings";

/** Rows of each long kind (deliveries, events, operation-log mentions) on one page; the JSON export holds them all. */
export const HOLDINGS_PAGE = 20;

type Props = { holdings: Holdings; t: Messages; timeZone: string; page: number };

const compact = (value: unknown) => {
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
};

/** What is held about the address, grouped by kind, each a table. */
export function HoldingsTables({ holdings, t, timeZone, page }: Props): ReactNode {
  const p = t.privacy;
  const slice = <T,>(rows: T[]) => rows.slice((page - 1) * HOLDINGS_PAGE, page * HOLDINGS_PAGE);
  const stored = Object.entries(holdings.stored).map(([kind, value]) => ({ kind: kind as keyof Holdings["stored"], count: Array.isArray(value) ? value.length : value }));
  return (
    <div className="space-y-4">
      <Card title={`${p.contacts} (${holdings.contacts.length})`} testId="privacy-contacts">
        <DataTable columns={[t.common.department, t.common.name, t.channels.phone, t.channels.wecomUserId, p.status, p.pools, p.tags, p.attributes]} rows={holdings.contacts} empty={t.common.noRows}>
          {(row) => (
            <tr key={row.id}>
              <Td>{row.department}</Td>
              <Td>{row.name || t.common.none}</Td>
              <Td>{row.phone ?? t.common.none}</Td>
              <Td>{row.wecomUserId ?? t.common.none}</Td>
              <Td>{row.status}</Td>
              <Td className="whitespace-normal">{row.pools.join(", ") || t.common.none}</Td>
              <Td className="whitespace-normal">{row.tags.join(", ") || t.common.none}</Td>
              <Td className="max-w-xs truncate">{compact(row.attributes)}</Td>
            </tr>
          )}
        </DataTable>
      </Card>
      <Card title={`${p.deliveries} (${holdings.deliveries.length})`} testId="privacy-deliveries">
        <DataTable columns={[p.task, p.status, p.sentAt, p.opensClicks]} rows={slice(holdings.deliveries)} empty={t.common.noRows}>
          {(row) => (
            <tr key={row.id}>
              <Td className="max-w-xs truncate">{row.task}</Td>
              <Td>{row.category ? `${row.status} · ${row.category}` : row.status}</Td>
              <TimeCell at={row.sentAt} timeZone={timeZone} none={t.common.none} />
              <Td className="tabular-nums">{`${row.openCount} / ${row.clickCount}`}</Td>
            </tr>
          )}
        </DataTable>
        {holdings.redactedDeliveries > 0 ? <p className="mt-2 text-xs text-slate-500">{format(p.redacted, { count: holdings.redactedDeliveries })}</p> : null}
      </Card>
      <Card title={`${p.events} (${holdings.events.length})`} testId="privacy-events">
        <DataTable columns={[p.type, p.at, p.detail]} rows={slice(holdings.events)} empty={t.common.noRows}>
          {(row) => (
            <tr key={`${row.deliveryId}-${row.occurredAt}-${row.type}`}>
              <Td>{row.type}</Td>
              <TimeCell at={row.occurredAt} timeZone={timeZone} />
              <Td className="max-w-xs truncate">{compact(row.detail)}</Td>
            </tr>
          )}
        </DataTable>
      </Card>
      <Card title={`${p.suppressions} (${holdings.suppressions.length})`} testId="privacy-suppressions">
        <DataTable columns={[t.common.department, p.reason, p.at]} rows={holdings.suppressions} empty={t.common.noRows}>
          {(row) => (
            <tr key={`${row.departmentId}-${row.reason}`}>
              <Td>{row.department}</Td>
              <Td>{row.erased ? p.erasedEntry : t.suppressions.reasons[row.reason as keyof typeof t.suppressions.reasons] ?? row.reason}</Td>
              <TimeCell at={row.createdAt} timeZone={timeZone} />
            </tr>
          )}
        </DataTable>
      </Card>
      <Card title={`${p.channelSuppressions} (${holdings.channelSuppressions.length})`} testId="privacy-channel-suppressions">
        <DataTable columns={[t.common.department, t.channels.suppressionChannel, t.channels.address, p.reason, p.at]} rows={holdings.channelSuppressions} empty={t.common.noRows}>
          {(row) => (
            <tr key={`${row.departmentId}-${row.channel}-${row.address}`}>
              <Td>{row.department}</Td>
              <Td>{t.channels.names[row.channel as keyof typeof t.channels.names] ?? row.channel}</Td>
              <Td>{row.address}</Td>
              <Td>{t.channels.reasons[row.reason as keyof typeof t.channels.reasons] ?? row.reason}</Td>
              <TimeCell at={row.createdAt} timeZone={timeZone} />
            </tr>
          )}
        </DataTable>
      </Card>
      <Card title={`${p.automations} (${holdings.automations.length})`} testId="privacy-automations">
        <DataTable columns={[t.common.department, p.automation, p.status, p.at]} rows={holdings.automations} empty={t.common.noRows}>
          {(row) => (
            <tr key={`${row.departmentId}-${row.automation}-${row.enrolledAt}`}>
              <Td>{row.department}</Td>
              <Td>{row.automation}</Td>
              <Td>{format(p.automationStatus[row.status as keyof typeof p.automationStatus] ?? row.status, { step: row.step + 1 })}</Td>
              <TimeCell at={row.enrolledAt} timeZone={timeZone} />
            </tr>
          )}
        </DataTable>
      </Card>
      <Card title={`${p.audit} (${holdings.auditMentions.length})`} testId="privacy-audit">
        <DataTable columns={[p.at, p.type, t.common.name]} rows={slice(holdings.auditMentions)} empty={t.common.noRows}>
          {(row) => (
            <tr key={row.id}>
              <TimeCell at={row.at} timeZone={timeZone} />
              <Td>{t.auditActions[row.action as keyof typeof t.auditActions] ?? row.action}</Td>
              <Td className="max-w-xs truncate">{row.summary}</Td>
            </tr>
          )}
        </DataTable>
      </Card>
      <Card title={p.stored} testId="privacy-stored">
        <DataTable columns={[p.type, p.count]} rows={stored} empty={t.common.noRows}>
          {(row) => (
            <tr key={row.kind}>
              <Td className="whitespace-normal">{p.storedKinds[row.kind]}</Td>
              <Td className="tabular-nums">{row.count}</Td>
            </tr>
          )}
        </DataTable>
      </Card>
    </div>
  );
}
