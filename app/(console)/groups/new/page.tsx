import { Card } from "@/components/ui/card";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { consolePage } from "@/app/(console)/_page/console-page";
import { listPools } from "@/lib/pools/pools";
import { GroupForm } from "../group-form";

/** A new group address: a pool of the department (one without a group yet, else the server says so beside the field), the address and its policies. */
export default consolePage("pools.manage", async function NewGroupPage(ctx) {
  const { t, actor } = ctx;
  const words = t.groups;
  const pools = await listPools(ctx);
  const label = (pool: (typeof pools)[number]) => (actor.role === "department" ? pool.name : `${pool.departmentName} · ${pool.name}`);
  return (
    <div className="space-y-4">
      <PageHeader title={words.new} actions={<LinkButton href="/groups" variant="secondary">{words.back}</LinkButton>} />
      <Card>
        {pools.length === 0 ? (
          <p className="text-sm text-slate-600" data-testid="group-no-pools">
            {words.noPools}
          </p>
        ) : (
          <GroupForm pools={pools.map((pool) => ({ id: pool.id, label: label(pool) }))} />
        )}
      </Card>
    </div>
  );
});
