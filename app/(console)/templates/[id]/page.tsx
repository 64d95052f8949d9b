import { ContentCheckPanel } from "@/components/deliverability/content-check-panel";
import { Forbidden } from "@/components/ui/forbidden";
import { PageHeader } from "@/components/ui/page-header";
import { listDepartments } from "@/lib/accounts/departments";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { checkTemplateVersion } from "@/lib/deliverability/version-check";
import { attributeNames } from "@/lib/pools/attribute-names";
import { listSenders } from "@/lib/senders/senders";
import { listVersions, loadTemplate, previewContacts } from "@/lib/templates/store";
import { format } from "@/lib/i18n";
import { formatInZone } from "@/lib/time/zone";
import { readPhoneRegion, readSetting } from "@/lib/accounts/settings";
import { SmsTemplateEditor } from "./sms-template-editor";
import { WhatsAppTemplateEditor } from "./whatsapp-template-editor";
import { TemplateEditor } from "./template-editor";

const STARTER = {
  subject: "{{ name | default: \"Hello\" }}, news from us",
  html: "<p>Dear {{ name | default: \"customer\" }},</p>\n<p>Write your message here.</p>\n<p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>",
};

/** /templates/new and /templates/{id}: the editor with preview, test send and versions. */
export default consolePage("templates.manage", async function TemplatePage(
  ctx,
  { params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ channel?: string | string[] }> },
) {
  const { t, actor } = ctx;
  const { id } = await params;
  const template = id === "new" ? null : await loadOrDeny(loadTemplate(ctx, id));
  if (id !== "new" && !template) return <Forbidden message={t.errors.forbidden} />;
  const departments = actor.role === "admin" && !template ? (await listDepartments(ctx, { offset: 0, limit: 1000 })).rows : [];
  const departmentId = template?.departmentId ?? actor.departmentId ?? departments[0]?.id ?? null;
  const channel = template ? template.channel : (await searchParams).channel;
  if (channel === "whatsapp") {
    const approved = template?.content.whatsapp;
    return (
      <div className="space-y-4">
        <PageHeader title={template ? `${template.name} · v${template.currentVersion}` : t.whatsappTemplates.new} />
        <WhatsAppTemplateEditor
          template={{ id: template?.id ?? null, name: template?.name ?? "", approvedName: approved?.name ?? "", language: approved?.language ?? "", variables: approved?.variables ?? [], text: template?.content.text ?? "" }}
          departments={departments.map((row) => ({ id: row.id, name: row.name }))}
          departmentId={departmentId}
        />
      </div>
    );
  }
  if (channel === "sms") {
    const suffix = (await readSetting(ctx.db, "smsOptOutSuffix")) ? ((await readPhoneRegion(ctx.db)) === "CN" ? "zh" : "en") : null;
    return (
      <div className="space-y-4">
        <PageHeader title={template ? `${template.name} · v${template.currentVersion}` : t.smsTemplates.new} />
        <SmsTemplateEditor
          template={{ id: template?.id ?? null, name: template?.name ?? "", text: template?.content.text ?? "" }}
          departments={departments.map((row) => ({ id: row.id, name: row.name }))}
          departmentId={departmentId}
          optOutSuffix={suffix}
        />
      </div>
    );
  }
  // The saved version's content check; saving refreshes the page, which checks the new version.
  const [senders, contacts, versions, attributes, contentCheck] = await Promise.all([
    listSenders(ctx),
    departmentId ? previewContacts(ctx, departmentId) : Promise.resolve([]),
    template ? listVersions(ctx, template.id) : Promise.resolve([]),
    departmentId ? attributeNames(ctx, departmentId) : Promise.resolve([]),
    template ? checkTemplateVersion(ctx, template.id, { version: template.currentVersion }) : Promise.resolve(null),
  ]);
  return (
    <div className="space-y-4">
      <PageHeader title={template ? `${template.name} · v${template.currentVersion}` : t.templates.new} />
      <TemplateEditor
        template={
          template
            ? { id: template.id, name: template.name, subject: template.content.subject, html: template.content.html, text: template.content.text ?? "", attachmentIds: template.content.attachmentIds }
            : { id: null, name: "", subject: STARTER.subject, html: STARTER.html, text: "", attachmentIds: [] }
        }
        departments={departments.map((row) => ({ id: row.id, name: row.name }))}
        departmentId={departmentId}
        senders={senders.filter((sender) => sender.departmentId === departmentId).map((sender) => ({ id: sender.id, label: `${sender.name ? `${sender.name} ` : ""}<${sender.address}>` }))}
        contacts={contacts.map((contact) => ({ id: contact.id, label: `${contact.name ? `${contact.name} ` : ""}<${contact.email}>` }))}
        attributes={attributes}
      />
      {contentCheck ? (
        <section id="content-check" className="scroll-mt-16 rounded-lg bg-white p-4 ring-1 ring-slate-200">
          <h2 className="mb-2 text-sm font-semibold">{format(t.deliverability.forVersion, { version: contentCheck.version })}</h2>
          <ContentCheckPanel check={contentCheck} linkBase="" />
        </section>
      ) : null}
      {versions.length > 0 ? (
        <section className="rounded-lg bg-white p-4 text-sm ring-1 ring-slate-200" data-testid="versions">
          <h2 className="mb-2 font-semibold">{t.templates.versions}</h2>
          <ul className="space-y-1">
            {versions.map((version) => (
              <li key={version.version} className="flex gap-3">
                <span className="w-10 tabular-nums text-slate-500">v{version.version}</span>
                <span className="tabular-nums text-slate-500">{formatInZone(version.createdAt, ctx.timeZone)}</span>
                <span className="truncate">{version.subject}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
});
