"use client";

import { signOut } from "next-auth/react";
import { useI18n } from "@/lib/i18n/client";
import { LocaleSwitch } from "./locale-switch";

export function Header({ email, role, department }: { email: string; role: "admin" | "department" | "manager"; department: string | null }) {
  const { t } = useI18n();
  return (
    <header className="flex h-12 items-center justify-between border-b border-slate-200 bg-white px-5">
      <div className="text-sm text-slate-500" data-testid="header-scope">
        {department ? <span className="font-medium text-slate-800">{department}</span> : null}
        {department ? " · " : null}
        {t.roles[role]}
      </div>
      <div className="flex items-center gap-4">
        <LocaleSwitch />
        <span className="text-sm text-slate-700" data-testid="header-user">
          {email}
        </span>
        <button
          type="button"
          className="text-sm text-slate-500 hover:text-slate-900"
          data-testid="sign-out"
          onClick={() => signOut({ callbackUrl: "/login" })}
        >
          {t.nav.signOut}
        </button>
      </div>
    </header>
  );
}
