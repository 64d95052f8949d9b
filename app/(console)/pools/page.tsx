import Link from "next/link";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { EmptyRow, Table, Td, Th } from "@/components/ui/table";
import { listDepartments } from "@/lib/accounts/departments";
import { consolePage } from "@/app/(console)/_page/console-page";
import { listPools, uncategorisedCounts } from "@/lib/pools/pools";
import { ClearUncategorised, CreatePoolForm, PoolRowActions } from "./pool-forms";

export default consolePage("pools.manage", async function PoolsPage(ctx) {
  const { t, actor } = ctx;
  const [pools, orphans, departments] = await Promise.all([
    listPools(ctx),
    uncategorisedCounts(ctx),
    actor.role === "admin" ? listDepartments(ctx, { offset: 0, limit: 1000 }) : Promise.resolve(null),
  ]);
  const showDepartment = actor.role === "admin";
  const link = "text-indigo-600 hover:underline";
  return (
    <div className="space-y-5">
      <PageHeader title={t.pools.title} />
      <Card title={t.pools.new}>
        <CreatePoolForm departments={departments?.rows.map((row) => ({ id: row.id, name: row.name })) ?? null} />
      </Card>
      <Table testId="pools-table">
        <thead>
          <tr>
            {showDepartment ? <Th>{t.common.department}</Th> : null}
            <Th>{t.pools.name}</Th>
            <Th>{t.pools.description}</Th>
            <Th className="text-right">{t.pools.count}</Th>
            <Th>{t.pools.addressActions}</Th>
            <Th>{t.pools.poolActions}</Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {orphans.map((row) => (
            <tr key={`orphans-${row.departmentId}`} className="bg-slate-50/50" data-testid={`uncategorised-row-${row.departmentName}`}>
              {showDepartment ? <Td>{row.departmentName}</Td> : null}
              <Td className="font-medium text-slate-900">{t.pools.uncategorised}</Td>
              <Td>{t.pools.uncategorisedDescription}</Td>
              <Td className="text-right tabular-nums">{row.count.toLocaleString(ctx.locale)}</Td>
              <Td className="space-x-3">
                <Link className={link} href={`/pools/uncategorised?department=${row.departmentId}`}>
                  {t.pools.view}
                </Link>
                <ClearUncategorised departmentId={row.departmentId} departmentName={row.departmentName} count={row.count} />
              </Td>
              <Td>{t.common.none}</Td>
            </tr>
          ))}
          {pools.length === 0 ? <EmptyRow colSpan={showDepartment ? 6 : 5}>{t.common.noRows}</EmptyRow> : null}
          {pools.map((pool) => (
            <tr key={pool.id} data-testid={`pool-row-${pool.name}`}>
              {showDepartment ? <Td>{pool.departmentName}</Td> : null}
              <Td className="font-medium text-slate-900">{pool.name}</Td>
              <Td className="max-w-xs truncate">{pool.description || t.common.none}</Td>
              <Td className="text-right tabular-nums" data-testid={`pool-count-${pool.name}`}>
                {pool.contactCount.toLocaleString(ctx.locale)}
              </Td>
              <Td className="space-x-3">
                <Link className={link} href={`/pools/${pool.id}`} data-testid={`view-pool-${pool.name}`}>
                  {t.pools.view}
                </Link>
                <Link className={link} href={`/pools/${pool.id}/import`} data-testid={`import-pool-${pool.name}`}>
                  {t.pools.import}
                </Link>
              </Td>
              <Td>
                <PoolRowActions pool={{ id: pool.id, name: pool.name, description: pool.description, contactCount: pool.contactCount }} />
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
});
