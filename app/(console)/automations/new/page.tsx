import Link from "next/link";
import { Card } from "@/components/ui/card";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { consolePage } from "@/app/(console)/_page/console-page";
import { AUTOMATION_LIMITS, welcomeSeries } from "@/lib/automations/store";
import { automationOptions } from "../automation-options";
import { AutomationForm } from "../automation-form";
import { WELCOME_SLOTS } from "../automation-draft";

/** 新建自动化: the welcome series offered first, the general builder beside it. */
export default consolePage("tasks.manage", async function NewAutomationPage(ctx) {
  const { t } = ctx;
  const options = await automationOptions(ctx);
  // The series as the server defines it, each e-mail's template named by its slot for the form to fill.
  const [welcome, followUp, reminder] = WELCOME_SLOTS;
  const seriesSteps = welcomeSeries({ welcome, followUp, reminder });
  const ready = options.templates.length > 0 && options.senders.length > 0;
  return (
    <div className="space-y-4">
      <PageHeader
        title={t.automations.new}
        actions={
          <LinkButton href="/automations" variant="secondary">
            {t.automations.back}
          </LinkButton>
        }
      />
      {ready ? null : (
        <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800" data-testid="automation-needs-setup">
          {t.automations.form.needsSetup}{" "}
          <Link href="/templates/new" className="mr-2 font-medium text-indigo-700 underline">
            {t.nav.templates} →
          </Link>
          <Link href="/senders" className="font-medium text-indigo-700 underline">
            {t.nav.senders} →
          </Link>
        </p>
      )}
      <Card>
        <AutomationForm options={options} seriesSteps={seriesSteps} limits={AUTOMATION_LIMITS} />
      </Card>
    </div>
  );
});
