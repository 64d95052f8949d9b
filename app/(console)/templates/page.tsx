import { SectionPlaceholder } from "../section-placeholder";

export default function TemplatesPage() {
  return <SectionPlaceholder permission="templates.manage" section="templates" />;
}
