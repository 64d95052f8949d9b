import { FilterForm } from "@/components/forms/filter-form";
import { Card } from "@/components/ui/card";
import { Input } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { AppError } from "@/lib/errors";
import { format } from "@/lib/i18n";
import { describeRefusal } from "@/lib/i18n/describe";
import { HOLDINGS_LIMIT, lookupAddress, type Holdings } from "@/lib/privacy/holdings";
import { EraseForm } from "./erase-form";
import { HOLDINGS_PAGE, HoldingsTables } from "./holdings-tables";

/** 个人信息: an admin looks up one address, reads what is held about it, exports it or erases it (decision 0079). */
export default consolePage("privacy.manage", async function PersonalDataPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t } = ctx;
  const params = await searchParams;
  const email = firstParam(params.email)?.trim() ?? "";
  const page = Math.max(1, Math.floor(Number(firstParam(params.page))) || 1);
  let holdings: Holdings | null = null;
  let problem: string | null = null;
  if (email) {
    try {
      holdings = await lookupAddress(ctx, email);
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== "invalid_input") throw error;
      problem = describeRefusal(t.server, error);
    }
  }
  // Console users are listed, not erased (they are managed under Users); everything else stored counts.
  const { users = [], loginFailures = 0, ...messages } = holdings?.stored ?? {};
  const stored = Object.values(messages).reduce((sum, rows) => sum + rows.length, loginFailures);
  const held = holdings ? holdings.contacts.length + holdings.deliveries.length + holdings.suppressions.length + holdings.auditMentions.length + stored + users.length > 0 : false;
  const longest = holdings ? Math.max(holdings.deliveries.length, holdings.events.length, holdings.auditMentions.length) : 0;
  return (
    <div className="space-y-5">
      <PageHeader title={t.privacy.title} />
      <p className="max-w-3xl text-sm text-slate-600">{t.privacy.hint}</p>
      <FilterForm submit={{ label: t.privacy.lookUp, testId: "privacy-lookup" }}>
        <Input name="email" type="text" defaultValue={email} placeholder={t.privacy.address} aria-label={t.privacy.address} className="w-full max-w-sm" data-testid="privacy-email" />
      </FilterForm>
      {problem ? (
        <p className="text-sm text-red-700" role="alert">
          {problem}
        </p>
      ) : null}
      {holdings && !held ? <p data-testid="privacy-nothing">{t.privacy.nothingHeld}</p> : null}
      {holdings && held ? (
        <>
          <div className="flex flex-wrap items-center gap-3">
            <span className="font-medium text-slate-900" data-testid="privacy-normalised">
              {holdings.email}
            </span>
            <a className="rounded-md px-3 py-1.5 text-sm ring-1 ring-slate-300 hover:bg-slate-50" href={`/admin/personal-data/export?email=${encodeURIComponent(holdings.email)}`} data-testid="privacy-export">
              {t.privacy.export}
            </a>
          </div>
          {holdings.truncated ? <p className="text-xs text-amber-700">{format(t.privacy.truncated, { limit: HOLDINGS_LIMIT })}</p> : null}
          <HoldingsTables holdings={holdings} t={t} timeZone={ctx.timeZone} page={page} />
          <Pagination page={page} hasMore={longest > page * HOLDINGS_PAGE} params={{ email }} labels={{ previous: t.common.previous, next: t.common.next, page: t.common.page }} />
          <Card title={t.privacy.erase} testId="privacy-erase">
            <EraseForm
              email={holdings.email}
              scope={{
                contacts: holdings.contacts.length,
                departments: new Set([...holdings.contacts, ...holdings.suppressions, ...holdings.deliveries].map((row) => row.departmentId)).size,
                deliveries: holdings.deliveries.length,
                stored,
                audit: holdings.auditMentions.length,
              }}
            />
          </Card>
        </>
      ) : null}
    </div>
  );
});
