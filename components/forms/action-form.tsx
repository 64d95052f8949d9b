"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { useI18n } from "@/lib/i18n/client";
import { describeRefusal, type Refusal } from "@/lib/i18n/describe";
import type { Messages } from "@/lib/i18n";

/** A refusal as a server action returns it: a code and a reason, worded here in the reader's language. */
export type FormRefusal = Refusal & { message: string; fieldErrors?: Record<string, Refusal> };
export type FormActionResult = { ok: true; data: unknown } | { ok: false; error: FormRefusal };

/** The sentence for a refusal, and one per field it points at, in the console's language. */
export function wordRefusal(t: Messages, error: FormRefusal): { message: string; fieldErrors: Record<string, string> } {
  const fieldErrors: Record<string, string> = {};
  for (const [field, refusal] of Object.entries(error.fieldErrors ?? {})) fieldErrors[field] = describeRefusal(t.server, refusal);
  return { message: describeRefusal(t.server, error), fieldErrors };
}

/**
 * A form bound to a server action: shows the action's error (and field errors through
 * `children`), refreshes the page's data on success and lets the caller show the result.
 */
export function ActionForm({
  action,
  children,
  submitLabel,
  onDone,
  resetOnSuccess = true,
  className = "",
  testId,
  variant = "primary",
  confirmText,
}: {
  action: (form: FormData) => Promise<FormActionResult>;
  children?: ReactNode | ((errors: Record<string, string>) => ReactNode);
  submitLabel: string;
  onDone?: (data: unknown) => void;
  resetOnSuccess?: boolean;
  className?: string;
  testId?: string;
  variant?: "primary" | "secondary" | "danger";
  confirmText?: string;
}) {
  const router = useRouter();
  const { t } = useI18n();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  return (
    <form
      className={className}
      data-testid={testId}
      onSubmit={(event) => {
        event.preventDefault();
        if (confirmText && !window.confirm(confirmText)) return;
        const form = event.currentTarget;
        const data = new FormData(form);
        startTransition(async () => {
          const result = await action(data);
          if (result.ok) {
            setError(null);
            setFieldErrors({});
            if (resetOnSuccess) form.reset();
            onDone?.(result.data);
            router.refresh();
          } else {
            const worded = wordRefusal(t, result.error);
            setError(worded.message);
            setFieldErrors(worded.fieldErrors);
          }
        });
      }}
    >
      {typeof children === "function" ? children(fieldErrors) : children}
      {error ? (
        <p className="mt-2 text-sm text-red-600" role="alert" data-testid="form-error">
          {error}
        </p>
      ) : null}
      <div className="mt-3 flex items-center gap-2">
        <Button type="submit" disabled={pending} variant={variant}>
          {pending ? t.common.working : submitLabel}
        </Button>
      </div>
    </form>
  );
}
