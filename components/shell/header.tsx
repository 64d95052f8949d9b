"use client";

import type { RefObject } from "react";
import { signOut } from "next-auth/react";
import { useI18n } from "@/lib/i18n/client";
import { NotificationBell } from "@/components/notifications/bell";
import { LocaleSwitch } from "./locale-switch";

/** The top bar. Below md it starts with the button that opens the sidebar, and long names are cut short rather than widen the page. */
export function Header({
  email,
  role,
  department,
  unread = null,
  menu,
  menuButton,
}: {
  email: string;
  role: "admin" | "department" | "manager";
  department: string | null;
  /** Unread notifications; null: no bell for this role. */
  unread?: number | null;
  menu: { open: boolean; controls: string; toggle: () => void };
  menuButton: RefObject<HTMLButtonElement | null>;
}) {
  const { t } = useI18n();
  const scope = `${department ? `${department} · ` : ""}${t.roles[role]}`;
  return (
    <header className="flex h-12 items-center justify-between gap-3 border-b border-slate-200 bg-white px-3 md:px-5">
      <div className="flex min-w-0 items-center gap-2">
        <button
          ref={menuButton}
          type="button"
          className="-ml-1 shrink-0 rounded p-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900 md:hidden"
          aria-label={t.nav.menu}
          aria-expanded={menu.open}
          aria-controls={menu.controls}
          data-testid="menu-button"
          onClick={menu.toggle}
        >
          <svg aria-hidden="true" viewBox="0 0 20 20" className="h-5 w-5" fill="none" stroke="currentColor" strokeWidth="1.75" strokeLinecap="round">
            <path d="M3 5h14M3 10h14M3 15h14" />
          </svg>
        </button>
        <div className="truncate text-sm text-slate-500" data-testid="header-scope" title={scope}>
          {department ? <span className="font-medium text-slate-800">{department}</span> : null}
          {department ? " · " : null}
          {t.roles[role]}
        </div>
      </div>
      {/* The right side keeps its size (the bell, the language and sign-out must stay on screen); the address is capped instead and the scope on the left gives way. */}
      <div className="flex shrink-0 items-center gap-3 md:gap-4">
        {unread !== null ? <NotificationBell unread={unread} /> : null}
        <LocaleSwitch />
        <span className="max-w-[6rem] truncate text-sm text-slate-700 sm:max-w-[14rem] lg:max-w-xs" data-testid="header-user" title={email}>
          {email}
        </span>
        <button
          type="button"
          className="shrink-0 whitespace-nowrap text-sm text-slate-500 hover:text-slate-900"
          data-testid="sign-out"
          onClick={() => signOut({ callbackUrl: "/login" })}
        >
          {t.nav.signOut}
        </button>
      </div>
    </header>
  );
}
