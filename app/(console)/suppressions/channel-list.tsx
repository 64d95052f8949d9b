import Link from "next/link";
import { FilterForm } from "@/components/forms/filter-form";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { Input } from "@/components/ui/field";
import { KeysetNav } from "@/components/ui/pagination";
import { Td, TimeCell } from "@/components/ui/table";
import { CONTACT_CHANNELS, type ContactChannel } from "@/db/schema";
import type { Ctx } from "@/lib/access/context";
import { formatPhone } from "@/lib/channels/phone";
import type { Messages } from "@/lib/i18n";
import { listChannelSuppressions } from "@/lib/pools/channel-suppression";
import { AddChannelSuppressionsForm, RemoveChannelSuppression } from "./channel-forms";

/** Which list the suppression page shows: e-mail's (the default) or one channel's. */
export type SuppressionChannel = "email" | ContactChannel;

export function suppressionChannelOf(param: string | undefined): SuppressionChannel {
  return (CONTACT_CHANNELS as readonly string[]).includes(param ?? "") ? (param as ContactChannel) : "email";
}

/** Links to each channel's list; wraps on a narrow screen. */
export function ChannelSwitcher({ current, t }: { current: SuppressionChannel; t: Messages }) {
  return (
    <nav className="flex flex-wrap gap-2" aria-label={t.channels.suppressionChannel} data-testid="suppression-channels">
      {(["email", ...CONTACT_CHANNELS] as const).map((channel) => (
        <Link
          key={channel}
          href={channel === "email" ? "/suppressions" : `/suppressions?channel=${channel}`}
          aria-current={channel === current ? "page" : undefined}
          className={`rounded-md px-3 py-1.5 text-sm ring-1 ring-inset ${channel === current ? "bg-indigo-600 text-white ring-indigo-600" : "bg-white text-slate-700 ring-slate-300 hover:bg-slate-50"}`}
          data-testid={`suppression-channel-${channel}`}
        >
          {t.channels.names[channel]}
        </Link>
      ))}
    </nav>
  );
}

/** One channel's opt-outs: add (pasted), filter, page by the list's cursor, remove with a reason. */
export async function ChannelSuppressionList({ ctx, t, channel, q, before, departments }: {
  ctx: Ctx & { timeZone: string };
  t: Messages;
  channel: ContactChannel;
  q: string | undefined;
  before: string | undefined;
  departments: { id: string; name: string }[] | null;
}) {
  const { rows, nextBefore } = await listChannelSuppressions(ctx, channel, { q, before });
  const nextQuery = new URLSearchParams({ channel });
  if (q) nextQuery.set("q", q);
  if (nextBefore) nextQuery.set("before", nextBefore);
  return (
    <>
      <Card title={`${t.suppressions.add} · ${t.channels.names[channel]}`}>
        <AddChannelSuppressionsForm channel={channel} departments={departments} />
      </Card>
      <FilterForm submit={{ label: t.common.filter }}>
        <input type="hidden" name="channel" value={channel} />
        <Input name="q" defaultValue={q ?? ""} placeholder={t.channels.address} aria-label={t.channels.address} className="w-64 max-w-full" />
      </FilterForm>
      <DataTable
        testId="channel-suppressions-table"
        columns={[departments !== null && t.common.department, t.channels.address, t.suppressions.reason, t.suppressions.note, t.suppressions.at, t.common.actions]}
        rows={rows}
        empty={t.common.noRows}
      >
        {(row) => (
          <tr key={`${row.departmentId}:${row.address}`} data-testid={`channel-suppression-row-${row.address}`}>
            {departments !== null ? <Td>{row.departmentName}</Td> : null}
            <Td className="font-medium text-slate-900">{channel === "wecom" ? row.address : formatPhone(row.address)}</Td>
            <Td>
              <Badge tone="red">{t.channels.reasons[row.reason]}</Badge>
            </Td>
            <Td className="max-w-xs truncate">{row.note || t.common.none}</Td>
            <TimeCell at={row.createdAt} timeZone={ctx.timeZone} />
            <Td>
              <RemoveChannelSuppression departmentId={row.departmentId} channel={channel} address={row.address} />
            </Td>
          </tr>
        )}
      </DataTable>
      <KeysetNav next={nextBefore ? { href: `?${nextQuery.toString()}`, label: t.common.next } : null} />
    </>
  );
}
