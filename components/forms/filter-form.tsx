import type { ReactNode } from "react";
import { Button } from "@/components/ui/button";

/** A GET form that narrows a list: its fields, then the button that applies them (and any links after it). */
export function FilterForm({
  action,
  className = "",
  testId,
  submit,
  after,
  children,
}: {
  action?: string;
  className?: string;
  testId?: string;
  submit: { label: string; testId?: string };
  after?: ReactNode;
  children: ReactNode;
}) {
  return (
    <form className={`flex flex-wrap items-end gap-2 ${className}`.trim()} action={action} data-testid={testId}>
      {children}
      <Button type="submit" variant="secondary" data-testid={submit.testId}>
        {submit.label}
      </Button>
      {after}
    </form>
  );
}

/** A filter with its caption above it. */
export function FilterField({ label, children }: { label: string; children: ReactNode }) {
  return (
    <label className="space-y-1">
      <span className="block text-xs text-slate-500">{label}</span>
      {children}
    </label>
  );
}
