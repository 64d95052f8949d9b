"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { createFirstAdmin } from "./actions";

/** The first admin's name, address and password; once created, signs them in with the same credentials. */
export function SetupForm({ token }: { token: string | null }) {
  const { t } = useI18n();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState(false);
  const [pending, setPending] = useState(false);
  return (
    <form
      className="space-y-4"
      data-testid="setup-form"
      onSubmit={async (event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        const value = (name: string) => String(form.get(name) ?? "");
        if (value("password") !== value("confirmPassword")) {
          setError(t.setup.errors.mismatch);
          return;
        }
        setPending(true);
        setError(null);
        const answer = await createFirstAdmin({ name: value("name"), email: value("email"), password: value("password"), token: token ?? undefined });
        if (!answer.ok) {
          setPending(false);
          if (answer.reason === "admin_exists") router.refresh();
          setError(format(t.setup.errors[answer.reason], { seconds: answer.retryAfterSeconds ?? 60 }));
          return;
        }
        setCreated(true);
        const signedIn = await signIn("credentials", { email: answer.email, password: value("password"), redirect: false });
        router.replace(signedIn?.ok && !signedIn.error ? "/" : "/login");
        router.refresh();
      }}
    >
      <Field label={t.setup.name}>
        <Input name="name" autoComplete="name" required maxLength={100} data-testid="setup-name" />
      </Field>
      <Field label={t.common.email}>
        <Input name="email" type="email" autoComplete="username" required maxLength={254} data-testid="setup-email" />
      </Field>
      <Field label={t.common.password} hint={t.setup.passwordHint}>
        <Input name="password" type="password" autoComplete="new-password" required minLength={8} maxLength={72} data-testid="setup-password" />
      </Field>
      <Field label={t.setup.confirmPassword}>
        <Input name="confirmPassword" type="password" autoComplete="new-password" required minLength={8} maxLength={72} data-testid="setup-confirm-password" />
      </Field>
      <StatusMessage testId="setup-error">{error}</StatusMessage>
      <StatusMessage ok testId="setup-created">
        {created ? t.setup.created : null}
      </StatusMessage>
      <Button type="submit" className="w-full" disabled={pending} data-testid="setup-submit">
        {pending ? t.common.working : t.setup.submit}
      </Button>
    </form>
  );
}
