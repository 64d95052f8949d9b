import { Card } from "@/components/ui/card";
import { Forbidden } from "@/components/ui/forbidden";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { signupSnippet } from "@/lib/forms/snippet";
import { loadSignupForm } from "@/lib/forms/store";
import { format, messagesFor } from "@/lib/i18n";
import { attributeNames } from "@/lib/pools/attribute-names";
import { publicBaseUrl } from "@/lib/transports/system-mail";
import { SignupFormEditor } from "./form-editor";
import { SnippetBox } from "./snippet-box";

/** A pool's hosted sign-up form: its settings, its public link and the HTML that embeds it elsewhere. */
export default consolePage("pools.manage", async function PoolSignupFormPage(ctx, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const loaded = await loadOrDeny(loadSignupForm(ctx, id));
  if (!loaded) return <Forbidden message={ctx.t.errors.forbidden} />;
  const { pool, form } = loaded;
  const labels = ctx.t.forms;
  const suggestions = await attributeNames(ctx, pool.departmentId);
  const base = publicBaseUrl();
  const publicLabels = form ? messagesFor(form.language === "zh" ? "zh-CN" : "en").forms.public : null;
  return (
    <div className="space-y-5">
      <PageHeader title={format(labels.title, { pool: pool.name })} actions={<LinkButton href={`/pools/${pool.id}`} variant="secondary">{pool.name}</LinkButton>}>
        {labels.about}
      </PageHeader>
      <Card title={labels.settings} testId="form-settings-card">
        <SignupFormEditor poolId={pool.id} form={form} suggestions={suggestions} />
      </Card>
      <Card title={labels.share} testId="form-share-card">
        {form && publicLabels ? (
          <div className="space-y-3">
            {form.enabled ? null : <p className="text-sm text-amber-800" data-testid="form-off">{labels.off}</p>}
            <p className="break-all text-sm">
              <a href={`/f/${form.id}`} target="_blank" rel="noopener noreferrer" className="text-indigo-700 underline" data-testid="form-preview">
                {labels.preview}
              </a>
              <span className="ml-2 font-mono text-xs text-slate-600" data-testid="form-public-url">{`${base}/f/${form.id}`}</span>
            </p>
            <SnippetBox snippet={signupSnippet(form, base, { email: publicLabels.email, name: publicLabels.name, submit: publicLabels.submit, honeypot: publicLabels.honeypot })} />
          </div>
        ) : (
          <p className="text-sm text-slate-600">{labels.notSaved}</p>
        )}
      </Card>
    </div>
  );
});
