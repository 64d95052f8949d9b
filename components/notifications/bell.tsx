"use client";

import Link from "next/link";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";

/** The header's bell: a link to /notifications whose name says how many are unread. */
export function NotificationBell({ unread }: { unread: number }) {
  const { t } = useI18n();
  const label = unread > 0 ? format(t.notifications.bell, { count: unread }) : t.notifications.bellNone;
  return (
    <Link href="/notifications" className="relative shrink-0 rounded p-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900" aria-label={label} title={label} data-testid="notification-bell" data-unread={unread}>
      <svg aria-hidden="true" viewBox="0 0 20 20" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
        <path d="M5 8a5 5 0 0 1 10 0c0 4 1.5 5.5 2 6H3c.5-.5 2-2 2-6ZM8.5 17a1.5 1.5 0 0 0 3 0" />
      </svg>
      {unread > 0 ? (
        <span aria-hidden="true" className="absolute -right-0.5 -top-0.5 min-w-4 rounded-full bg-rose-600 px-1 text-center text-[10px] font-semibold leading-4 text-white" data-testid="notification-count">
          {unread > 99 ? "99+" : unread}
        </span>
      ) : null}
    </Link>
  );
}
