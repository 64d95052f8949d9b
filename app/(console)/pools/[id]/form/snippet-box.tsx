"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";
import { useI18n } from "@/lib/i18n/client";

/** The embeddable HTML, read-only, with a button that copies it. */
export function SnippetBox({ snippet }: { snippet: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  return (
    <div className="space-y-2">
      <label className="block space-y-1">
        <span className="text-xs font-medium text-slate-700">{t.forms.snippet}</span>
        <textarea
          readOnly
          value={snippet}
          rows={10}
          spellCheck={false}
          onFocus={(event) => event.currentTarget.select()}
          className="block w-full rounded-md border-0 bg-slate-50 px-2.5 py-1.5 font-mono text-xs text-slate-900 ring-1 ring-inset ring-slate-300"
          data-testid="form-snippet"
        />
        <span className="block text-xs text-slate-500">{t.forms.snippetHint}</span>
      </label>
      <div className="flex items-center gap-2">
        <Button
          variant="secondary"
          data-testid="form-snippet-copy"
          onClick={async () => {
            await navigator.clipboard?.writeText(snippet).catch(() => undefined);
            setCopied(true);
          }}
        >
          {t.forms.copy}
        </Button>
        {copied ? (
          <span className="text-xs text-emerald-700" role="status">
            {t.forms.copied}
          </span>
        ) : null}
      </div>
    </div>
  );
}
