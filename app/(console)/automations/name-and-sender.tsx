"use client";

import { Field, Input } from "@/components/ui/field";
import { useI18n } from "@/lib/i18n/client";
import type { AutomationOptions } from "./automation-draft";
import { ChooseField } from "./choose-field";

/** The name and the sender every automation has, whichever way it is made. */
export function NameAndSender({
  name,
  senderId,
  senders,
  errors,
  onName,
  onSender,
}: {
  name: string;
  senderId: string;
  senders: AutomationOptions["senders"];
  errors: Record<string, string>;
  onName: (name: string) => void;
  onSender: (senderId: string) => void;
}) {
  const { t } = useI18n();
  const words = t.automations.form;
  return (
    <div className="grid gap-3 md:grid-cols-2">
      <Field label={words.name} error={errors.name}>
        <Input value={name} onChange={(event) => onName(event.target.value)} maxLength={200} required data-testid="automation-name" />
      </Field>
      <ChooseField label={words.sender} placeholder={words.chooseSender} value={senderId} rows={senders.map((sender) => ({ id: sender.id, name: sender.address }))} error={errors.senderId} onChange={onSender} testId="automation-sender" />
    </div>
  );
}
