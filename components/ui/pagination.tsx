import Link from "next/link";
import { format } from "@/lib/i18n";

const pageLink = "rounded-md px-2.5 py-1 ring-1 ring-slate-300 hover:bg-slate-50";

/** Previous/next links that keep the page's other query parameters; `labels.page` reads like "Page {page}". */
export function Pagination({
  page,
  hasMore,
  params,
  labels,
}: {
  page: number;
  hasMore: boolean;
  params: Record<string, string | undefined>;
  labels: { previous: string; next: string; page: string };
}) {
  const href = (target: number) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
    query.set("page", String(target));
    return `?${query.toString()}`;
  };
  return (
    <nav className="mt-3 flex items-center justify-end gap-2 text-sm" aria-label="pagination">
      {page > 1 ? (
        <Link className={pageLink} href={href(page - 1)} data-testid="page-previous">
          {labels.previous}
        </Link>
      ) : null}
      <span className="text-slate-500">{format(labels.page, { page })}</span>
      {hasMore ? (
        <Link className={pageLink} href={href(page + 1)} data-testid="page-next">
          {labels.next}
        </Link>
      ) : null}
    </nav>
  );
}

/** Links for keyset pages, which know the way forward (and back, or to the start) but not page numbers. */
export function KeysetNav({
  first,
  previous,
  next,
}: {
  first?: { href: string; label: string } | null;
  previous?: { href: string; label: string } | null;
  next?: { href: string; label: string } | null;
}) {
  if (!first && !previous && !next) return null;
  return (
    <nav className="flex justify-end gap-2 text-sm" aria-label="pagination">
      {first ? (
        <Link className={pageLink} href={first.href}>
          {first.label}
        </Link>
      ) : null}
      {previous ? (
        <Link className={pageLink} href={previous.href} data-testid="page-previous">
          {previous.label}
        </Link>
      ) : null}
      {next ? (
        <Link className={pageLink} href={next.href} data-testid="page-next">
          {next.label}
        </Link>
      ) : null}
    </nav>
  );
}
