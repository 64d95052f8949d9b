"use client";

import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { unsubscribeFromMessage, type UnsubscribeState } from "./actions";

export function UnsubscribeButton({ token }: { token: string }) {
  const { t } = useI18n();
  const [state, setState] = useState<UnsubscribeState | "failed" | null>(null);
  const [pending, startTransition] = useTransition();
  if (state === "failed" || state?.ok === false) {
    return <p className="text-sm text-red-600">{state === "failed" ? t.unsubscribe.failed : t.unsubscribe.invalid}</p>;
  }
  if (state?.ok) {
    return (
      <div className="space-y-1" data-testid="unsubscribed">
        <p className="font-medium text-emerald-700">{t.unsubscribe.done}</p>
        <p className="text-sm text-slate-600">{format(t.unsubscribe.doneDetail, { email: state.email, department: state.department })}</p>
      </div>
    );
  }
  return (
    <Button
      data-testid="unsubscribe-confirm"
      disabled={pending}
      onClick={() =>
        startTransition(async () => {
          try {
            setState(await unsubscribeFromMessage(token));
          } catch {
            setState("failed");
          }
        })
      }
    >
      {pending ? t.unsubscribe.working : t.unsubscribe.confirm}
    </Button>
  );
}
