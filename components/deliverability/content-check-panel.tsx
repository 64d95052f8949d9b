"use client";

import type { Finding, RiskLevel, Target, VersionContentCheck } from "@/lib/deliverability/content-check";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";

/** The editor element each target names (template-editor.tsx gives its fields these ids). */
const ANCHORS: Record<Target, string> = { subject: "subject", html: "html", text: "text", attachments: "attachments", unsubscribe: "unsubscribe-help" };

const TONES: Record<RiskLevel, { bar: string; badge: string }> = {
  low: { bar: "bg-emerald-500", badge: "bg-emerald-50 text-emerald-800 ring-emerald-200" },
  medium: { bar: "bg-amber-500", badge: "bg-amber-50 text-amber-900 ring-amber-200" },
  high: { bar: "bg-red-600", badge: "bg-red-50 text-red-800 ring-red-200" },
};

/** The score as a badge and a bar, coloured by level. */
export function ContentRiskBadge({ check }: { check: Pick<VersionContentCheck, "score" | "level"> }) {
  const { t } = useI18n();
  const d = t.deliverability;
  const tone = TONES[check.level];
  return (
    <div className="flex min-w-0 flex-wrap items-center gap-2" data-testid="content-risk" data-level={check.level} data-score={check.score}>
      <span className={`inline-flex rounded px-2 py-0.5 text-xs font-semibold ring-1 ring-inset ${tone.badge}`}>
        {format(d.levelBadge, { level: d.levels[check.level] })}
      </span>
      <span className="text-xs tabular-nums text-slate-600">{format(d.score, { score: check.score })}</span>
      <span className="h-2 w-32 max-w-full overflow-hidden rounded bg-slate-100" role="meter" aria-label={d.title} aria-valuemin={0} aria-valuemax={100} aria-valuenow={check.score}>
        <span className={`block h-full ${tone.bar}`} style={{ width: `${check.score}%` }} />
      </span>
    </div>
  );
}

/**
 * A template version's content check: the score and level, then each finding (what was found, why
 * it hurts delivery, what to change) with a link to the field to change. `linkBase` is "" on the
 * editor page itself and `/templates/{id}` elsewhere. Found phrases are user text: shown as text only.
 */
export function ContentCheckPanel({
  check,
  linkBase,
  limit,
  newTab = false,
  testId = "content-check",
}: {
  check: VersionContentCheck;
  linkBase: string;
  limit?: number;
  /** Open the links in a new tab (from the send confirmation, so the task form stays as typed). */
  newTab?: boolean;
  testId?: string;
}) {
  const target = newTab ? { target: "_blank", rel: "noopener noreferrer" } : {};
  const { t, locale } = useI18n();
  const d = t.deliverability;
  const shown = limit === undefined ? check.findings : check.findings.slice(0, limit);
  const hidden = check.findings.length - shown.length;
  const unsubscribeMissing = check.findings.some((found) => found.rule === "unsubscribe_missing");
  return (
    <section className="space-y-2 text-sm" data-testid={testId}>
      <ContentRiskBadge check={check} />
      <p className="text-xs text-slate-600">{check.findings.length === 0 ? d.none : d.levelHint[check.level]}</p>
      {shown.length > 0 ? (
        <ul className="space-y-2">
          {shown.map((found) => (
            <FindingItem key={found.rule} found={found} href={`${linkBase}#${ANCHORS[found.target]}`} target={target} separator={locale === "zh-CN" ? "、" : ", "} />
          ))}
        </ul>
      ) : null}
      {hidden > 0 ? (
        <p className="text-xs">
          <a href={`${linkBase}#content-check`} {...target} className="text-indigo-700 underline">
            {format(d.moreFindings, { count: hidden })}
          </a>
        </p>
      ) : null}
      {unsubscribeMissing && linkBase === "" ? (
        <p id="unsubscribe-help" className="scroll-mt-16 rounded bg-slate-50 p-2 text-xs text-slate-700" data-testid="unsubscribe-help">
          {d.unsubscribeHelp}
        </p>
      ) : null}
    </section>
  );
}

function FindingItem({ found, href, target, separator }: { found: Finding; href: string; target: { target?: string; rel?: string }; separator: string }) {
  const { t } = useI18n();
  const d = t.deliverability;
  const words = d.rules[found.rule];
  const quoted = found.found.map((item) => `“${item}”`).join(separator);
  return (
    <li className="rounded-md p-2 ring-1 ring-slate-200" data-testid="content-finding" data-rule={found.rule}>
      <div className="flex flex-wrap items-baseline justify-between gap-x-2">
        <span className="font-medium text-slate-900">{words.title}</span>
        <span className="text-xs tabular-nums text-slate-500">{format(d.points, { points: found.points })}</span>
      </div>
      <p className="break-words text-xs text-slate-700">{format(words.found, { ...found.params, found: quoted })}</p>
      <p className="text-xs text-slate-500">{words.why}</p>
      <p className="text-xs text-slate-700">
        {words.fix}{" "}
        <a href={href} {...target} className="whitespace-nowrap text-indigo-700 underline" data-testid="content-finding-link">
          {d.change}
        </a>
      </p>
    </li>
  );
}
