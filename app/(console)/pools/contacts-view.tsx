import type { ReactNode } from "react";
import Link from "next/link";
import { FilterForm } from "@/components/forms/filter-form";
import { DataTable } from "@/components/ui/data-table";
import { Input, Select } from "@/components/ui/field";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { KeysetNav } from "@/components/ui/pagination";
import { Options } from "@/components/ui/options";
import { Td, TimeCell } from "@/components/ui/table";
import { CONTACT_STATUSES, type ContactStatus } from "@/db/schema";
import { format } from "@/lib/i18n";
import type { PageContext } from "@/app/(console)/_page/console-page";
import { Card } from "@/components/ui/card";
import { countMatching } from "@/lib/pools/contact-edits";
import { listContacts, type ContactScope } from "@/lib/pools/contacts";
import { HYGIENE_FLAGS, isHygieneFlag } from "@/lib/pools/hygiene/flags";
import { readPhoneRegion } from "@/lib/accounts/settings";
import { formatPhone } from "@/lib/channels/phone";
import { AddContactForm, BulkContactActions, ContactRowActions } from "./contact-forms";
import { ContactTags } from "./tag-forms";

type Params = { q?: string; status?: string; hygiene?: string; tag?: string; cursor?: string };

/** The address table of a pool or of Uncategorised: search, status filter, keyset pages, export. */
export async function ContactsView({
  ctx,
  scope,
  title,
  params,
  basePath,
  exportPath,
  fixed = {},
  actions,
  manage,
  tagChoices = [],
}: {
  ctx: PageContext;
  scope: ContactScope;
  title: string;
  params: Params;
  basePath: string;
  exportPath: string;
  /** Query parameters every link keeps (the department of Uncategorised). */
  fixed?: Record<string, string>;
  actions?: ReactNode;
  /** 地址维护: add, edit, delete, unsubscribe and bulk actions on this pool's rows. */
  manage?: { poolId: string };
  /** The department's tag names, for the tag filter (none: no filter shown). */
  tagChoices?: string[];
}) {
  const { t } = ctx;
  const status = (CONTACT_STATUSES as readonly string[]).includes(params.status ?? "") ? (params.status as ContactStatus) : undefined;
  const cursor = params.cursor && /^\d+$/.test(params.cursor) ? Number(params.cursor) : undefined;
  const hygiene = HYGIENE_FLAGS.find((flag) => flag === params.hygiene);
  const tag = params.tag?.trim() || undefined;
  // The filter shows the tag as the vocabulary writes it (the URL may have another case), or as typed when it names none.
  const shownTag = tag && (tagChoices.find((choice) => choice.toLowerCase() === tag.toLowerCase()) ?? tag);
  const choices = shownTag && !tagChoices.includes(shownTag) ? [shownTag, ...tagChoices] : tagChoices;
  const [page, phoneRegion] = await Promise.all([listContacts(ctx, scope, { q: params.q, status, hygiene, tag, cursor }), readPhoneRegion(ctx.db)]);
  const q = params.q?.trim() ?? "";
  // A bulk action on the search confirms how many rows it covers, so the page counts them (only when there is a search).
  // Bulk actions on a search do not know the hygiene filter, so none is offered while it is on.
  const matching = manage && (q || status || tag) && !hygiene ? { count: await countMatching(ctx, manage.poolId, { q, status, tag }), q, status: status ?? "", tag: tag ?? "" } : null;
  const bulkFormId = "bulk-contacts-form";
  const href = (path: string, extra: Record<string, string | undefined> = {}) => {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries({ ...fixed, q: params.q, status, hygiene, tag, ...extra })) if (value) search.set(key, value);
    const text = search.toString();
    return text ? `${path}?${text}` : path;
  };
  return (
    <div className="space-y-4">
      <PageHeader
        title={title}
        actions={
          <>
            <a className="rounded-md px-3 py-1.5 text-sm ring-1 ring-slate-300 hover:bg-slate-50" href={href(exportPath)} data-testid="export-csv">
              {t.pools.export}
            </a>
            {actions}
          </>
        }
      />
      <FilterForm action={basePath} testId="contact-filters" submit={{ label: t.common.filter }}>
        {Object.entries(fixed).map(([key, value]) => (
          <input key={key} type="hidden" name={key} value={value} />
        ))}
        <Input name="q" defaultValue={params.q ?? ""} placeholder={t.pools.search} aria-label={t.pools.search} className="w-72" data-testid="contact-search" />
        <Select name="status" defaultValue={status ?? ""} aria-label={t.pools.status} className="w-40">
          <option value="">{t.pools.anyStatus}</option>
          <Options choices={CONTACT_STATUSES.map((value) => ({ value, label: t.pools.statuses[value] }))} />
        </Select>
        <Select name="hygiene" defaultValue={hygiene ?? ""} aria-label={t.hygiene.filter} className="w-44" data-testid="hygiene-filter">
          <option value="">{`${t.hygiene.filter}: ${t.hygiene.filterAny}`}</option>
          <Options choices={HYGIENE_FLAGS.map((value) => ({ value, label: t.hygiene.flags[value] }))} />
        </Select>
        {choices.length > 0 ? (
          <Select name="tag" defaultValue={shownTag ?? ""} aria-label={t.tags.filter} className="w-40" data-testid="tag-filter">
            <option value="">{`${t.tags.filter}: ${t.tags.filterAny}`}</option>
            <Options choices={choices.map((value) => ({ value, label: value }))} />
          </Select>
        ) : null}
      </FilterForm>
      {manage ? (
        <>
          <Card title={t.contacts.addTitle}>
            <AddContactForm poolId={manage.poolId} phoneRegion={phoneRegion} />
          </Card>
          <BulkContactActions poolId={manage.poolId} formId={bulkFormId} matching={matching} />
        </>
      ) : null}
      <DataTable
        testId="contacts-table"
        columns={[manage ? { label: "", className: "w-8" } : null, t.common.email, t.common.name, t.channels.phone, t.pools.status, t.tags.column, t.pools.attributes, t.pools.added, manage ? t.contacts.actions : null]}
        rows={page.contacts}
        empty={t.common.noRows}
      >
        {(contact) => (
          <tr key={contact.id}>
            {manage ? (
              <Td>
                <input type="checkbox" form={bulkFormId} name="ids" value={contact.id} aria-label={format(t.contacts.select, { email: contact.email })} />
              </Td>
            ) : null}
            <Td className="font-medium text-slate-900">{contact.email}</Td>
            <Td>{contact.name || t.common.none}</Td>
            <Td className="whitespace-nowrap" data-testid={`contact-phone-${contact.email}`}>
              {contact.phone || contact.wecomUserId ? (
                <Link href={`/contacts/${contact.id}`} className="text-indigo-700 hover:underline" aria-label={format(t.conversation.open, { contact: contact.email })}>
                  {contact.phone ? formatPhone(contact.phone) : contact.wecomUserId}
                </Link>
              ) : (
                t.common.none
              )}
              {contact.channelConsent.map((channel) => (
                <span key={channel} className="ml-1">
                  <Badge tone="indigo">{t.channels.names[channel]}</Badge>
                </span>
              ))}
            </Td>
            <Td className="space-x-1">
              <Badge tone={contact.status === "active" ? "green" : contact.status === "pending" ? "amber" : "red"}>{t.pools.statuses[contact.status]}</Badge>
              {contact.suppressedReason ? <Badge tone="red">{`${t.pools.suppressed}: ${t.suppressions.reasons[contact.suppressedReason]}`}</Badge> : null}
              {contact.hygiene.filter(isHygieneFlag).map((flag) => (
                <Badge key={flag} tone="amber">
                  {flag === "typo" && contact.hygieneSuggestion ? `${t.hygiene.flags.typo}: ${format(t.hygiene.suggestion, { suggestion: contact.hygieneSuggestion })}` : t.hygiene.flags[flag]}
                </Badge>
              ))}
            </Td>
            <Td>
              <ContactTags contact={{ id: contact.id, email: contact.email, tags: contact.tags }} manage={manage ?? null} />
            </Td>
            <Td className="max-w-md truncate text-xs text-slate-500">
              {Object.entries(contact.attributes)
                .map(([key, value]) => `${key}: ${value}`)
                .join(" · ") || t.common.none}
            </Td>
            <TimeCell at={contact.createdAt} timeZone={ctx.timeZone} />
            {manage ? (
              <Td>
                <ContactRowActions
                  poolId={manage.poolId}
                  phoneRegion={phoneRegion}
                  contact={{
                    id: contact.id,
                    email: contact.email,
                    name: contact.name,
                    attributes: contact.attributes,
                    status: contact.status,
                    phone: contact.phone,
                    wecomUserId: contact.wecomUserId,
                    channelConsent: contact.channelConsent,
                  }}
                />
              </Td>
            ) : null}
          </tr>
        )}
      </DataTable>
      <KeysetNav
        first={cursor ? { href: href(basePath), label: t.pools.first } : null}
        next={page.nextCursor ? { href: href(basePath, { cursor: page.nextCursor }), label: t.pools.more } : null}
      />
    </div>
  );
}
