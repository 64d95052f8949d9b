"use client";

import { useState } from "react";
import { Button } from "./button";

/**
 * A secret the server will not show again (a generated password): what it is for, the secret to
 * select, and a copy button. Copying needs a secure page (https or localhost); the hint says how
 * to copy by hand when the browser refuses.
 */
export function ShownOnce({
  intro,
  secret,
  labels,
  testId,
}: {
  intro: string;
  secret: string;
  labels: { copy: string; copied: string; hint: string };
  testId?: string;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="rounded-md bg-emerald-50 p-3 text-sm text-emerald-900 ring-1 ring-emerald-200" role="status">
      <p>{intro}</p>
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <code className="select-all break-all rounded bg-white px-2 py-1 font-mono text-sm ring-1 ring-emerald-200" data-testid={testId}>
          {secret}
        </code>
        <Button
          variant="secondary"
          onClick={() => {
            navigator.clipboard?.writeText(secret).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          {copied ? labels.copied : labels.copy}
        </Button>
      </div>
      <p className="mt-1 text-xs text-emerald-800">{labels.hint}</p>
    </div>
  );
}
