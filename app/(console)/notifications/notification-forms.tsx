"use client";

import { ActionForm } from "@/components/forms/action-form";
import { useI18n } from "@/lib/i18n/client";
import { markAllRead, markRead, setNotificationEmail } from "./actions";

const inline = "inline-block [&>div]:mt-0";

export function MarkReadButton({ id }: { id: string }) {
  const { t } = useI18n();
  return (
    <ActionForm action={markRead} submitLabel={t.notifications.markRead} variant="secondary" className={inline} testId={`notification-read-${id}`}>
      <input type="hidden" name="id" value={id} />
    </ActionForm>
  );
}

export function MarkAllReadButton({ departmentId }: { departmentId: string | null }) {
  const { t } = useI18n();
  return (
    <ActionForm action={markAllRead} submitLabel={t.notifications.markAllRead} variant="secondary" className={inline} testId="notifications-read-all">
      {departmentId ? <input type="hidden" name="departmentId" value={departmentId} /> : null}
    </ActionForm>
  );
}

/** Also by e-mail: a toggle, as the company page's rules are. */
export function EmailPreferenceToggle({ email }: { email: boolean }) {
  const { t } = useI18n();
  return (
    <div className="space-y-1" data-testid="notification-email" data-on={String(email)}>
      <ActionForm action={setNotificationEmail} submitLabel={`${email ? "☑" : "☐"} ${t.notifications.emailPreference}`} variant="secondary" className="[&>div]:mt-0" testId="notification-email-form">
        {!email ? <input type="hidden" name="email" value="on" /> : null}
      </ActionForm>
      <p className="text-xs text-slate-500">{t.notifications.emailPreferenceHint}</p>
    </div>
  );
}
