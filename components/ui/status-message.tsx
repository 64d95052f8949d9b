import type { ReactNode } from "react";

const sizes = { sm: "text-sm", xs: "text-xs" } as const;

/** A line that reports how something went (an error unless `ok`); nothing when there is nothing to say. */
export function StatusMessage({
  children,
  ok = false,
  size = "sm",
  testId,
}: {
  children: ReactNode;
  ok?: boolean;
  size?: keyof typeof sizes;
  testId?: string;
}) {
  if (!children) return null;
  return (
    <p className={`${sizes[size]} ${ok ? "text-emerald-700" : "text-red-600"}`} role="alert" data-testid={testId}>
      {children}
    </p>
  );
}
