"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { ActionForm } from "@/components/forms/action-form";
import { Button } from "@/components/ui/button";
import { Field, Input, Select } from "@/components/ui/field";
import { StatusMessage } from "@/components/ui/status-message";
import { Options } from "@/components/ui/options";
import { format, type Messages } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";
import { describeErrorBody } from "@/lib/i18n/describe";
import { startImport } from "../../actions";

type Mapping = { emailColumn: number; nameColumn: number | null; attributeColumns: { index: number; key: string }[]; tagsColumn?: number | null; phoneColumn?: number | null };
type Upload = {
  id: string;
  format: string;
  encoding: string | null;
  delimiter: string | null;
  sizeBytes: number;
  preview: string[][];
  hasHeader: boolean;
  mapping: Mapping | null;
  /** Columns with an address among the first rows (storeUpload). */
  addressColumns: number[];
  hasAddressColumn: boolean;
};
type Progress = {
  status: "uploaded" | "running" | "completed" | "failed";
  sizeBytes: number;
  processedBytes: number;
  rowsRead: number;
  imported: number;
  updated: number;
  duplicates: number;
  invalid: number;
  badPhones: number;
  error: string | null;
  hygiene: HygieneReport;
};

type HygieneFlag = "role" | "disposable" | "typo" | "no_mx";
type HygieneReport = {
  flagged: Record<HygieneFlag, number>;
  skipped: Partial<Record<HygieneFlag, number>>;
  examples: Record<HygieneFlag, { line: number | null; email: string; suggestion?: string }[]>;
  mx: { status: "off" | "pending" | "running" | "done" | "failed"; domains: number; noMail: number; unknown: number };
};
const HYGIENE_FLAGS: HygieneFlag[] = ["role", "disposable", "typo", "no_mx"];

/** Why an upload was refused: the server's error body, or null when the connection broke. */
type UploadRefusal = { body: unknown };

function sendFile(url: string, file: File, onProgress: (percent: number) => void): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(Math.round((event.loaded / event.total) * 100));
    request.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(request.responseText || "null");
      } catch {
        // A proxy's HTML error page: the status is all there is to say.
      }
      if (request.status >= 200 && request.status < 300) return resolve(body as Upload);
      reject({ body } satisfies UploadRefusal);
    };
    request.onerror = () => reject({ body: undefined } satisfies UploadRefusal);
    request.send(file);
  });
}

function wordUploadRefusal(t: Messages, refusal: UploadRefusal): string {
  if (refusal.body === undefined) return t.imports.uploadInterrupted;
  const details = (refusal.body as { error?: { details?: { reason?: string } } } | null)?.error?.details;
  if (details?.reason === "binary_file") return t.imports.binaryFile;
  return format(t.imports.uploadFailed, { message: describeErrorBody(t.server, refusal.body) });
}

function sizeLabel(bytes: number) {
  return bytes > 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.max(1, Math.round(bytes / 1024))} KiB`;
}

/** Upload → map columns → watch progress; the job id in the URL lets a reload find the import again. */
export function ImportWizard({ poolId, jobId, mxAvailable, phoneRegion }: { poolId: string; jobId: string | null; mxAvailable: boolean; phoneRegion: string }) {
  const { t } = useI18n();
  const router = useRouter();
  const [upload, setUpload] = useState<Upload | null>(null);
  const [percent, setPercent] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  if (jobId) return <ImportProgress jobId={jobId} poolId={poolId} />;
  if (upload) return <MappingStep upload={upload} mxAvailable={mxAvailable} phoneRegion={phoneRegion} onStarted={() => router.replace(`/pools/${poolId}/import?job=${upload.id}`)} />;
  return (
    <form
      className="space-y-3"
      data-testid="upload-form"
      onSubmit={async (event) => {
        event.preventDefault();
        const file = (event.currentTarget.elements.namedItem("file") as HTMLInputElement).files?.[0];
        if (!file) return;
        setError(null);
        setPercent(0);
        try {
          setUpload(await sendFile(`/pools/${poolId}/import/upload?name=${encodeURIComponent(file.name)}`, file, setPercent));
        } catch (failure) {
          setError(wordUploadRefusal(t, failure as UploadRefusal));
        } finally {
          setPercent(null);
        }
      }}
    >
      <Field label={t.imports.chooseFile}>
        <Input type="file" name="file" accept=".csv,.tsv,.txt,.xlsx,text/csv" required data-testid="upload-file" />
      </Field>
      <StatusMessage testId="upload-error">{error}</StatusMessage>
      <Button type="submit" disabled={percent !== null} data-testid="upload-submit">
        {percent !== null ? format(t.imports.uploading, { percent }) : t.imports.upload}
      </Button>
    </form>
  );
}

function MappingStep({ upload, mxAvailable, phoneRegion, onStarted }: { upload: Upload; mxAvailable: boolean; phoneRegion: string; onStarted: () => void }) {
  const { t } = useI18n();
  const width = Math.max(...upload.preview.map((row) => row.length));
  const [hasHeader, setHasHeader] = useState(upload.hasHeader);
  const [emailColumn, setEmailColumn] = useState(upload.mapping?.emailColumn ?? 0);
  const [nameColumn, setNameColumn] = useState<number | null>(upload.mapping?.nameColumn ?? null);
  const [tagsColumn, setTagsColumn] = useState<number | null>(upload.mapping?.tagsColumn ?? null);
  const [phoneColumn, setPhoneColumn] = useState<number | null>(upload.mapping?.phoneColumn ?? null);
  const mapped = [emailColumn, nameColumn, tagsColumn, phoneColumn];
  const header = hasHeader ? (upload.preview[0] ?? []) : [];
  const columnLabel = (index: number) => header[index]?.trim() || format(t.imports.column, { n: index + 1 });
  const columnChoices = Array.from({ length: width }, (_, index) => ({ value: index, label: columnLabel(index) }));
  const [attributes, setAttributes] = useState<Record<number, { on: boolean; key: string }>>(() =>
    Object.fromEntries(
      Array.from({ length: width }, (_, index) => {
        const suggested = upload.mapping?.attributeColumns.find((column) => column.index === index);
        return [index, { on: Boolean(suggested), key: suggested?.key ?? `column_${index + 1}` }];
      }),
    ),
  );
  // Said before the start: a column without addresses would make every row an invalid one.
  const addressWarning = !upload.hasAddressColumn
    ? t.imports.noAddressColumn
    : upload.addressColumns.includes(emailColumn)
      ? null
      : format(t.imports.noAddressInColumn, { column: columnLabel(emailColumn) });
  const attributeColumns = Object.entries(attributes)
    .map(([index, value]) => ({ index: Number(index), key: value.key.trim(), on: value.on }))
    .filter((column) => column.on && !mapped.includes(column.index) && column.key)
    .map(({ index, key }) => ({ index, key }));
  return (
    <div className="space-y-4" data-testid="mapping-step">
      <p className="text-sm text-slate-500" data-testid="detected">
        {format(t.imports.detected, {
          format: upload.format.toUpperCase(),
          encoding: upload.encoding ?? "—",
          delimiter: upload.delimiter === "\t" ? "TAB" : (upload.delimiter ?? "—"),
          size: sizeLabel(upload.sizeBytes),
        })}
      </p>
      <div className="overflow-x-auto rounded-md ring-1 ring-slate-200">
        <table className="min-w-full text-xs" data-testid="preview-table">
          <tbody className="divide-y divide-slate-100">
            {upload.preview.map((row, rowIndex) => (
              <tr key={rowIndex} className={hasHeader && rowIndex === 0 ? "bg-slate-50 font-semibold" : ""}>
                {Array.from({ length: width }, (_, index) => (
                  <td key={index} className="whitespace-nowrap px-2 py-1">
                    {row[index] ?? ""}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ActionForm action={startImport} submitLabel={t.imports.start} resetOnSuccess={false} onDone={onStarted} testId="mapping-form">
        {(errors) => (
          <div className="space-y-3">
            <input type="hidden" name="id" value={upload.id} />
            <input type="hidden" name="attributeColumns" value={JSON.stringify(attributeColumns)} />
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="hasHeader" checked={hasHeader} onChange={(event) => setHasHeader(event.target.checked)} />
              {t.imports.hasHeader}
            </label>
            <div className="grid gap-3 md:grid-cols-2">
              <Field label={t.imports.emailColumn} error={errors.emailColumn}>
                <Select name="emailColumn" value={emailColumn} onChange={(event) => setEmailColumn(Number(event.target.value))} data-testid="map-email">
                  <Options choices={columnChoices} />
                </Select>
              </Field>
              <Field label={t.imports.nameColumn} error={errors.nameColumn}>
                <Select
                  name="nameColumn"
                  value={nameColumn ?? ""}
                  onChange={(event) => setNameColumn(event.target.value === "" ? null : Number(event.target.value))}
                  data-testid="map-name"
                >
                  <option value="">{t.imports.noName}</option>
                  <Options choices={columnChoices} />
                </Select>
              </Field>
            </div>
            <div className="grid gap-3 md:grid-cols-2">
              <Field label={t.tags.importColumn} hint={t.tags.importColumnHint} error={errors.tagsColumn}>
                <Select
                  name="tagsColumn"
                  value={tagsColumn ?? ""}
                  onChange={(event) => setTagsColumn(event.target.value === "" ? null : Number(event.target.value))}
                  data-testid="map-tags"
                >
                  <option value="">{t.imports.noName}</option>
                  <Options choices={columnChoices} />
                </Select>
              </Field>
              <Field label={t.tags.importAll} hint={t.tags.importAllHint} error={errors.tags}>
                <Input name="tags" maxLength={1000} placeholder={t.tags.placeholder} data-testid="map-tag-all" />
              </Field>
            </div>
            <div className="grid gap-3 md:grid-cols-2">
              <Field label={t.channels.importPhoneColumn} hint={format(t.channels.importPhoneHint, { region: phoneRegion })} error={errors.phoneColumn}>
                <Select
                  name="phoneColumn"
                  value={phoneColumn ?? ""}
                  onChange={(event) => setPhoneColumn(event.target.value === "" ? null : Number(event.target.value))}
                  data-testid="map-phone"
                >
                  <option value="">{t.imports.noName}</option>
                  <Options choices={columnChoices} />
                </Select>
              </Field>
              <fieldset className="space-y-1" data-testid="map-consent">
                <legend className="text-xs font-medium text-slate-700">{t.channels.importConsent}</legend>
                {(["sms", "whatsapp"] as const).map((channel) => (
                  <label key={channel} className="mr-4 inline-flex items-center gap-2 text-sm">
                    <input type="checkbox" name="consent" value={channel} data-testid={`map-consent-${channel}`} />
                    {t.channels.names[channel]}
                  </label>
                ))}
              </fieldset>
            </div>
            {addressWarning ? (
              <p className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900" role="alert" data-testid="no-address-warning">
                {addressWarning}
              </p>
            ) : null}
            <fieldset className="space-y-1">
              <legend className="text-xs font-medium text-slate-700">{t.imports.attribute}</legend>
              {Array.from({ length: width }, (_, index) =>
                mapped.includes(index) ? null : (
                  <div key={index} className="flex items-center gap-2 text-sm">
                    <input
                      type="checkbox"
                      checked={attributes[index]?.on ?? false}
                      onChange={(event) => setAttributes({ ...attributes, [index]: { key: attributes[index]?.key ?? "", on: event.target.checked } })}
                      data-testid={`map-attribute-${index}`}
                    />
                    <span className="w-40 truncate text-slate-500">{columnLabel(index)}</span>
                    <Input
                      aria-label={t.imports.attributeKey}
                      value={attributes[index]?.key ?? ""}
                      onChange={(event) => setAttributes({ ...attributes, [index]: { on: attributes[index]?.on ?? true, key: event.target.value } })}
                      className="w-48"
                    />
                  </div>
                ),
              )}
            </fieldset>
            <Field label={t.imports.duplicates}>
              <Select name="updateExisting" defaultValue="" data-testid="map-duplicates">
                <option value="">{t.imports.keepExisting}</option>
                <option value="true">{t.imports.updateExisting}</option>
              </Select>
            </Field>
            <fieldset className="space-y-1" data-testid="hygiene-options">
              <legend className="text-xs font-medium text-slate-700">{t.hygiene.title}</legend>
              <p className="text-xs text-slate-500">{t.hygiene.hint}</p>
              {(
                [
                  ["skipRole", t.hygiene.skipRole],
                  ["skipDisposable", t.hygiene.skipDisposable],
                  ["skipTypo", t.hygiene.skipTypo],
                ] as const
              ).map(([name, label]) => (
                <label key={name} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" name={name} data-testid={`hygiene-${name}`} />
                  {label}
                </label>
              ))}
              {mxAvailable ? (
                <label className="flex items-center gap-2 text-sm">
                  <input type="checkbox" name="checkMx" defaultChecked data-testid="hygiene-checkMx" />
                  {t.hygiene.checkMx}
                </label>
              ) : null}
            </fieldset>
          </div>
        )}
      </ActionForm>
    </div>
  );
}

function ImportProgress({ jobId, poolId }: { jobId: string; poolId: string }) {
  const { t } = useI18n();
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const response = await fetch(`/imports/${jobId}`, { cache: "no-store" });
        const body = await response.json().catch(() => null);
        if (!response.ok) throw new Error(describeErrorBody(t.server, body));
        if (stopped) return;
        setProgress(body as Progress);
        const mxWaiting = body.hygiene?.mx?.status === "pending" || body.hygiene?.mx?.status === "running";
        if (body.status === "running" || body.status === "uploaded" || mxWaiting) setTimeout(poll, 600);
      } catch (failure) {
        if (!stopped) setError((failure as Error).message);
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [jobId, t.server]);
  if (error) return <StatusMessage>{error}</StatusMessage>;
  if (!progress) return <p className="text-sm text-slate-500">{t.common.working}</p>;
  const percent = progress.status === "completed" ? 100 : progress.sizeBytes > 0 ? Math.min(99, Math.floor((progress.processedBytes / progress.sizeBytes) * 100)) : 0;
  const counts: [string, number, string][] = [
    [t.imports.rows, progress.rowsRead, "count-rows"],
    [t.imports.imported, progress.imported, "count-imported"],
    [t.imports.duplicateCount, progress.duplicates, "count-duplicates"],
    [t.imports.invalid, progress.invalid, "count-invalid"],
    [t.channels.badPhones, progress.badPhones ?? 0, "count-bad-phones"],
    [t.imports.updated, progress.updated, "count-updated"],
  ];
  return (
    <div className="space-y-4" data-testid="import-progress" data-status={progress.status}>
      <div className="text-sm font-medium" data-testid="import-status">
        {progress.status === "completed" ? t.imports.completed : progress.status === "failed" ? t.imports.failed : t.imports.progress}
      </div>
      <div className="h-2.5 w-full overflow-hidden rounded-full bg-slate-100" role="progressbar" aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100}>
        <div className="h-full bg-indigo-600 transition-all" style={{ width: `${percent}%` }} data-testid="progress-bar" />
      </div>
      {progress.error ? <p className="text-sm text-red-600">{progress.error}</p> : null}
      <dl className="grid grid-cols-2 gap-3 text-sm md:grid-cols-6">
        {counts.map(([label, value, testId]) => (
          <div key={testId} className="rounded-md bg-slate-50 px-3 py-2">
            <dt className="text-xs text-slate-500">{label}</dt>
            <dd className="text-lg font-semibold tabular-nums" data-testid={testId}>
              {value.toLocaleString()}
            </dd>
          </div>
        ))}
      </dl>
      <HygieneSummary report={progress.hygiene} />
      {progress.status === "completed" || progress.status === "failed" ? (
        <div className="flex gap-4 text-sm">
          {progress.invalid > 0 || (progress.badPhones ?? 0) > 0 ? (
            <a className="text-indigo-600 hover:underline" href={`/imports/${jobId}/errors`} data-testid="error-report">
              {t.imports.errorReport}
            </a>
          ) : null}
          <Link className="text-indigo-600 hover:underline" href={`/pools/${poolId}`}>
            {t.imports.backToPool}
          </Link>
        </div>
      ) : null}
    </div>
  );
}

/** Per flag: how many rows were flagged (and skipped), with the first examples and a typo's suggestion. */
function HygieneSummary({ report }: { report: HygieneReport | undefined }) {
  const { t } = useI18n();
  if (!report) return null;
  const shown = HYGIENE_FLAGS.filter((flag) => (report.flagged[flag] ?? 0) > 0 || (report.skipped[flag] ?? 0) > 0);
  const mx = report.mx.status === "off" ? null : format(t.hygiene.mx[report.mx.status], report.mx);
  if (shown.length === 0 && !mx) return null;
  return (
    <section className="space-y-2 text-sm" data-testid="hygiene-summary">
      <h3 className="text-xs font-medium text-slate-700">{t.hygiene.title}</h3>
      {mx ? <p className="text-xs text-slate-500" data-testid="hygiene-mx" data-status={report.mx.status}>{mx}</p> : null}
      <ul className="space-y-2">
        {shown.map((flag) => (
          <li key={flag} className="rounded-md bg-amber-50 px-3 py-2" data-testid={`hygiene-${flag}`}>
            <div className="font-medium text-amber-900">
              {t.hygiene.flags[flag]} · {format(t.hygiene.flagged, { count: report.flagged[flag] ?? 0 })}
              {(report.skipped[flag] ?? 0) > 0 ? ` · ${format(t.hygiene.skipped, { count: report.skipped[flag] ?? 0 })}` : ""}
            </div>
            <ul className="mt-1 space-y-0.5 text-xs text-slate-700">
              {(report.examples[flag] ?? []).map((example) => (
                <li key={`${example.line}-${example.email}`} className="break-all">
                  {example.line !== null ? `${format(t.hygiene.line, { line: example.line })}: ` : ""}
                  {example.email}
                  {example.suggestion ? ` — ${format(t.hygiene.suggestion, { suggestion: example.suggestion })}` : ""}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </section>
  );
}
