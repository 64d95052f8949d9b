"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Field, Input } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { format, type Messages } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";

function describeFailure(wire: string, messages: Messages["login"]["errors"]): string {
  const [reason, seconds] = wire.split(":");
  if (reason === "too_many") return format(messages.too_many, { seconds: seconds ?? "60" });
  if (reason === "wrong_credentials" || reason === "disabled" || reason === "busy") return messages[reason];
  return messages.unknown;
}

export function LoginForm() {
  const { t } = useI18n();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  return (
    <form
      className="space-y-4"
      data-testid="login-form"
      onSubmit={async (event) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        setPending(true);
        setError(null);
        const result = await signIn("credentials", {
          email: String(form.get("email") ?? ""),
          password: String(form.get("password") ?? ""),
          redirect: false,
        });
        setPending(false);
        if (result?.ok && !result.error) {
          router.replace("/");
          router.refresh();
        } else {
          setError(describeFailure(result?.error ?? "", t.login.errors));
        }
      }}
    >
      <Field label={t.common.email}>
        <Input name="email" type="email" autoComplete="username" required data-testid="login-email" />
      </Field>
      <Field label={t.common.password}>
        <Input name="password" type="password" autoComplete="current-password" required data-testid="login-password" />
      </Field>
      <StatusMessage testId="login-error">{error}</StatusMessage>
      <Button type="submit" className="w-full" disabled={pending} data-testid="login-submit">
        {pending ? t.common.working : t.login.submit}
      </Button>
    </form>
  );
}
