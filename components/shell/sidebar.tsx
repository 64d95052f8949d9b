"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";
import type { NavGroup } from "./navigation";
import { useI18n } from "@/lib/i18n/client";

/**
 * The console's sections. At md and wider a 208 px column; below md (`drawer`) a panel that slides in
 * over the page while `open` and is inert, out of sight to the left, while closed.
 */
export function Sidebar({
  id,
  groups,
  drawer = false,
  open = false,
  onClose,
}: {
  id?: string;
  groups: NavGroup[];
  drawer?: boolean;
  open?: boolean;
  onClose?: (returnFocus: boolean) => void;
}) {
  const pathname = usePathname();
  const { t } = useI18n();
  const panel = useRef<HTMLElement>(null);
  const isActive = (href: string) => (href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`));

  useEffect(() => {
    if (open) panel.current?.querySelector<HTMLElement>("a[data-testid]")?.focus();
  }, [open]);

  return (
    <nav
      ref={panel}
      id={id}
      aria-label={t.nav.menu}
      inert={drawer && !open}
      className={`fixed inset-y-0 left-0 z-40 flex w-52 shrink-0 flex-col gap-4 overflow-y-auto border-r border-slate-200 bg-white px-3 py-4 transition-transform md:static md:z-auto md:translate-x-0 md:overflow-visible md:transition-none ${
        open ? "translate-x-0 shadow-xl md:shadow-none" : "-translate-x-full"
      }`}
      data-testid="sidebar"
      data-open={open}
    >
      <div className="flex items-center justify-between">
        <Link href="/" className="px-2 text-base font-bold tracking-tight text-indigo-700" onClick={() => onClose?.(false)}>
          {t.app.name}
        </Link>
        {drawer ? (
          <button
            type="button"
            className="rounded p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-900 md:hidden"
            aria-label={t.nav.closeMenu}
            data-testid="sidebar-close"
            onClick={() => onClose?.(true)}
          >
            <span aria-hidden="true">✕</span>
          </button>
        ) : null}
      </div>
      {groups.map((group, index) => (
        <div key={group.label ?? index} className="space-y-0.5">
          {group.label ? (
            <div className="px-2 pb-1 text-[11px] font-semibold uppercase tracking-wider text-slate-500">{t.nav[group.label]}</div>
          ) : null}
          {group.items.map((item) => (
            <Link
              key={item.href}
              href={item.href}
              data-testid={item.testId}
              onClick={() => onClose?.(false)}
              className={`block rounded-md px-2 py-1.5 text-sm ${
                isActive(item.href) ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-700 hover:bg-slate-100"
              }`}
            >
              {t.nav[item.label]}
            </Link>
          ))}
        </div>
      ))}
    </nav>
  );
}
