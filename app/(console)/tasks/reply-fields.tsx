"use client";

import { Field, Input } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { useI18n } from "@/lib/i18n/client";
import { REPLY_FIELDS } from "./reply-form";

/**
 * Reply collection on an e-mail task (issue 19): each message's Reply-To is its delivery's own
 * address at Fanout, and the replies come back to the task's page. The forward mailbox is offered
 * only while the box is ticked, and is posted only then: naming one would turn collection on.
 */
export function ReplyFields({
  checked,
  forwardTo,
  errors,
  onChange,
  onForwardToChange,
}: {
  checked: boolean;
  forwardTo: string;
  errors: Record<string, string>;
  onChange: (checked: boolean) => void;
  onForwardToChange: (value: string) => void;
}) {
  const { t } = useI18n();
  const words = t.tasks.replies;
  return (
    <div className="space-y-2" data-testid="task-replies">
      <label className="flex items-start gap-2 text-sm">
        <input
          type="checkbox"
          name={REPLY_FIELDS.on}
          checked={checked}
          onChange={(event) => onChange(event.target.checked)}
          className="mt-0.5 h-4 w-4 shrink-0 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
          data-testid="task-replies-on"
        />
        <span>
          {words.label}
          <span className="block text-xs text-slate-500">{words.hint}</span>
        </span>
      </label>
      <StatusMessage size="xs" testId="task-replies-error">{errors[REPLY_FIELDS.on]}</StatusMessage>
      {checked ? (
        <div className="pl-6 sm:max-w-md">
          <Field label={words.forwardTo} hint={words.forwardToHint} error={errors[REPLY_FIELDS.forwardTo]}>
            <Input
              name={REPLY_FIELDS.forwardTo}
              // Text, not type=email: the server checks the address (internationalised ones included) and says what is wrong beside the field.
              type="text"
              inputMode="email"
              value={forwardTo}
              onChange={(event) => onForwardToChange(event.target.value)}
              maxLength={320}
              autoComplete="off"
              placeholder="sales@example.com"
              data-testid="task-reply-forward-to"
            />
          </Field>
        </div>
      ) : null}
    </div>
  );
}
