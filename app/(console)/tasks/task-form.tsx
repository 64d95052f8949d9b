"use client";

import Link from "next/link";
import { useEffect, useState, type ReactNode } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { Field, Input, Select } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { Options } from "@/components/ui/options";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import type { TaskFormOptions } from "@/lib/sending/task-pages";
import type { AbTestConfig } from "@/db/schema";
import { AbTestFields } from "./ab-test-fields";
import type { AbLimits } from "./ab-test-form";
import { SEND_TIME_FIELD, SendTimeField } from "./send-time-field";
import { ReplyFields } from "./reply-fields";
import { CheckboxList, SegmentChoices } from "./task-segments";
import { reviewTask } from "./actions";
import { TaskConfirm, type ReviewedTask } from "./task-confirm";

/** What a task form sends over (lib/sending/channel.ts TASK_CHANNELS_OFFERED). */
export type TaskFormChannel = "email" | "sms" | "whatsapp";

export type TaskDraft = {
  /** Set when editing a scheduled task; null for a new one (or a duplicate). */
  id: string | null;
  departmentId: string | null;
  name: string;
  templateId: string;
  /** E-mail, or SMS or WhatsApp (a template of that channel, no sender). */
  channel: TaskFormChannel;
  poolIds: string[] | "all";
  segmentIds: string[];
  senderId: string;
  fromName: string;
  limit: number | null;
  /** datetime-local in FANOUT_TIMEZONE; null: now. */
  scheduledAt: string | null;
  /** An e-mail task's A/B test as saved (a blank variant field is the task's own); null: none. */
  abTest: AbTestConfig | null;
  /** Each contact's message at their best hour within a day (e-mail, never with an A/B test). */
  sendTimeOptimization: boolean;
  /** Replies collected on the task (e-mail), and the mailbox they are forwarded to ("" for none). */
  replyTracking: boolean;
  replyForwardTo: string;
};

/** A set of choices under its legend, with the error the server gave for it. */
function ChoiceGroup({ legend, error, children }: { legend: string; error?: string; children: ReactNode }) {
  return (
    <fieldset className="space-y-2">
      <legend className="text-xs font-medium text-slate-700">{legend}</legend>
      {children}
      <StatusMessage size="xs">{error}</StatusMessage>
    </fieldset>
  );
}

/** One radio button of the task form and its words; checked while `chosen` is its value. */
function RadioChoice<Value extends string>({
  name,
  value,
  chosen,
  onChoose,
  className = "flex items-center gap-1.5",
  children,
}: {
  name: string;
  value: Value;
  chosen: Value;
  onChoose: (value: Value) => void;
  className?: string;
  children: ReactNode;
}) {
  return (
    <label className={className}>
      <input
        type="radio"
        className="h-4 w-4 border-slate-300 text-indigo-600 focus:ring-indigo-600"
        name={name}
        value={value}
        checked={chosen === value}
        onChange={() => onChoose(value)}
        data-testid={`task-${name}-${value}`}
      />
      {children}
    </label>
  );
}

/** 添加群发任务: template, pools (or all addresses), sender, display name, how many, an A/B test or each contact's best hour and reply collection (e-mail) and when. */
export function TaskForm({
  draft,
  options,
  showDepartment,
  timeZone,
  laterDefault,
  abLimits,
}: {
  draft: TaskDraft;
  options: TaskFormOptions;
  showDepartment: boolean;
  timeZone: string;
  /** What the date field offers when "At" is chosen and the draft has no time. */
  laterDefault: string;
  abLimits: AbLimits;
}) {
  const { t, locale } = useI18n();
  const editing = draft.id !== null;
  const [departmentId, setDepartmentId] = useState(draft.departmentId ?? options.departments[0]?.id ?? "");
  const [name, setName] = useState(draft.name);
  const [nameTouched, setNameTouched] = useState(draft.name !== "");
  const [templateId, setTemplateId] = useState(draft.templateId);
  const [channel, setChannel] = useState<TaskFormChannel>(draft.channel);
  const [audience, setAudience] = useState<"all" | "pools">(draft.poolIds === "all" ? "all" : "pools");
  const [poolIds, setPoolIds] = useState<string[]>(draft.poolIds === "all" ? [] : draft.poolIds);
  const [segmentIds, setSegmentIds] = useState<string[]>(draft.segmentIds);
  const [senderId, setSenderId] = useState(draft.senderId);
  const [fromName, setFromName] = useState(draft.fromName);
  const [fromNameTouched, setFromNameTouched] = useState(draft.fromName !== "");
  const [amount, setAmount] = useState<"all" | "some">(draft.limit === null ? "all" : "some");
  const [when, setWhen] = useState<"now" | "later">(draft.scheduledAt ? "later" : "now");
  const [abTestOn, setAbTestOn] = useState(draft.abTest !== null);
  const [sendTime, setSendTime] = useState(draft.sendTimeOptimization);
  const [replyTracking, setReplyTracking] = useState(draft.replyTracking);
  const [replyForwardTo, setReplyForwardTo] = useState(draft.replyForwardTo);
  const [measured, setMeasured] = useState<{ query: string; sendable: number; suppressed: number } | null>(null);
  // The confirmation step: while it shows, the form stays mounted (hidden), so going back finds it as typed.
  const [review, setReview] = useState<{ data: ReviewedTask; form: FormData } | null>(null);
  const [confirmErrors, setConfirmErrors] = useState<Record<string, string>>({});

  const inDepartment = <T extends { departmentId: string }>(rows: T[]) => rows.filter((row) => !departmentId || row.departmentId === departmentId);
  const templates = inDepartment(options.templates).filter((template) => template.channel === channel);
  const pools = inDepartment(options.pools);
  const senders = inDepartment(options.senders);
  const domains = [...new Set(senders.map((sender) => sender.domain))];
  const number = (value: number) => value.toLocaleString(locale);

  const audienceQuery = new URLSearchParams([
    ...(departmentId ? [["department", departmentId]] : []),
    ...(channel !== "email" ? [["channel", channel]] : []),
    ...(audience === "all" ? [["all", "1"]] : [...poolIds.map((id) => ["pool", id]), ...segmentIds.map((id) => ["segment", id])]),
  ]).toString();
  const measurable = audience === "all" || poolIds.length > 0 || segmentIds.length > 0;
  // The count answered for the current choice only; an older answer is not shown.
  const size = measurable && measured?.query === audienceQuery ? measured : null;

  useEffect(() => {
    if (!measurable) return;
    let stopped = false;
    const timer = setTimeout(async () => {
      const response = await fetch(`/tasks/audience?${audienceQuery}`, { cache: "no-store" }).catch(() => null);
      if (!stopped && response?.ok) setMeasured({ query: audienceQuery, ...((await response.json()) as { sendable: number; suppressed: number }) });
    }, 250);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [audienceQuery, measurable]);

  const chooseDepartment = (id: string) => {
    setDepartmentId(id);
    setTemplateId("");
    setSenderId("");
    setPoolIds([]);
    setSegmentIds([]);
  };
  const chooseChannel = (chosen: TaskFormChannel) => {
    setChannel(chosen);
    setTemplateId("");
  };
  const chooseTemplate = (id: string) => {
    setTemplateId(id);
    const template = options.templates.find((row) => row.id === id);
    if (!nameTouched && template) setName(template.name);
  };
  const chooseSender = (id: string) => {
    setSenderId(id);
    const sender = options.senders.find((row) => row.id === id);
    if (!fromNameTouched) setFromName(sender?.name ?? "");
  };

  const check = async (form: FormData) => {
    setConfirmErrors({});
    const result = await reviewTask(form);
    if (result.ok) setReview({ data: result.data, form });
    return result;
  };

  return (
    <>
      <ActionForm
        action={check}
        submitLabel={when === "later" ? t.confirmSend.reviewSchedule : t.confirmSend.reviewSend}
        resetOnSuccess={false}
        className={review ? "hidden" : ""}
        testId="task-form"
      >
        {(formErrors) => {
          const errors = { ...formErrors, ...confirmErrors };
          return (
            <div className="max-w-3xl space-y-4">
              {editing ? <input type="hidden" name="id" value={draft.id!} /> : null}
              {showDepartment && !editing ? (
                <Field label={t.common.department} error={errors.departmentId}>
                  <Select name="departmentId" value={departmentId} onChange={(event) => chooseDepartment(event.target.value)} data-testid="task-department">
                    <Options choices={options.departments.map((department) => ({ value: department.id, label: department.name }))} />
                  </Select>
                </Field>
              ) : (
                <input type="hidden" name="departmentId" value={departmentId} />
              )}
              {options.smsConfigured || options.whatsappConfigured || channel !== "email" ? (
                <ChoiceGroup legend={t.tasks.channel} error={errors.channel}>
                  <div className="flex flex-wrap gap-4 text-sm">
                    <RadioChoice name="channel" value="email" chosen={channel} onChoose={chooseChannel}>{t.tasks.channelEmail}</RadioChoice>
                    {options.smsConfigured || channel === "sms" ? (
                      <RadioChoice name="channel" value="sms" chosen={channel} onChoose={chooseChannel}>{t.tasks.channelSms}</RadioChoice>
                    ) : null}
                    {options.whatsappConfigured || channel === "whatsapp" ? (
                      <RadioChoice name="channel" value="whatsapp" chosen={channel} onChoose={chooseChannel}>{t.tasks.channelWhatsApp}</RadioChoice>
                    ) : null}
                  </div>
                </ChoiceGroup>
              ) : (
                <input type="hidden" name="channel" value="email" />
              )}
              <Field label={t.tasks.template} error={errors.templateId}>
                <Select name="templateId" value={templateId} onChange={(event) => chooseTemplate(event.target.value)} required data-testid="task-template">
                  <option value="">{t.tasks.chooseTemplate}</option>
                  <Options choices={templates.map((template) => ({ value: template.id, label: `${template.name} · v${template.version}` }))} />
                </Select>
              </Field>
              <Field label={t.tasks.name} error={errors.name}>
                <Input
                  name="name"
                  value={name}
                  onChange={(event) => {
                    setName(event.target.value);
                    setNameTouched(true);
                  }}
                  required
                  maxLength={200}
                  data-testid="task-name"
                />
              </Field>
              <ChoiceGroup legend={t.tasks.audience} error={errors.poolIds}>
                <div className="flex flex-wrap gap-4 text-sm">
                  <RadioChoice name="audience" value="pools" chosen={audience} onChoose={setAudience}>{t.tasks.someAddresses}</RadioChoice>
                  <RadioChoice name="audience" value="all" chosen={audience} onChoose={setAudience}>{t.tasks.allAddresses}</RadioChoice>
                </div>
                {audience === "pools" ? (
                  pools.length === 0 ? (
                    <Link href="/pools" className="text-sm text-indigo-700 underline" data-testid="task-no-pools">
                  {t.tasks.noPools}
                </Link>
                  ) : (
                    <CheckboxList
                      name="poolIds"
                      items={pools.map((pool) => ({ id: pool.id, name: pool.name, hint: format(t.tasks.poolAddresses, { count: number(pool.contactCount) }) }))}
                      chosen={poolIds}
                      onChange={setPoolIds}
                      testId="pool"
                    />
                  )
                ) : null}
                {audience === "pools" ? <SegmentChoices segments={inDepartment(options.segments)} chosen={segmentIds} onChange={setSegmentIds} /> : null}
                {size ? (
                  <p className="text-xs text-slate-600" data-testid="audience-size">
                    {format(t.tasks.audienceSize, { sendable: number(size.sendable) })}
                    {size.suppressed > 0 ? ` · ${format(t.tasks.audienceSuppressed, { suppressed: number(size.suppressed) })}` : ""}
                  </p>
                ) : null}
              </ChoiceGroup>
              {channel === "email" ? (
                <div className="grid gap-4 md:grid-cols-2">
                  <Field label={t.tasks.sender} error={errors.senderId}>
                    <Select name="senderId" value={senderId} onChange={(event) => chooseSender(event.target.value)} required data-testid="task-sender">
                      <option value="">{t.tasks.chooseSender}</option>
                      {domains.map((domain) => (
                        <optgroup key={domain} label={domain}>
                          {senders
                            .filter((sender) => sender.domain === domain)
                            .map((sender) => (
                              <option key={sender.id} value={sender.id}>
                                {sender.address}
                              </option>
                            ))}
                        </optgroup>
                      ))}
                    </Select>
                  </Field>
                  <Field label={t.tasks.fromName} hint={t.tasks.fromNameHint} error={errors.fromName}>
                    <Input
                      name="fromName"
                      value={fromName}
                      onChange={(event) => {
                        setFromName(event.target.value);
                        setFromNameTouched(true);
                      }}
                      maxLength={200}
                      data-testid="task-from-name"
                    />
                  </Field>
                </div>
              ) : (
                <p className="text-xs text-slate-600" data-testid={`task-${channel}-note`}>{channel === "whatsapp" ? t.tasks.whatsappNote : t.tasks.smsNote}</p>
              )}
              <ChoiceGroup legend={t.tasks.amount} error={errors.limit}>
                <RadioChoice name="amount" value="all" chosen={amount} onChoose={setAmount} className="flex items-center gap-1.5 text-sm">{t.tasks.amountAll}</RadioChoice>
                <RadioChoice name="amount" value="some" chosen={amount} onChoose={setAmount} className="flex flex-wrap items-center gap-1.5 text-sm">
                  {t.tasks.amountSome}
                  <Input
                    name="limit"
                    type="number"
                    min={1}
                    step={1}
                    className="w-28"
                    defaultValue={draft.limit ?? ""}
                    disabled={amount !== "some"}
                    data-testid="task-limit"
                  />
                  {t.tasks.amountSomeSuffix}
                </RadioChoice>
              </ChoiceGroup>
              {channel === "email" ? (
                <>
                  <AbTestFields
                    initial={draft.abTest}
                    currentVersion={templates.find((template) => template.id === templateId)?.version ?? null}
                    limits={abLimits}
                    errors={errors}
                    disabled={sendTime}
                    onToggle={setAbTestOn}
                  />
                  <SendTimeField checked={sendTime} abTestOn={abTestOn} error={errors[SEND_TIME_FIELD]} onChange={setSendTime} />
                  <ReplyFields checked={replyTracking} forwardTo={replyForwardTo} errors={errors} onChange={setReplyTracking} onForwardToChange={setReplyForwardTo} />
                </>
              ) : null}
              <ChoiceGroup legend={t.tasks.when} error={errors.scheduledAt}>
                <div className="flex flex-wrap items-center gap-4 text-sm">
                  <RadioChoice name="when" value="now" chosen={when} onChoose={setWhen}>{t.tasks.now}</RadioChoice>
                  <RadioChoice name="when" value="later" chosen={when} onChoose={setWhen}>{t.tasks.later}</RadioChoice>
                  <Input
                    name="scheduledAt"
                    type="datetime-local"
                    step={1}
                    className="w-56"
                    aria-label={t.tasks.scheduledAt}
                    defaultValue={draft.scheduledAt ?? laterDefault}
                    disabled={when !== "later"}
                    data-testid="task-scheduled-at"
                  />
                  <span className="text-xs text-slate-500">{format(t.tasks.timeZone, { zone: timeZone })}</span>
                </div>
              </ChoiceGroup>
            </div>
          );
        }}
      </ActionForm>
      {review ? (
        <TaskConfirm
          review={review.data}
          form={review.form}
          editing={editing}
          timeZone={timeZone}
          onBack={() => setReview(null)}
          onFieldErrors={(errors) => {
            setConfirmErrors(errors);
            setReview(null);
          }}
        />
      ) : null}
    </>
  );
}
