"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { NavGroup } from "./navigation";
import { useI18n } from "@/lib/i18n/client";

export function Sidebar({ groups }: { groups: NavGroup[] }) {
  const pathname = usePathname();
  const { t } = useI18n();
  const isActive = (href: string) => (href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`));
  return (
    <nav className="flex w-52 shrink-0 flex-col gap-4 border-r border-slate-200 bg-white px-3 py-4" data-testid="sidebar">
      <Link href="/" className="px-2 text-base font-bold tracking-tight text-indigo-700">
        {t.app.name}
      </Link>
      {groups.map((group, index) => (
        <div key={group.label ?? index} className="space-y-0.5">
          {group.label ? (
            <div className="px-2 pb-1 text-[11px] font-semibold uppercase tracking-wider text-slate-400">{t.nav[group.label]}</div>
          ) : null}
          {group.items.map((item) => (
            <Link
              key={item.href}
              href={item.href}
              data-testid={item.testId}
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
