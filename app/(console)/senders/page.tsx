import { SectionPlaceholder } from "../section-placeholder";

export default function SendersPage() {
  return <SectionPlaceholder permission="senders.manage" section="senders" />;
}
