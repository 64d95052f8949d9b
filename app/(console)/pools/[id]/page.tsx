import { Forbidden } from "@/components/ui/forbidden";
import { Card } from "@/components/ui/card";
import { LinkButton } from "@/components/ui/link-button";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { firstParam } from "@/app/(console)/_page/search-params";
import { listPools, loadPool } from "@/lib/pools/pools";
import { listTagNames } from "@/lib/audiences/tags";
import { ContactsView } from "../contacts-view";
import { TransferForm } from "./transfer-form";

export default consolePage("pools.manage", async function PoolPage(ctx, {
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const query = await searchParams;
  const pool = await loadOrDeny(loadPool(ctx, id));
  if (!pool) return <Forbidden message={ctx.t.errors.forbidden} />;
  const siblings = (await listPools(ctx)).filter((other) => other.departmentId === pool.departmentId && other.id !== pool.id);
  const tagChoices = await listTagNames(ctx, pool.departmentId);
  return (
    <div className="space-y-5">
      <ContactsView
        ctx={ctx}
        scope={{ poolId: pool.id }}
        title={`${pool.name} · ${pool.contactCount.toLocaleString(ctx.locale)}`}
        params={{ q: firstParam(query.q), status: firstParam(query.status), hygiene: firstParam(query.hygiene), tag: firstParam(query.tag), cursor: firstParam(query.cursor) }}
        basePath={`/pools/${pool.id}`}
        exportPath={`/pools/${pool.id}/export`}
        manage={{ poolId: pool.id }}
        tagChoices={tagChoices}
        actions={
          <>
            <LinkButton href={`/pools/${pool.id}/import`}>{ctx.t.pools.import}</LinkButton>
            <LinkButton href={`/pools/${pool.id}/form`} variant="secondary" testId="pool-signup-form">
              {ctx.t.forms.open}
            </LinkButton>
          </>
        }
      />
      {siblings.length > 0 ? (
        <Card title={ctx.t.pools.copyMove}>
          <TransferForm fromPoolId={pool.id} pools={siblings.map((other) => ({ id: other.id, name: other.name }))} />
        </Card>
      ) : null}
    </div>
  );
});
