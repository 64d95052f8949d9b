import Link from "next/link";
import { DataTable } from "@/components/ui/data-table";
import { Badge } from "@/components/ui/badge";
import { Td } from "@/components/ui/table";
import { format } from "@/lib/i18n";
import { formatInZone } from "@/lib/time/zone";

export type ThreadSummary = { threadId: string; subject: string; fromName: string; fromAddress: string; posts: number; held: number; lastAt: Date };

type Words = { columns: { subject: string; poster: string; posts: string; last: string }; noSubject: string; held?: string };

/** The threads of an archive, newest activity first: subject (a link to the thread), who started it, how many posts, the last one's time. */
export function ThreadList({
  threads,
  words,
  empty,
  timeZone,
  href,
}: {
  threads: readonly ThreadSummary[];
  words: Words;
  empty: string;
  timeZone: string;
  href: (threadId: string) => string;
}) {
  return (
    <DataTable testId="group-threads" columns={[words.columns.subject, words.columns.poster, words.columns.posts, words.columns.last]} rows={threads} empty={empty}>
      {(thread) => (
        <tr key={thread.threadId} data-testid="group-thread-row">
          <Td className="min-w-48 max-w-96 whitespace-normal">
            <Link className="font-medium text-indigo-700 hover:underline" href={href(thread.threadId)} data-testid="group-thread-link">
              {thread.subject || words.noSubject}
            </Link>
            {words.held && thread.held > 0 ? (
              <span className="ml-2">
                <Badge tone="amber">{format(words.held, { count: thread.held })}</Badge>
              </span>
            ) : null}
          </Td>
          <Td>{thread.fromName || thread.fromAddress}</Td>
          <Td className="tabular-nums" data-testid="group-thread-posts">
            {thread.posts}
          </Td>
          <Td className="tabular-nums">{formatInZone(thread.lastAt, timeZone)}</Td>
        </tr>
      )}
    </DataTable>
  );
}
