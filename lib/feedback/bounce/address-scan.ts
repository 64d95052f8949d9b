/**
 * Address finders that read their text once. A pattern such as /[^\s<>]+@[^\s<>]+/g retries from
 * every character of a long run that has no "@" and so costs the square of the run (a 1 MB To
 * header froze the process for minutes); these cut the text into runs between separators with a
 * single character class, which is linear, and then look for the "@" inside each run.
 */

/** Separators around an address in a report field ("rfc822; <Someone@Example.com>"). */
const FIELD_SEPARATORS = /[\s<>;:"'(),[\]]+/;
/** Separators between the addresses of a To, Cc or Delivered-To field. A ":" may end a display group or a "mailto:". */
const RECIPIENT_SEPARATORS = /[\s<>,;"]+/;

/** The first run between separators with an "@" that has something on both sides, whole. */
export function firstAddressRun(value: string): string | undefined {
  return value.split(FIELD_SEPARATORS).find(hasInnerAtSign);
}

function hasInnerAtSign(run: string): boolean {
  const at = run.indexOf("@", 1);
  return at !== -1 && at < run.length - 1;
}

/** Every address of a recipient field, as written (case kept); whatever precedes a ":" before the "@" is dropped. */
export function recipientFieldAddresses(value: string): string[] {
  const found: string[] = [];
  for (const run of value.split(RECIPIENT_SEPARATORS)) {
    let localStart = 0;
    for (let i = 0; i < run.length - 1; i++) {
      if (run[i] === ":") localStart = i + 1;
      else if (run[i] === "@" && i > localStart) {
        found.push(run.slice(localStart));
        break;
      }
    }
  }
  return found;
}

const LOCAL_EXTRA = ".!#$%&'*+/=?^`{|}~-";
const isWordChar = (char: string) => (char >= "a" && char <= "z") || (char >= "A" && char <= "Z") || (char >= "0" && char <= "9") || char === "_";
const isDomainChar = (char: string | undefined) => char !== undefined && (isWordChar(char) || char === "-");
const isLocalChar = (char: string | undefined) => char !== undefined && (isWordChar(char) || LOCAL_EXTRA.includes(char));

/**
 * Addresses with a dotted domain anywhere in free text, in order: what
 * /[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+/g finds, found in one pass.
 */
export function dottedAddressesIn(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (!isLocalChar(text[i])) {
      i++;
      continue;
    }
    const start = i;
    while (isLocalChar(text[i])) i++;
    if (text[i] !== "@") continue;
    const end = dottedDomainEnd(text, i + 1);
    if (end === -1) {
      i++;
      continue;
    }
    found.push(text.slice(start, end));
    i = end;
  }
  return found;
}

/** Where a domain of two or more labels ([\w-]+ joined by single dots) starting at `from` ends, or -1. */
function dottedDomainEnd(text: string, from: number): number {
  let end = from;
  let labels = 0;
  for (;;) {
    let next = end;
    while (isDomainChar(text[next])) next++;
    if (next === end) break;
    labels++;
    end = next;
    if (text[end] !== "." || !isDomainChar(text[end + 1])) break;
    end++;
  }
  return labels >= 2 ? end : -1;
}
