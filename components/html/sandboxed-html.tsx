/**
 * Shows a whole HTML message as recipients would see it, in a frame that can do nothing: an empty
 * `sandbox` gives it an opaque origin, no scripts, no forms, no pop-ups and no way to navigate the
 * console, and the console's CSP (which srcdoc frames inherit) applies as well. Use it for every
 * view of template or message HTML that must stay faithful; the editor sanitises instead.
 */
export function SandboxedHtml({ html, title, className, testId }: { html: string; title: string; className?: string; testId?: string }) {
  return <iframe title={title} sandbox="" referrerPolicy="no-referrer" srcDoc={html} className={className} data-testid={testId} />;
}
