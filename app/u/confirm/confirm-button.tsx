"use client";

import { useState, useTransition } from "react";
import { Button } from "@/components/ui/button";
import { confirmSubscription } from "./actions";

export function ConfirmButton({ token, labels }: { token: string; labels: { confirm: string; done: string; invalid: string } }) {
  const [state, setState] = useState<"idle" | "done" | "invalid">("idle");
  const [pending, startTransition] = useTransition();
  if (state !== "idle") return <p className={`text-sm ${state === "done" ? "text-emerald-700" : "text-red-600"}`}>{labels[state]}</p>;
  return (
    <Button disabled={pending} onClick={() => startTransition(async () => setState((await confirmSubscription(token)).ok ? "done" : "invalid"))}>
      {labels.confirm}
    </Button>
  );
}
