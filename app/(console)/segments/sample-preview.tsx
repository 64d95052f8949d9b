"use client";

import { Card } from "@/components/ui/card";
import { format } from "@/lib/i18n";
import { useI18n } from "@/lib/i18n/client";

export type Preview =
  | { state: "counting" }
  | { state: "incomplete" }
  | { state: "counted"; count: number; sample: { id: number; email: string; name: string; attributes: Record<string, string> }[] };

/** The rule's live count and its first contacts, beside the builder (below it on a phone). */
export function SamplePreview({ preview }: { preview: Preview }) {
  const { t, locale } = useI18n();
  const words = t.segments;
  return (
    <Card testId="segment-preview">
      <p className="text-base font-semibold text-slate-900" aria-live="polite" data-testid="segment-count">
        {preview.state === "counted" ? format(words.matching, { count: preview.count.toLocaleString(locale) }) : preview.state === "counting" ? words.counting : words.incomplete}
      </p>
      {preview.state === "counted" && preview.sample.length > 0 ? (
        <>
          <h2 className="mt-3 text-xs font-medium uppercase text-slate-500">{words.sample}</h2>
          <ul className="mt-1 divide-y divide-slate-100 text-sm" data-testid="segment-sample">
            {preview.sample.map((contact) => (
              <li key={contact.id} className="py-1.5">
                <span className="block break-all font-medium text-slate-900">{contact.email}</span>
                <span className="block truncate text-xs text-slate-500">
                  {[contact.name, ...Object.entries(contact.attributes).slice(0, 4).map(([key, value]) => `${key}: ${value}`)].filter(Boolean).join(" · ")}
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Card>
  );
}
