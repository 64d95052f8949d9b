"use client";

import { useRouter } from "next/navigation";
import { ActionForm } from "@/components/forms/action-form";
import { Field, Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import type { GroupPosting, GroupReplyTo, GroupStrangers } from "@/db/schema/groups";
import { useI18n } from "@/lib/i18n/client";
import { createGroup, deleteGroup, updateGroup } from "./actions";

export type GroupSettings = { id: string; address: string; name: string; posting: GroupPosting; strangers: GroupStrangers; replyTo: GroupReplyTo; moderators: string[]; enabled: boolean };

// The schema's choices, restated so the browser bundle does not take drizzle with it.
const GROUP_POSTING: readonly GroupPosting[] = ["members", "moderators", "anyone"];
const GROUP_STRANGERS: readonly GroupStrangers[] = ["hold", "refuse"];
const GROUP_REPLY_TO: readonly GroupReplyTo[] = ["group", "poster"];

const textarea = "block w-full rounded-md border-0 px-2.5 py-1.5 font-mono text-xs ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-inset focus:ring-indigo-600";

/** New (with the pool to choose) or existing group's settings; the server checks and names each field. */
export function GroupForm({ pools, group }: { pools?: { id: string; label: string }[]; group?: GroupSettings }) {
  const { t } = useI18n();
  const words = t.groups;
  const router = useRouter();
  return (
    <ActionForm
      action={group ? updateGroup : createGroup}
      submitLabel={group ? t.common.save : words.form.create}
      resetOnSuccess={false}
      testId="group-form"
      onDone={(data) => {
        if (!group) router.push(`/groups/${(data as { id: string }).id}`);
      }}
    >
      {(errors) => (
        <div className="grid gap-3 md:grid-cols-2">
          {group ? <input type="hidden" name="id" value={group.id} /> : null}
          {pools ? (
            <Field label={words.form.pool} hint={words.form.poolHint} error={errors.poolId}>
              <Select name="poolId" required data-testid="group-pool">
                <Options choices={pools.map((pool) => ({ value: pool.id, label: pool.label }))} />
              </Select>
            </Field>
          ) : null}
          <Field label={words.form.address} hint={words.form.addressHint} error={errors.address}>
            <Input name="address" type="email" required maxLength={320} defaultValue={group?.address} autoCapitalize="none" spellCheck={false} data-testid="group-address" />
          </Field>
          <Field label={words.form.name} hint={words.form.nameHint} error={errors.name}>
            <Input name="name" maxLength={200} defaultValue={group?.name} data-testid="group-name" />
          </Field>
          <Field label={words.form.posting} error={errors.posting}>
            <Select name="posting" defaultValue={group?.posting ?? "members"} data-testid="group-posting">
              <Options choices={GROUP_POSTING.map((value) => ({ value, label: words.posting[value] }))} />
            </Select>
          </Field>
          <Field label={words.form.strangers} error={errors.strangers}>
            <Select name="strangers" defaultValue={group?.strangers ?? "hold"} data-testid="group-strangers">
              <Options choices={GROUP_STRANGERS.map((value) => ({ value, label: words.strangers[value] }))} />
            </Select>
          </Field>
          <Field label={words.form.replyTo} error={errors.replyTo}>
            <Select name="replyTo" defaultValue={group?.replyTo ?? "group"} data-testid="group-reply-to">
              <Options choices={GROUP_REPLY_TO.map((value) => ({ value, label: words.replyTo[value] }))} />
            </Select>
          </Field>
          <div className="md:col-span-2">
            <Field label={words.form.moderators} hint={words.form.moderatorsHint} error={errors.moderators}>
              <textarea name="moderators" rows={3} maxLength={20_000} defaultValue={group?.moderators.join("\n")} className={textarea} spellCheck={false} data-testid="group-moderators" />
            </Field>
          </div>
          {group ? (
            <label className="flex items-center gap-2 text-sm md:col-span-2">
              <input type="checkbox" name="enabled" defaultChecked={group.enabled} data-testid="group-enabled" />
              {words.form.enabled}
            </label>
          ) : null}
        </div>
      )}
    </ActionForm>
  );
}

export function DeleteGroupForm({ id }: { id: string }) {
  const { t } = useI18n();
  const router = useRouter();
  return (
    <ActionForm action={deleteGroup} submitLabel={t.groups.delete} variant="danger" confirmText={t.groups.deleteConfirm} testId="group-delete-form" onDone={() => router.push("/groups")}>
      <input type="hidden" name="id" value={id} />
    </ActionForm>
  );
}
