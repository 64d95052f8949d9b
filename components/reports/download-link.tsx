/** A plain link to a CSV route: the browser sends the session cookie and saves the answer. */
export function DownloadLink({ href, label, testId = "download-csv" }: { href: string; label: string; testId?: string }) {
  return (
    <a
      href={href}
      download
      className="inline-flex items-center gap-1 rounded-md bg-white px-3 py-1.5 text-sm font-medium text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
      data-testid={testId}
    >
      ↓ {label}
    </a>
  );
}
