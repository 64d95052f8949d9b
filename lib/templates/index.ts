/** Templates: compiled and cached rendering, plain text from HTML, link rewriting and lint. */
import "server-only";
export { compileTemplate, clearTemplateCache, templateCacheSize, TEMPLATE_CACHE_SIZE } from "./compile";
export { TemplateError, type Issue } from "./diagnostics";
export type { TemplatePart } from "./engine";
export { cleanSubject, type CompiledTemplate, type Contact, type RenderedMessage, type TemplateSource } from "./render";
export { htmlToText, htmlTemplateToTextTemplate } from "./text";
export { addOpenPixel, extractLinks, findAnchorHrefs, isTrackableUrl, rewriteLinks, type AnchorHref } from "./links";
export {
  lintTemplate,
  isUsable,
  subjectColumns,
  displayWidth,
  isAllCaps,
  CONTACT_VARIABLES,
  SYSTEM_VARIABLES,
  KNOWN_VARIABLES,
  SUBJECT_MAX_COLUMNS,
  type LintInput,
  type LintResult,
} from "./lint";
