import { SectionPlaceholder } from "../section-placeholder";

export default function PoolsPage() {
  return <SectionPlaceholder permission="pools.manage" section="pools" />;
}
