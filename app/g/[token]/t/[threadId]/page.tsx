import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PostView } from "@/components/groups/post-view";
import { readThread, type ArchivedPost } from "@/lib/groups/archive";
import { AppError } from "@/lib/errors";
import { HostedFrame } from "../../frame";
import { hostedHref, openHosted } from "../../hosted";

export const metadata: Metadata = { robots: { index: false, follow: false }, referrer: "no-referrer" };

/** One conversation of a member's archive: its posts in the order they came, each as text, with its attachments. */
export default async function GroupThreadPage({ params, searchParams }: { params: Promise<{ token: string; threadId: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { token, threadId } = await params;
  const hosted = await openHosted(token, (await searchParams).lang);
  const switchHref = hostedHref(token, `/t/${threadId}`, hosted.locale === "en" ? "zh" : "en");
  const opened = hosted.opened;
  if (opened === null || opened === "limited") return <HostedFrame hosted={hosted} switchHref={switchHref} />;
  let posts: ArchivedPost[];
  try {
    posts = await readThread(opened.archive, threadId);
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  }
  const words = hosted.t.groupArchive;
  return (
    <HostedFrame hosted={hosted} switchHref={switchHref}>
      <Link className="text-sm text-indigo-700 hover:underline" href={hostedHref(token, "", hosted.lang)} data-testid="group-archive-back">
        ← {words.back}
      </Link>
      <h1 className="break-words text-lg font-semibold text-slate-900" data-testid="group-thread-subject">
        {posts[0]!.subject || words.noSubject}
      </h1>
      <div className="space-y-3">
        {posts.map((post) => (
          <PostView key={post.id} post={post} timeZone={hosted.timeZone} attachmentsLabel={words.attachments} attachmentHref={(index) => hostedHref(token, `/a/${post.id}/${index}`, undefined)} />
        ))}
      </div>
    </HostedFrame>
  );
}
