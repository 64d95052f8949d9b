"use client";

import { usePathname } from "next/navigation";
import { useCallback, useEffect, useRef, useState, type MouseEvent, type ReactNode } from "react";
import { useI18n } from "@/lib/i18n/client";
import { Header } from "./header";
import { Sidebar } from "./sidebar";
import type { NavGroup } from "./navigation";

export const SIDEBAR_ID = "console-sidebar";
const MAIN_ID = "main-content";

/** True below Tailwind's `md` (48rem), where the sidebar is a drawer; false on the server and at md and wider. */
function useSmallScreen(): boolean {
  const [small, setSmall] = useState(false);
  useEffect(() => {
    const query = window.matchMedia("(width < 48rem)");
    const update = () => setSmall(query.matches);
    update();
    query.addEventListener("change", update);
    return () => query.removeEventListener("change", update);
  }, []);
  return small;
}

/**
 * The first stop of Tab on every console page, out of sight until focused: it moves focus to the
 * page's main content, past the sidebar and the top bar.
 */
function SkipLink() {
  const { t } = useI18n();
  const skip = (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault();
    document.getElementById(MAIN_ID)?.focus();
  };
  return (
    <a
      href={`#${MAIN_ID}`}
      onClick={skip}
      className="sr-only focus:not-sr-only focus:fixed focus:left-3 focus:top-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-sm focus:font-medium focus:text-indigo-700 focus:shadow-lg focus:ring-2 focus:ring-indigo-600"
      data-testid="skip-link"
    >
      {t.a11y.skipToContent}
    </a>
  );
}

/**
 * The console around a page: at md and wider the sidebar sits beside it; below md the sidebar is a
 * drawer the header's menu button opens, closed again by Escape, the backdrop or choosing a link.
 */
export function ConsoleFrame({
  groups,
  user,
  children,
}: {
  groups: NavGroup[];
  user: { email: string; role: "admin" | "department" | "manager"; department: string | null; unread?: number | null };
  children: ReactNode;
}) {
  const small = useSmallScreen();
  const [open, setOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const pathname = usePathname();
  const drawerOpen = small && open;

  const close = useCallback((returnFocus: boolean) => {
    setOpen(false);
    if (returnFocus) menuButton.current?.focus();
  }, []);

  // A link chosen in the drawer, or the back button, lands on another page: the drawer is done.
  const [shownFor, setShownFor] = useState(pathname);
  if (shownFor !== pathname) {
    setShownFor(pathname);
    setOpen(false);
  }

  useEffect(() => {
    if (!drawerOpen) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") close(true);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [drawerOpen, close]);

  return (
    <div className="flex min-h-full">
      <SkipLink />
      <Sidebar id={SIDEBAR_ID} groups={groups} drawer={small} open={drawerOpen} onClose={close} />
      {drawerOpen ? <div className="fixed inset-0 z-30 bg-slate-900/40 md:hidden" aria-hidden="true" data-testid="sidebar-backdrop" onClick={() => close(true)} /> : null}
      <div className="flex min-w-0 flex-1 flex-col">
        <Header {...user} menuButton={menuButton} menu={{ open: drawerOpen, controls: SIDEBAR_ID, toggle: () => setOpen((value) => !value) }} />
        <main id={MAIN_ID} tabIndex={-1} className="flex-1 px-4 py-5 outline-none md:px-6">{children}</main>
      </div>
    </div>
  );
}
