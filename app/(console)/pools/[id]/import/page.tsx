import { Forbidden } from "@/components/ui/forbidden";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { format } from "@/lib/i18n";
import { loadPool } from "@/lib/pools/pools";
import { mxCheckAvailable } from "@/lib/pools/hygiene/mx-job";
import { ImportWizard } from "./import-wizard";
import { isUuid } from "@/lib/ids";
import { readPhoneRegion } from "@/lib/accounts/settings";

export default consolePage("pools.manage", async function ImportPage(ctx, {
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const pool = await loadOrDeny(loadPool(ctx, (await params).id));
  if (!pool) return <Forbidden message={ctx.t.errors.forbidden} />;
  const job = firstParam((await searchParams).job);
  return (
    <div className="space-y-4">
      <PageHeader title={format(ctx.t.imports.title, { pool: pool.name })} />
      <Card>
        <ImportWizard poolId={pool.id} jobId={job && isUuid(job) ? job : null} mxAvailable={mxCheckAvailable()} phoneRegion={await readPhoneRegion(ctx.db)} />
      </Card>
    </div>
  );
});
