import Link from "next/link";
import type { ReactNode } from "react";

const variants = {
  primary: "rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-medium text-white hover:bg-indigo-500",
  secondary: "rounded-md px-3 py-1.5 text-sm ring-1 ring-slate-300 hover:bg-slate-50",
} as const;

/** A link to another console page that looks like a button (a new task, back to the list). */
export function LinkButton({
  href,
  variant = "primary",
  testId,
  children,
}: {
  href: string;
  variant?: keyof typeof variants;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <Link href={href} className={variants[variant]} data-testid={testId}>
      {children}
    </Link>
  );
}
