import { SectionPlaceholder } from "../section-placeholder";

export default function ReportsPage() {
  return <SectionPlaceholder permission="reports.view" section="reports" />;
}
