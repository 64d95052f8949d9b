"use client";

import Link from "next/link";
import { useEffect, useMemo, useRef, useState, useSyncExternalStore, useTransition, type ClipboardEvent, type DragEvent } from "react";
import { ContentRiskBadge } from "@/components/deliverability/content-check-panel";
import { SandboxedHtml } from "@/components/html/sandboxed-html";
import { sanitizeForConsole } from "@/components/html/sanitize";
import { wordRefusal } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { Options } from "@/components/ui/options";
import { StatusMessage } from "@/components/ui/status-message";
import type { RiskLevel } from "@/lib/deliverability/content-check";
import { format } from "@/lib/i18n";
import { describeErrorBody, describeReason } from "@/lib/i18n/describe";
import { useI18n } from "@/lib/i18n/client";
import { testSend } from "../actions";
import { TemplateDepartmentField, useTemplateSaver, type EditorMessage } from "./template-editor-parts";
import { MergeTagPicker } from "./merge-tag-picker";
import { RichTextToolbar } from "./rich-text-toolbar";

type Issue = { code: string; reason?: string; params?: Record<string, string | number>; message: string; part: string; line?: number; column?: number };
type Preview = { lint: { errors: Issue[]; warnings: Issue[] }; check?: { score: number; level: RiskLevel }; rendered: { subject: string; html: string; text: string } | null };
type Draft = { id: string | null; name: string; subject: string; html: string; text: string; attachmentIds: string[] };
type Option = { id: string | number; label: string };
/** Where the merge-tag picker inserts: the field last focused, with the visual editor's caret kept from before the picker took focus. */
type InsertTarget = { part: "subject" | "html" | "text"; element: HTMLInputElement | HTMLTextAreaElement } | { part: "rich"; range: Range | null };

export function TemplateEditor({
  template,
  departments,
  departmentId: initialDepartment,
  senders,
  contacts,
  attributes,
}: {
  template: Draft;
  departments: { id: string; name: string }[];
  departmentId: string | null;
  senders: Option[];
  contacts: Option[];
  /** Contact attribute names of the department the page opened with, for the merge-tag picker. */
  attributes: string[];
}) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(template);
  const [departmentId, setDepartmentId] = useState(initialDepartment);
  const [chosenMode, setMode] = useState<"rich" | "html" | null>(null);
  const [shownDrops, setShownDrops] = useState<boolean | null>(null);
  const [contactId, setContactId] = useState<number | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [message, setMessage] = useState<EditorMessage>(null);
  const [uploads, setUploads] = useState<{ id: string; fileName: string }[]>([]);
  const [pending, startTransition] = useTransition();
  const editor = useRef<HTMLDivElement>(null);
  const insertTarget = useRef<InsertTarget | null>(null);
  const [attributeSets, setAttributeSets] = useState<Record<string, string[]>>(initialDepartment ? { [initialDepartment]: attributes } : {});

  const update = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));

  // A new template's department can change (admins): the picker then offers that department's attributes.
  useEffect(() => {
    if (!departmentId || attributeSets[departmentId]) return;
    let stopped = false;
    void (async () => {
      const response = await fetch(`/templates/${draft.id ?? "new"}/merge-tags?department=${departmentId}`, { cache: "no-store" }).catch(() => null);
      if (!stopped && response?.ok) {
        const body = (await response.json()) as { attributes: string[] };
        setAttributeSets((current) => ({ ...current, [departmentId]: body.attributes }));
      }
    })();
    return () => {
      stopped = true;
    };
  }, [departmentId, attributeSets, draft.id]);

  const rememberField = (part: "subject" | "html" | "text", element: HTMLInputElement | HTMLTextAreaElement) => {
    insertTarget.current = { part, element };
  };
  const rememberCaret = () => {
    const selection = window.getSelection();
    const range = selection && selection.rangeCount > 0 ? selection.getRangeAt(0) : null;
    insertTarget.current = { part: "rich", range: range && editor.current?.contains(range.startContainer) ? range.cloneRange() : null };
  };

  /** Puts a merge tag where the cursor was (replacing a selection); with no field chosen yet, at the end of the body being edited. */
  const insertTag = (tag: string) => {
    const target = insertTarget.current;
    if (target && target.part !== "rich" && target.element.isConnected) {
      const { element, part } = target;
      const start = element.selectionStart ?? element.value.length;
      const end = element.selectionEnd ?? start;
      update({ [part]: element.value.slice(0, start) + tag + element.value.slice(end) });
      requestAnimationFrame(() => {
        element.focus();
        element.setSelectionRange(start + tag.length, start + tag.length);
      });
      return;
    }
    if (mode === "html") {
      update({ html: draft.html + tag });
      return;
    }
    const box = editor.current;
    if (!box) return;
    const selection = window.getSelection();
    // The editor's caret is usually still the document's selection while the picker has the focus; else the one kept on blur.
    const live = selection && selection.rangeCount > 0 && box.contains(selection.getRangeAt(0).startContainer) ? selection.getRangeAt(0).cloneRange() : null;
    const range = live ?? (target?.part === "rich" ? target.range : null);
    box.focus();
    selection?.removeAllRanges();
    if (range) selection?.addRange(range);
    else {
      const end = document.createRange();
      end.selectNodeContents(box);
      end.collapse(false);
      selection?.addRange(end);
    }
    document.execCommand("insertText", false, tag);
    update({ html: box.innerHTML });
    rememberCaret();
  };

  useEffect(() => {
    const timer = setTimeout(async () => {
      const response = await fetch("/templates/preview", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ subject: draft.subject, html: draft.html, text: draft.text || undefined, departmentId: departmentId ?? undefined, contactId: contactId ?? undefined }),
      });
      if (response.ok) setPreview((await response.json()) as Preview);
    }, 350);
    return () => clearTimeout(timer);
  }, [draft.subject, draft.html, draft.text, departmentId, contactId]);

  // The visual editor only ever holds sanitised HTML (DOMPurify needs the browser's DOM, so after
  // hydration); the draft stays the HTML as stored or typed in the source view until someone edits in
  // the visual editor, which then writes what it shows. A template it cannot hold whole opens as source.
  const hydrated = useSyncExternalStore(subscribeToNothing, () => true, () => false);
  const stored = useMemo(() => (hydrated ? sanitizeForConsole(template.html) : null), [hydrated, template.html]);
  const mode = chosenMode ?? (stored?.dropped ? "html" : "rich");
  const visualDrops = shownDrops ?? stored?.dropped ?? false;

  useEffect(() => {
    if (stored && editor.current) editor.current.innerHTML = stored.html;
  }, [stored]);

  const switchMode = (next: "rich" | "html") => {
    if (next === "rich" && editor.current) {
      const shown = sanitizeForConsole(draft.html);
      editor.current.innerHTML = shown.html;
      setShownDrops(shown.dropped);
    }
    setMode(next);
  };

  const insertSanitised = (event: ClipboardEvent<HTMLDivElement> | DragEvent<HTMLDivElement>, data: DataTransfer | null) => {
    const html = data?.getData("text/html");
    if (!html) return;
    event.preventDefault();
    if ("clientX" in event) {
      const caret = document.caretRangeFromPoint?.(event.clientX, event.clientY);
      if (caret) window.getSelection()?.setBaseAndExtent(caret.startContainer, caret.startOffset, caret.startContainer, caret.startOffset);
    }
    document.execCommand("insertHTML", false, sanitizeForConsole(html).html);
  };

  const upload = async (file: File) => {
    const response = await fetch(`/templates/attachments?name=${encodeURIComponent(file.name)}${departmentId ? `&department=${departmentId}` : ""}`, { method: "POST", body: file });
    const body = await response.json().catch(() => null);
    if (!response.ok) return setMessage({ ok: false, text: describeErrorBody(t.server, body) });
    setUploads((current) => [...current, { id: body.id, fileName: body.fileName }]);
    update({ attachmentIds: [...draft.attachmentIds, body.id] });
  };

  const saveDraft = useTemplateSaver(draft.id, setMessage);
  const save = () =>
    startTransition(() =>
      saveDraft({
        id: draft.id ?? undefined,
        departmentId: departmentId ?? undefined,
        name: draft.name,
        subject: draft.subject,
        html: draft.html,
        text: draft.text || undefined,
        attachmentIds: draft.attachmentIds,
      }),
    );

  const issues = preview?.lint;
  return (
    <div className="grid gap-4 xl:grid-cols-2">
      <div className="space-y-3 rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid="template-editor">
        <TemplateDepartmentField departments={departments} departmentId={departmentId} saved={Boolean(draft.id)} onChange={setDepartmentId} />
        <Field label={t.templates.name}>
          <Input value={draft.name} onChange={(event) => update({ name: event.target.value })} data-testid="template-name" />
        </Field>
        <Field label={t.templates.subject}>
          <Input value={draft.subject} onChange={(event) => update({ subject: event.target.value })} onFocus={(event) => rememberField("subject", event.currentTarget)} data-testid="template-subject" id="subject" className="scroll-mt-16" />
        </Field>
        <div className="flex items-center gap-1 text-xs">
          {(["rich", "html"] as const).map((option) => (
            <button
              key={option}
              type="button"
              onClick={() => switchMode(option)}
              data-testid={`mode-${option}`}
              className={`rounded px-2 py-1 ${mode === option ? "bg-slate-800 text-white" : "bg-slate-100 text-slate-700"}`}
            >
              {option === "rich" ? t.templates.richText : t.templates.html}
            </button>
          ))}
          <MergeTagPicker attributes={(departmentId && attributeSets[departmentId]) || []} onInsert={insertTag} />
        </div>
        {/* #html: where the content check's body findings link to. */}
        <div id="html" className="scroll-mt-16" />
        <div className={mode === "rich" ? "" : "hidden"}>
          {visualDrops ? (
            <p className="mb-2 rounded bg-amber-50 p-2 text-xs text-amber-900" role="note" data-testid="visual-drops">
              {t.templates.visualDrops}
            </p>
          ) : null}
          <RichTextToolbar onChange={() => editor.current && update({ html: editor.current.innerHTML })} />
          <div
            ref={editor}
            contentEditable
            suppressContentEditableWarning
            className="prose min-h-64 max-w-none rounded-b-md border border-t-0 border-slate-300 p-3 text-sm focus:outline-none"
            onInput={(event) => update({ html: event.currentTarget.innerHTML })}
            onFocus={rememberCaret}
            onBlur={rememberCaret}
            onPaste={(event) => insertSanitised(event, event.clipboardData)}
            onDrop={(event) => insertSanitised(event, event.dataTransfer)}
            data-testid="rich-editor"
          />
        </div>
        {mode === "html" ? (
          <textarea
            value={draft.html}
            onChange={(event) => update({ html: event.target.value })}
            onFocus={(event) => rememberField("html", event.currentTarget)}
            rows={16}
            spellCheck={false}
            className="block w-full rounded-md p-2 font-mono text-xs ring-1 ring-inset ring-slate-300"
            data-testid="html-source"
          />
        ) : null}
        <Field label={t.templates.text} hint={t.templates.textHint}>
          <textarea id="text" value={draft.text} onChange={(event) => update({ text: event.target.value })} onFocus={(event) => rememberField("text", event.currentTarget)} rows={4} className="block w-full scroll-mt-16 rounded-md p-2 text-xs ring-1 ring-inset ring-slate-300" />
        </Field>
        <Field label={`${t.templates.attachments} (${draft.attachmentIds.length})`}>
          <input type="file" onChange={(event) => event.target.files?.[0] && upload(event.target.files[0])} id="attachments" className="scroll-mt-16 text-xs" data-testid="attachment-input" />
        </Field>
        {uploads.length > 0 ? <p className="text-xs text-slate-500">{uploads.map((item) => item.fileName).join(", ")}</p> : null}
        <StatusMessage ok={message?.ok} testId="template-message">
          {message?.text}
        </StatusMessage>
        <Button onClick={save} disabled={pending} data-testid="template-save">
          {pending ? t.common.working : t.templates.save}
        </Button>
      </div>
      <div className="space-y-3">
        <div className="rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid="template-preview">
          <div className="mb-2 flex items-center justify-between gap-2">
            <h2 className="text-sm font-semibold">{t.templates.preview}</h2>
            <Select className="w-64" aria-label={t.templates.placeholderContact} value={contactId ?? ""} onChange={(event) => setContactId(event.target.value ? Number(event.target.value) : null)} data-testid="preview-contact">
              <option value="">{t.templates.placeholderContact}</option>
              <Options choices={contacts.map((contact) => ({ value: contact.id, label: contact.label }))} />
            </Select>
          </div>
          {preview?.check ? (
            <div className="mb-2 space-y-1" data-testid="draft-risk">
              <ContentRiskBadge check={preview.check} />
              <p className="text-xs text-slate-500">
                {t.deliverability.draftNote}
                {draft.id ? (
                  <>
                    {" "}
                    <a href="#content-check" className="text-indigo-700 underline">
                      {t.deliverability.seeFindings}
                    </a>
                  </>
                ) : null}
              </p>
            </div>
          ) : null}
          {issues ? <LintList issues={issues} /> : null}
          {preview?.rendered ? (
            <>
              <div className="mb-2 text-sm font-medium" data-testid="preview-subject">
                {preview.rendered.subject}
              </div>
              <SandboxedHtml title={t.templates.preview} html={preview.rendered.html} className="h-80 w-full rounded border border-slate-200 bg-white" testId="preview-frame" />
            </>
          ) : null}
        </div>
        {draft.id ? <TestSendPanel templateId={draft.id} senders={senders} contactId={contactId} /> : null}
      </div>
    </div>
  );
}

function LintList({ issues }: { issues: { errors: Issue[]; warnings: Issue[] } }) {
  const { t } = useI18n();
  if (issues.errors.length === 0 && issues.warnings.length === 0) return <p className="mb-2 text-xs text-emerald-700">{t.templates.noIssues}</p>;
  return (
    <div className="mb-3 space-y-2 text-xs" data-testid="lint">
      <IssueGroup title={t.templates.lintErrors} issues={issues.errors} className="rounded bg-red-50 p-2 text-red-800" itemTestId="lint-error" />
      <IssueGroup title={t.templates.lintWarnings} issues={issues.warnings} className="rounded bg-amber-50 p-2 text-amber-900" />
    </div>
  );
}

/** One kind of lint finding (errors or warnings) under its title, each with where it is; nothing when there are none. */
function IssueGroup({ title, issues, className, itemTestId }: { title: string; issues: Issue[]; className: string; itemTestId?: string }) {
  const { t } = useI18n();
  if (issues.length === 0) return null;
  const parts = t.server.terms.templatePart as Record<string, string>;
  // A lint stored before issues carried reasons has only its English message.
  const words = (issue: Issue) =>
    issue.reason && (Object.hasOwn(t.server.messages, issue.reason) || Object.hasOwn(t.server.rules, issue.reason)) ? describeReason(t.server, issue.reason, issue.params) : issue.message;
  const where = (issue: Issue) => (Object.hasOwn(parts, issue.part) ? parts[issue.part] : issue.part);
  return (
    <div className={className}>
      <div className="font-semibold">{title}</div>
      <ul className="list-disc pl-4">
        {issues.map((issue, index) => (
          <li key={index} data-testid={itemTestId}>
            {words(issue)}
            {issue.line ? ` — ${where(issue)} ${issue.line}:${issue.column ?? 1}` : ` — ${where(issue)}`}
          </li>
        ))}
      </ul>
    </div>
  );
}

type TestSendResult = { to: string; ok: boolean; code: number | null; reply: string; skipped?: string | null };

function TestSendPanel({ templateId, senders, contactId }: { templateId: string; senders: Option[]; contactId: number | null }) {
  const { t } = useI18n();
  const [senderId, setSenderId] = useState(String(senders[0]?.id ?? ""));
  const [recipients, setRecipients] = useState("");
  const [outcome, setOutcome] = useState<{ error?: string; results?: TestSendResult[] } | null>(null);
  const [pending, startTransition] = useTransition();
  if (senders.length === 0) {
    return (
      <p className="rounded-lg bg-white p-4 text-sm ring-1 ring-slate-200">
        <Link href="/senders" className="text-indigo-700 underline" data-testid="template-no-senders">
          {t.templates.noSenders}
        </Link>
      </p>
    );
  }
  return (
    <div className="space-y-2 rounded-lg bg-white p-4 ring-1 ring-slate-200" data-testid="test-send">
      <h2 className="text-sm font-semibold">{t.templates.testSend}</h2>
      <Field label={t.templates.sender}>
        <Select value={senderId} onChange={(event) => setSenderId(event.target.value)}>
          <Options choices={senders.map((sender) => ({ value: sender.id, label: sender.label }))} />
        </Select>
      </Field>
      <Field label={t.templates.testRecipients}>
        <Input value={recipients} onChange={(event) => setRecipients(event.target.value)} data-testid="test-recipients" />
      </Field>
      <Button
        disabled={pending || !recipients.trim()}
        data-testid="test-send-button"
        onClick={() =>
          startTransition(async () => {
            const result = await testSend({ templateId, senderId, recipients, contactId: contactId ?? undefined });
            setOutcome(result.ok ? (result.data as { results: TestSendResult[] }) : { error: wordRefusal(t, result.error).message });
          })
        }
      >
        {pending ? t.common.working : t.templates.send}
      </Button>
      {outcome?.error ? <p className="text-sm text-red-600">{outcome.error}</p> : null}
      {outcome?.results ? (
        <ul className="text-xs" data-testid="test-results">
          {outcome.results.map((result) => (
            <li key={result.to} className={result.ok ? "text-emerald-700" : "text-red-600"}>
              {result.to}:{" "}
              {result.skipped
                ? format(t.templates.testSkipped, { reason: t.suppressions.reasons[result.skipped as keyof typeof t.suppressions.reasons] ?? result.skipped })
                : `${result.code ? `${result.code} ` : ""}${result.reply}`}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

const subscribeToNothing = () => () => {};
