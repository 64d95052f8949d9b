import { SandboxedHtml } from "@/components/html/sandboxed-html";
import { Forbidden } from "@/components/ui/forbidden";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { readOutboxMessage } from "@/lib/outbox/messages";
import { formatInZone } from "@/lib/time/zone";

export default consolePage("senders.manage", async function OutboxMessagePage(ctx, { params }: { params: Promise<{ id: string }> }) {
  const { t } = ctx;
  const message = await loadOrDeny(readOutboxMessage(ctx, (await params).id));
  if (!message) return <Forbidden message={t.errors.forbidden} />;
  return (
    <div className="space-y-4">
      <PageHeader title={message.subject}>
        {message.from} → {message.to} · {formatInZone(message.createdAt, ctx.timeZone)}
      </PageHeader>
      {message.html ? (
        <SandboxedHtml title={message.subject} html={message.html} className="h-[28rem] w-full rounded-lg bg-white ring-1 ring-slate-200" testId="outbox-html" />
      ) : null}
      <Card title={t.templates.text}>
        <pre className="whitespace-pre-wrap text-sm" data-testid="outbox-text">
          {message.text}
        </pre>
      </Card>
      {message.attachments.length > 0 ? (
        <Card title={t.templates.attachments}>
          <ul className="text-sm">
            {message.attachments.map((attachment, index) => (
              <li key={index}>
                {attachment.fileName} · {attachment.contentType} · {attachment.size} B
              </li>
            ))}
          </ul>
        </Card>
      ) : null}
      <Card title={t.outbox.headers}>
        <pre className="overflow-x-auto whitespace-pre-wrap text-xs text-slate-600">{message.headers.join("\n")}</pre>
      </Card>
    </div>
  );
});
