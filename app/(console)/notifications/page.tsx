import Link from "next/link";
import { Card } from "@/components/ui/card";
import { PageHeader } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { listDepartments } from "@/lib/accounts/departments";
import { format } from "@/lib/i18n";
import { listNotifications, readEmailPreference } from "@/lib/notifications/inbox";
import { describeNotification } from "@/lib/notifications/wording";
import { formatInZone } from "@/lib/time/zone";
import { consolePage } from "@/app/(console)/_page/console-page";
import { firstParam, pageNumber } from "@/app/(console)/_page/search-params";
import { EmailPreferenceToggle, MarkAllReadButton, MarkReadButton } from "./notification-forms";

/** The bell's page: the caller's notifications, newest first, each linking to where it is dealt with. */
export default consolePage("notifications.view", async function NotificationsPage(ctx, { searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { t, actor } = ctx;
  const words = t.notifications;
  const params = await searchParams;
  const page = pageNumber(params.page);
  const department = actor.role === "admin" ? (firstParam(params.department) ?? null) : null;
  const [list, departments, email] = await Promise.all([
    listNotifications(ctx, { page, departmentId: department }),
    actor.role === "admin" ? listDepartments(ctx, { offset: 0, limit: 1000 }) : Promise.resolve(null),
    readEmailPreference(ctx),
  ]);
  return (
    <div className="space-y-5">
      <PageHeader title={words.title} actions={<MarkAllReadButton departmentId={department} />}>
        {format(t.common.showing, { count: list.notifications.length, total: list.total })}
      </PageHeader>
      {departments ? (
        <form method="get" className="flex flex-wrap items-end gap-2 text-sm" data-testid="notifications-filter">
          <label className="flex flex-col gap-1">
            <span className="text-slate-600">{words.department}</span>
            <select name="department" defaultValue={department ?? ""} className="rounded-md border border-slate-300 px-2 py-1.5">
              <option value="">{words.allDepartments}</option>
              {departments.rows.map((row) => (
                <option key={row.id} value={row.id}>
                  {row.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="rounded-md px-3 py-1.5 font-medium ring-1 ring-inset ring-slate-300 hover:bg-slate-50">
            {t.common.filter}
          </button>
        </form>
      ) : null}
      <Card testId="notifications-list">
        {list.notifications.length === 0 ? (
          <p className="text-sm text-slate-500">{words.empty}</p>
        ) : (
          <ul className="divide-y divide-slate-100">
            {list.notifications.map((row) => (
              <li key={row.id} className="flex flex-col gap-2 py-3 sm:flex-row sm:items-start sm:justify-between" data-testid={`notification-${row.id}`} data-read={String(row.read)}>
                <div className="min-w-0 space-y-1">
                  <p className={`break-words text-sm ${row.read ? "text-slate-600" : "font-medium text-slate-900"}`}>
                    {row.read ? null : <span className="mr-1.5 inline-block h-2 w-2 rounded-full bg-rose-600" aria-label={words.unread} role="img" />}
                    {describeNotification(words, row)}
                  </p>
                  <p className="text-xs text-slate-500">
                    {formatInZone(new Date(row.createdAt), ctx.timeZone)}
                    {actor.role === "admin" ? ` · ${row.departmentName ?? words.companyWide}` : null}
                  </p>
                </div>
                <div className="flex shrink-0 flex-wrap items-center gap-2">
                  <Link href={row.link} className="rounded-md px-3 py-1.5 text-sm font-medium text-indigo-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50" data-testid={`notification-open-${row.id}`}>
                    {words.open}
                  </Link>
                  {row.read ? null : <MarkReadButton id={row.id} />}
                </div>
              </li>
            ))}
          </ul>
        )}
        <Pagination page={page} hasMore={page * list.pageSize < list.total} params={{ department: department ?? undefined }} labels={{ previous: words.previous, next: words.next, page: t.common.page }} />
      </Card>
      <Card>
        <EmailPreferenceToggle email={email} />
      </Card>
    </div>
  );
});
