import { heldReason } from "@/components/groups/held-reason";
import { PostView } from "@/components/groups/post-view";
import { Badge } from "@/components/ui/badge";
import { Forbidden } from "@/components/ui/forbidden";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { consolePage, loadOrDeny } from "@/app/(console)/_page/console-page";
import { consoleArchive, readThread } from "@/lib/groups/archive";
import { format } from "@/lib/i18n";

const TONES = { held: "amber", rejected: "red", sent: "green" } as const;

/** A thread of a group's archive as the department sees it: every post, with its status (and a rejected one's reason). */
export default consolePage("tasks.view", async function GroupThreadPage(ctx, { params }: { params: Promise<{ id: string; threadId: string }> }) {
  const { t } = ctx;
  const words = t.groups.archive;
  const { id, threadId } = await params;
  const archive = await loadOrDeny(consoleArchive(ctx, id));
  if (!archive) return <Forbidden message={t.errors.forbidden} />;
  const posts = await loadOrDeny(readThread(archive, threadId));
  if (!posts) return <Forbidden message={t.errors.forbidden} />;
  return (
    <div className="space-y-4">
      <PageHeader title={posts[0]!.subject || words.noSubject} actions={<LinkButton href={`/groups/${id}?tab=archive`} variant="secondary">{words.back}</LinkButton>} />
      <div className="space-y-3" data-testid="group-thread">
        {posts.map((post) => (
          <div key={post.id} className="space-y-1">
            <PostView
              post={post}
              timeZone={ctx.timeZone}
              attachmentsLabel={words.attachments}
              attachmentHref={(index) => `/groups/${id}/attachments/${post.id}/${index}`}
              showAddress
              badge={<Badge tone={TONES[post.status]}>{words.statuses[post.status]}</Badge>}
            />
            {post.reason && post.status !== "sent" ? <p className="px-1 text-xs text-slate-500">{format(words.reason, { reason: heldReason(t.groups.moderation.reasons, post.reason) })}</p> : null}
          </div>
        ))}
      </div>
    </div>
  );
});
