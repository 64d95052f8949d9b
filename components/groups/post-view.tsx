import type { ReactNode } from "react";
import { formatInZone } from "@/lib/time/zone";

export type PostSummary = {
  id: string;
  subject: string;
  fromName: string;
  fromAddress: string;
  bodyText: string;
  attachments: readonly { fileName: string; size: number }[];
  receivedAt: Date;
};

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : bytes >= 1024 ? `${Math.round(bytes / 1024)} KB` : `${bytes} B`);

/**
 * One post as the archive shows it: who, when, and its text as text (React escapes it; line breaks
 * kept by CSS), never its HTML. `showAddress` adds the poster's address (the department sees it;
 * a member sees the name the poster gave, as in their mail).
 */
export function PostView({
  post,
  timeZone,
  attachmentsLabel,
  attachmentHref,
  showAddress = false,
  badge,
}: {
  post: PostSummary;
  timeZone: string;
  attachmentsLabel: string;
  attachmentHref: (index: number) => string;
  showAddress?: boolean;
  badge?: ReactNode;
}) {
  const poster = post.fromName || post.fromAddress;
  return (
    <article className="rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid="group-post">
      <header className="mb-3 flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1">
        <p className="text-sm">
          <span className="font-semibold text-slate-900" data-testid="group-post-poster">
            {poster}
          </span>
          {showAddress && post.fromName ? <span className="ml-1 break-all text-slate-500">&lt;{post.fromAddress}&gt;</span> : null}
          {badge ? <span className="ml-2">{badge}</span> : null}
        </p>
        <time className="text-xs tabular-nums text-slate-500" dateTime={post.receivedAt.toISOString()}>
          {formatInZone(post.receivedAt, timeZone)}
        </time>
      </header>
      <div className="whitespace-pre-wrap break-words text-sm leading-relaxed text-slate-800" data-testid="group-post-body">
        {post.bodyText}
      </div>
      {post.attachments.length > 0 ? (
        <div className="mt-3 border-t border-slate-100 pt-2">
          <h3 className="text-xs font-medium text-slate-600">{attachmentsLabel}</h3>
          <ul className="mt-1 space-y-0.5 text-sm">
            {post.attachments.map((file, index) => (
              <li key={index}>
                <a className="break-all text-indigo-700 hover:underline" href={attachmentHref(index)} download data-testid="group-post-attachment">
                  {file.fileName || `#${index + 1}`}
                </a>
                <span className="ml-2 text-xs text-slate-500">{size(file.size)}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </article>
  );
}
