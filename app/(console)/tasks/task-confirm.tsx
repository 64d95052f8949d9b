"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, useTransition, type ReactNode } from "react";
import { wordRefusal } from "@/components/forms/action-form";
import { ContentCheckPanel } from "@/components/deliverability/content-check-panel";
import { SandboxedHtml } from "@/components/html/sandboxed-html";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { StatusMessage } from "@/components/ui/status-message";
import { format } from "@/lib/i18n";
import type { VersionContentCheck } from "@/lib/deliverability/content-check";
import { useI18n } from "@/lib/i18n/client";
import type { TaskReview } from "@/lib/sending/task-pages";
import { formatInZone } from "@/lib/time/zone";
import { createTask, updateTask } from "./actions";
import { abTestOfForm } from "./ab-test-form";
import { AbTestSummary } from "./ab-test-summary";
import { SEND_TIME_FIELD } from "./send-time-field";
import { repliesOfForm } from "./reply-form";

/** What the confirmation step shows: the review, and the content check of the version that will be sent. */
export type ReviewedTask = TaskReview & { contentCheck: VersionContentCheck | null };

/** One line of the confirmation: its label, what it says and, below, any warning. */
function Row({ label, children, testId }: { label: string; children: ReactNode; testId: string }) {
  return (
    <div className="grid gap-1 py-2 sm:grid-cols-[12rem_1fr]" data-testid={testId}>
      <dt className="text-slate-500">{label}</dt>
      <dd className="space-y-1 text-slate-900">{children}</dd>
    </div>
  );
}

function Warning({ children, testId }: { children: ReactNode; testId: string }) {
  return (
    <p className="rounded-md bg-amber-50 px-2 py-1 text-xs text-amber-900" role="note" data-testid={testId}>
      {children}
    </p>
  );
}

/**
 * The confirmation step of the task form: what the server found the task would do (reviewTask),
 * and the buttons that either go back to the form as it was typed or post the same form to
 * createTask or updateTask, which check everything again.
 */
export function TaskConfirm({
  review,
  form,
  editing,
  timeZone,
  onBack,
  onFieldErrors,
}: {
  review: ReviewedTask;
  /** The form exactly as it was reviewed; confirming posts it again. */
  form: FormData;
  editing: boolean;
  timeZone: string;
  onBack: () => void;
  /** A refusal on confirm that names fields: shown on the form. */
  onFieldErrors: (errors: Record<string, string>) => void;
}) {
  const { t, locale } = useI18n();
  const c = t.confirmSend;
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const number = (value: number) => value.toLocaleString(locale);
  const later = form.get("when") === "later";
  const at = String(form.get("scheduledAt") ?? "").replace("T", " ");
  const { quotaLeft, domain, sender } = review;
  const abTest = abTestOfForm(form);
  const replies = repliesOfForm(form);

  useEffect(() => heading.current?.focus(), []);

  const confirm = () =>
    startTransition(async () => {
      const result = await (editing ? updateTask : createTask)(form);
      if (result.ok) return router.push(`/tasks/${result.data.id}`);
      const worded = wordRefusal(t, result.error);
      if (Object.keys(worded.fieldErrors).length > 0) return onFieldErrors(worded.fieldErrors);
      setError(worded.message);
    });

  return (
    <section className="max-w-3xl space-y-3" data-testid="task-confirm">
      <h2 ref={heading} tabIndex={-1} className="text-base font-semibold focus:outline-none">
        {later ? format(c.titleScheduled, { at, zone: timeZone }) : c.title}
      </h2>
      <dl className="divide-y divide-slate-100 text-sm">
        <Row label={c.recipients} testId="confirm-recipients">
          <p className="font-semibold">
            <span data-testid="confirm-recipient-count" data-count={review.recipients}>
              {format(c.recipientsValue, { count: number(review.recipients) })}
            </span>
            {review.limit !== null ? <span className="font-normal text-slate-500"> · {format(c.limited, { limit: number(review.limit) })}</span> : null}
          </p>
          <p className="text-xs text-slate-600">
            <span data-testid="confirm-sendable">{format(c.sendable, { count: number(review.sendable) })}</span>
            {review.suppressed > 0 ? <span data-testid="confirm-suppressed"> · {format(c.suppressed, { count: number(review.suppressed) })}</span> : null}
            {review.duplicates > 0 ? <span data-testid="confirm-duplicates"> · {format(c.duplicates, { count: number(review.duplicates) })}</span> : null}
          </p>
        </Row>
        <Row label={c.quota} testId="confirm-quota">
          <p data-testid="confirm-quota-left">{quotaLeft.department === null ? c.unlimited : format(c.quotaValue, { left: number(quotaLeft.department) })}</p>
          {quotaLeft.company !== null && (quotaLeft.department === null || quotaLeft.company < quotaLeft.department) ? (
            <p className="text-xs text-slate-600" data-testid="confirm-quota-company">
              {format(c.quotaCompany, { left: number(quotaLeft.company) })}
            </p>
          ) : null}
        </Row>
        {/* An SMS task has no sender, nor a sender domain. */}
        {sender && domain ? (
          <Row label={c.sender} testId="confirm-sender">
            <p>{sender.name ? `${sender.name} <${sender.address}>` : sender.address}</p>
            <p className="flex flex-wrap items-center gap-1.5 text-xs text-slate-600">
              {format(c.domain, { domain: domain.name })}
              <span data-testid="confirm-domain-status" data-status={domain.status}>
                <Badge tone={domain.status === "verified" ? "green" : domain.status === "failed" ? "red" : "amber"}>{t.senders.statuses[domain.status]}</Badge>
              </span>
              {domain.checks.map((check) => (
                <Badge key={check.record} tone={check.pass ? "green" : "red"}>
                  {c.records[check.record]} {check.pass ? "✓" : "✗"}
                </Badge>
              ))}
              <span>{domain.checkedAt ? format(c.checkedAt, { at: formatInZone(new Date(domain.checkedAt), timeZone) }) : c.neverChecked}</span>
            </p>
            {domain.status !== "verified" ? <Warning testId="confirm-domain-warning">{c.domainWarning}</Warning> : null}
          </Row>
        ) : null}
        {abTest ? (
          <Row label={t.tasks.abTest.title} testId="confirm-ab-test">
            <AbTestSummary test={abTest} recipients={review.recipients} />
          </Row>
        ) : null}
        {form.get(SEND_TIME_FIELD) ? (
          <Row label={t.tasks.sendTime.title} testId="confirm-send-time">
            <p>{t.tasks.sendTime.value}</p>
          </Row>
        ) : null}
        {replies.on ? (
          <Row label={t.tasks.replies.title} testId="confirm-replies">
            <p className="break-words">{replies.forwardTo ? format(t.tasks.replies.valueForwarded, { address: replies.forwardTo }) : t.tasks.replies.value}</p>
          </Row>
        ) : null}
        <Row label={c.testSend} testId="confirm-test-send">
          {review.testSend ? (
            <p data-testid="confirm-tested">{format(c.testedAt, { version: review.template.version, at: formatInZone(new Date(review.testSend.at), timeZone), by: review.testSend.by })}</p>
          ) : (
            <Warning testId="confirm-not-tested">{format(c.notTested, { version: review.template.version })}</Warning>
          )}
        </Row>
        {review.contentCheck ? (
          <Row label={t.deliverability.title} testId="confirm-content-check">
            <ContentCheckPanel check={review.contentCheck} linkBase={`/templates/${review.template.id}`} limit={3} newTab testId="confirm-content-findings" />
          </Row>
        ) : null}
        <Row label={c.preview} testId="confirm-preview">
          {review.template.unsubscribeLink ? null : <Warning testId="confirm-no-unsubscribe">{c.noUnsubscribe}</Warning>}
          {review.preview ? (
            <>
              <p className="text-xs text-slate-500">{format(c.previewFor, { email: review.preview.to })}</p>
              <p className="font-medium" data-testid="confirm-preview-subject">
                {review.preview.subject}
              </p>
              <SandboxedHtml title={c.preview} html={review.preview.html} className="h-80 w-full rounded border border-slate-200 bg-white" testId="confirm-preview-frame" />
            </>
          ) : (
            <p className="text-xs text-slate-500">{c.previewUnavailable}</p>
          )}
        </Row>
      </dl>
      <StatusMessage testId="confirm-error">{error}</StatusMessage>
      <div className="flex flex-wrap items-center gap-2">
        <Button variant="secondary" onClick={onBack} disabled={pending} data-testid="confirm-back">
          {c.back}
        </Button>
        <Button onClick={confirm} disabled={pending} data-testid="confirm-submit">
          {pending ? t.common.working : editing ? (later ? c.confirmScheduleEdit : c.confirmSendEdit) : later ? c.confirmSchedule : c.confirmSend}
        </Button>
      </div>
    </section>
  );
}
