"use client";

import { isSafeUrl } from "@/components/html/sanitize";
import { useI18n } from "@/lib/i18n/client";

/** Formats the selection of the contentEditable editor; `onChange` reads the new HTML back. */
export function RichTextToolbar({ onChange }: { onChange: () => void }) {
  const { t } = useI18n();
  const labels = t.templates.toolbar;
  const run = (command: string, value?: string) => {
    document.execCommand(command, false, value);
    onChange();
  };
  const button = "rounded px-2 py-1 text-xs hover:bg-slate-200";
  return (
    <div className="flex flex-wrap items-center gap-1 rounded-t-md border border-slate-300 bg-slate-50 px-2 py-1" role="toolbar" data-testid="rich-toolbar">
      <button type="button" className={`${button} font-bold`} title={labels.bold} aria-label={labels.bold} onClick={() => run("bold")}>
        B
      </button>
      <button type="button" className={`${button} italic`} title={labels.italic} aria-label={labels.italic} onClick={() => run("italic")}>
        I
      </button>
      <button type="button" className={`${button} underline`} title={labels.underline} aria-label={labels.underline} onClick={() => run("underline")}>
        U
      </button>
      <button type="button" className={button} title={labels.bullets} aria-label={labels.bullets} onClick={() => run("insertUnorderedList")}>
        • ≡
      </button>
      <button type="button" className={button} title={labels.numbers} aria-label={labels.numbers} onClick={() => run("insertOrderedList")}>
        1.≡
      </button>
      <button type="button" className={button} title={labels.left} aria-label={labels.left} onClick={() => run("justifyLeft")}>
        ⇤
      </button>
      <button type="button" className={button} title={labels.center} aria-label={labels.center} onClick={() => run("justifyCenter")}>
        ↔
      </button>
      <button type="button" className={button} title={labels.right} aria-label={labels.right} onClick={() => run("justifyRight")}>
        ⇥
      </button>
      <select className="rounded border-0 bg-transparent text-xs" title={labels.size} aria-label={labels.size} defaultValue="" onChange={(event) => event.target.value && run("fontSize", event.target.value)}>
        <option value="">{labels.size}</option>
        {[1, 2, 3, 4, 5, 6, 7].map((size) => (
          <option key={size} value={size}>
            {size}
          </option>
        ))}
      </select>
      <input type="color" title={labels.colour} aria-label={labels.colour} className="h-6 w-8 cursor-pointer border-0 bg-transparent" onChange={(event) => run("foreColor", event.target.value)} />
      <button type="button" className={button} title={labels.link} aria-label={labels.link} onClick={() => {
        const url = window.prompt(labels.linkPrompt, "https://");
        if (url && isSafeUrl("a", "href", url.trim())) run("createLink", url.trim());
      }}>
        {labels.link}
      </button>
      <button type="button" className={button} title={labels.image} aria-label={labels.image} onClick={() => {
        const url = window.prompt(labels.imagePrompt, "https://");
        if (url && isSafeUrl("img", "src", url.trim())) run("insertImage", url.trim());
      }}>
        {labels.image}
      </button>
    </div>
  );
}
