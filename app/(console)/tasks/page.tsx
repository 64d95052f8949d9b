import { SectionPlaceholder } from "../section-placeholder";

export default function TasksPage() {
  return <SectionPlaceholder permission="tasks.manage" section="tasks" />;
}
