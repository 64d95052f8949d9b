/** A search box that GETs the page again with `q` (and the page's other parameters kept, the page number dropped). */
export function ArchiveSearch({ query, label, button, keep = {} }: { query: string; label: string; button: string; keep?: Record<string, string | undefined> }) {
  return (
    <form method="get" role="search" className="flex flex-wrap items-end gap-2" data-testid="group-archive-search">
      {Object.entries(keep).map(([name, value]) => (value ? <input key={name} type="hidden" name={name} value={value} /> : null))}
      <label className="min-w-0 flex-1 space-y-1">
        <span className="block text-xs font-medium text-slate-700">{label}</span>
        <input
          type="search"
          name="q"
          defaultValue={query}
          maxLength={200}
          className="block w-full rounded-md border-0 px-2.5 py-1.5 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-inset focus:ring-indigo-600"
          data-testid="group-archive-query"
        />
      </label>
      <button type="submit" className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500" data-testid="group-archive-submit">
        {button}
      </button>
    </form>
  );
}
