"use client";

import { useRouter } from "next/navigation";
import { useState, useTransition } from "react";
import { wordRefusal, type FormRefusal } from "@/components/forms/action-form";
import { useI18n } from "@/lib/i18n/client";
import { createAutomation } from "./actions";
import { errorUnder } from "./automation-draft";

type Input = Parameters<typeof createAutomation>[0];

/**
 * Posts an automation and opens its report, or keeps the refusal: each field's beside it, and the
 * sentence below the form when no field the form shows was named (`shown`: the fields it places).
 */
export function useCreateAutomation(shown: string[]) {
  const { t } = useI18n();
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [refusal, setRefusal] = useState<{ message: string; fieldErrors: Record<string, string> } | null>(null);
  const save = (input: Input) =>
    startTransition(async () => {
      const result = await createAutomation(input);
      if (!result.ok) return setRefusal(wordRefusal(t, result.error as FormRefusal));
      router.push(`/automations/${result.data.id}`);
    });
  const errors = refusal?.fieldErrors ?? {};
  const placed = shown.some((field) => errorUnder(errors, field) !== undefined);
  return { save, pending, errors, message: refusal && !placed ? refusal.message : null };
}
