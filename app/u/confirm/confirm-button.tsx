"use client";

import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { confirmSubscription, type ConfirmAnswer } from "./actions";

export function ConfirmButton({ token, labels }: { token: string; labels: { confirm: string } & Record<ConfirmAnswer, string> }) {
  const [state, setState] = useState<"idle" | ConfirmAnswer>("idle");
  const [pending, startTransition] = useTransition();
  if (state !== "idle") {
    return (
      <p className={`text-sm ${state === "confirmed" ? "text-emerald-700" : state === "used" ? "text-slate-600" : "text-red-600"}`} data-testid="confirm-outcome">
        {labels[state]}
      </p>
    );
  }
  return (
    <Button disabled={pending} onClick={() => startTransition(async () => setState((await confirmSubscription(token)).outcome))}>
      {labels.confirm}
    </Button>
  );
}
