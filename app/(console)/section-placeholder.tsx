import { Forbidden } from "@/components/ui/forbidden";
import { Card, PageHeader } from "@/components/ui/page-header";
import type { Permission } from "@/lib/auth/policy";
import { consolePage } from "@/lib/console/page";
import type { Messages } from "@/lib/i18n";

/** A section whose issue has not landed yet: it exists in the navigation and obeys the policy. */
export async function SectionPlaceholder({ permission, section }: { permission: Permission; section: keyof Messages["nav"] }) {
  const { t, allowed } = await consolePage(permission);
  if (!allowed) return <Forbidden message={t.errors.forbidden} />;
  return (
    <div>
      <PageHeader title={t.nav[section]} />
      <Card>
        <p className="text-sm text-slate-500" data-testid="section-placeholder">
          {t.placeholder.body}
        </p>
      </Card>
    </div>
  );
}
