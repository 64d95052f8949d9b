/** Templates: compiled and cached rendering, plain text from HTML, link rewriting and lint. */
export {
  compileTemplate,
  clearTemplateCache,
  templateCacheSize,
  cleanSubject,
  TemplateError,
  TEMPLATE_CACHE_SIZE,
  type CompiledTemplate,
  type Contact,
  type Issue,
  type RenderedMessage,
  type TemplatePart,
  type TemplateSource,
} from "./render";
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
