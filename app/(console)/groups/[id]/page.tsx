import Link from "next/link";
import { ArchiveSearch } from "@/components/groups/archive-search";
import { heldReason } from "@/components/groups/held-reason";
import { ThreadList } from "@/components/groups/thread-list";
import { Card } from "@/components/ui/card";
import { DataTable } from "@/components/ui/data-table";
import { Forbidden } from "@/components/ui/forbidden";
import { LinkButton } from "@/components/ui/link-button";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { Td, TimeCell } from "@/components/ui/table";
import { consolePage, loadOrDeny, type PageContext } from "@/app/(console)/_page/console-page";
import { firstParam, pageNumber } from "@/app/(console)/_page/search-params";
import { can } from "@/lib/access/policy";
import { consoleArchive, heldPosts, listThreads, type Archive } from "@/lib/groups/archive";
import { loadGroup, type GroupView } from "@/lib/groups/groups";
import { format } from "@/lib/i18n";
import { DeleteGroupForm, GroupForm } from "../group-form";
import { ModerationButtons } from "./moderation-queue";

const TABS = ["archive", "moderation", "settings"] as const;
type Tab = (typeof TABS)[number];
type Query = Record<string, string | string[] | undefined>;

/** One group address: its archive (threads, search), its moderation queue and its settings, a tab each. */
export default consolePage("tasks.view", async function GroupPage(ctx, { params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<Query> }) {
  const { t } = ctx;
  const words = t.groups;
  const { id } = await params;
  const query = await searchParams;
  const group = await loadOrDeny(loadGroup(ctx, id));
  if (!group) return <Forbidden message={t.errors.forbidden} />;
  const archive = await consoleArchive(ctx, group.id);
  const tab: Tab = TABS.find((one) => one === firstParam(query.tab)) ?? "archive";
  const page = pageNumber(query.page);
  const held = tab === "moderation" ? await heldPosts(archive, { page }) : null;
  return (
    <div className="space-y-4">
      <PageHeader title={group.address} actions={<LinkButton href="/groups" variant="secondary">{words.back}</LinkButton>}>
        {group.name} · {group.poolName}
      </PageHeader>
      <nav className="flex gap-1 border-b border-slate-200 text-sm" aria-label={words.title} data-testid="group-tabs">
        {TABS.map((one) => (
          <Link
            key={one}
            href={`/groups/${group.id}?tab=${one}`}
            aria-current={one === tab ? "page" : undefined}
            className={`-mb-px border-b-2 px-3 py-2 ${one === tab ? "border-indigo-600 font-medium text-indigo-700" : "border-transparent text-slate-600 hover:text-slate-900"}`}
            data-testid={`group-tab-${one}`}
          >
            {words.tabs[one]}
          </Link>
        ))}
      </nav>
      {tab === "archive" ? <ArchiveTab ctx={ctx} group={group} archive={archive} page={page} search={firstParam(query.q) ?? ""} /> : null}
      {held ? (
        <div className="space-y-3" data-testid="group-moderation">
          <p className="max-w-3xl text-sm text-slate-600">{words.moderation.intro}</p>
          <DataTable
            testId="group-held-posts"
            columns={[words.moderation.columns.poster, words.moderation.columns.subject, words.moderation.columns.reason, words.moderation.columns.received, can(ctx.actor.role, "pools.manage") && words.moderation.columns.actions]}
            rows={held.posts}
            empty={words.moderation.none}
          >
            {(post) => (
              <tr key={post.id} data-testid="group-held-row">
                <Td className="whitespace-normal break-all">{post.fromName ? `${post.fromName} <${post.fromAddress}>` : post.fromAddress}</Td>
                <Td className="min-w-40 whitespace-normal">{post.subject || words.archive.noSubject}</Td>
                <Td className="min-w-40 whitespace-normal">{heldReason(words.moderation.reasons, post.reason)}</Td>
                <TimeCell at={post.receivedAt} timeZone={ctx.timeZone} />
                {can(ctx.actor.role, "pools.manage") ? (
                  <Td>
                    <ModerationButtons postId={post.id} />
                  </Td>
                ) : null}
              </tr>
            )}
          </DataTable>
          <Pagination page={page} hasMore={held.hasMore} params={{ tab }} labels={t.common} />
        </div>
      ) : null}
      {tab === "settings" ? <SettingsTab ctx={ctx} group={group} /> : null}
    </div>
  );
});

async function ArchiveTab({ ctx, group, archive, page, search }: { ctx: PageContext; group: GroupView; archive: Archive; page: number; search: string }) {
  const words = ctx.t.groups;
  const { threads, hasMore } = await listThreads(archive, { page, query: search });
  return (
    <div className="space-y-3" data-testid="group-archive">
      <ArchiveSearch query={search} label={words.archive.search} button={words.archive.searchButton} keep={{ tab: "archive" }} />
      <ThreadList
        threads={threads}
        words={words.archive}
        empty={search ? format(words.archive.noMatch, { query: search }) : words.archive.none}
        timeZone={ctx.timeZone}
        href={(threadId) => `/groups/${group.id}/threads/${threadId}`}
      />
      <Pagination page={page} hasMore={hasMore} params={{ tab: "archive", q: search || undefined }} labels={ctx.t.common} />
    </div>
  );
}

function SettingsTab({ ctx, group }: { ctx: PageContext; group: GroupView }) {
  const words = ctx.t.groups;
  const manage = can(ctx.actor.role, "pools.manage");
  return (
    <div className="space-y-4" data-testid="group-settings">
      {manage ? (
        <Card>
          <GroupForm group={{ id: group.id, address: group.address, name: group.name, posting: group.posting, strangers: group.strangers, replyTo: group.replyTo, moderators: group.moderators, enabled: group.enabled }} />
        </Card>
      ) : (
        <Card>
          <dl className="grid gap-2 text-sm sm:grid-cols-[12rem_1fr]">
            <dt className="text-slate-500">{words.form.posting}</dt>
            <dd>{words.posting[group.posting]}</dd>
            <dt className="text-slate-500">{words.form.strangers}</dt>
            <dd>{words.strangers[group.strangers]}</dd>
            <dt className="text-slate-500">{words.form.replyTo}</dt>
            <dd>{words.replyTo[group.replyTo]}</dd>
            <dt className="text-slate-500">{words.form.moderators}</dt>
            <dd className="break-all">{group.moderators.join(", ") || ctx.t.common.none}</dd>
          </dl>
        </Card>
      )}
      <Card title={words.memberLink.title} testId="group-member-link">
        <p className="max-w-3xl text-sm text-slate-600">{words.memberLink.text}</p>
      </Card>
      {manage ? <DeleteGroupForm id={group.id} /> : null}
    </div>
  );
}
