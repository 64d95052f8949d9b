import { isDisposableDomain } from "./disposable";
import { isRoleAddress } from "./role";
import { suggestDomain } from "./typo";

/**
 * What list hygiene says about an address. Each is a warning: the address is imported and
 * flagged, unless the importer chose to skip that kind (`no_mx` is found after the import, so
 * it can only be flagged).
 */
export const HYGIENE_FLAGS = ["role", "disposable", "typo", "no_mx"] as const;
export type HygieneFlag = (typeof HYGIENE_FLAGS)[number];
export const SKIPPABLE_FLAGS = ["role", "disposable", "typo"] as const;
export type SkippableFlag = (typeof SKIPPABLE_FLAGS)[number];

export type AddressHygiene = { flags: SkippableFlag[]; suggestion: string | null };

type DomainVerdict = { disposable: boolean; suggestion: string | null };

/**
 * Lists repeat a few domains many times (gmail.com, qq.com, the company's own): a domain's verdict
 * is kept, so most rows cost two set lookups. Emptied when full rather than kept in order.
 */
const domainVerdicts = new Map<string, DomainVerdict>();
const DOMAIN_CACHE_LIMIT = 50_000;

function judgeDomain(domain: string): DomainVerdict {
  let verdict = domainVerdicts.get(domain);
  if (!verdict) {
    verdict = { disposable: isDisposableDomain(domain), suggestion: suggestDomain(domain) };
    if (domainVerdicts.size >= DOMAIN_CACHE_LIMIT) domainVerdicts.clear();
    domainVerdicts.set(domain, verdict);
  }
  return verdict;
}

const CLEAN: AddressHygiene = Object.freeze({ flags: [], suggestion: null }) as AddressHygiene;

/** The flags of a normalised address (lower-case ASCII domain), and the domain meant by a typo. */
export function checkAddress(email: string): AddressHygiene {
  const at = email.lastIndexOf("@");
  if (at <= 0) return CLEAN;
  const domain = email.slice(at + 1);
  const role = isRoleAddress(email);
  const { disposable, suggestion } = judgeDomain(domain);
  if (!role && !disposable && !suggestion) return CLEAN;
  const flags: SkippableFlag[] = [];
  if (role) flags.push("role");
  if (disposable) flags.push("disposable");
  if (suggestion) flags.push("typo");
  return { flags, suggestion: suggestion === null ? null : `${email.slice(0, at)}@${suggestion}` };
}

export function isHygieneFlag(value: string): value is HygieneFlag {
  return (HYGIENE_FLAGS as readonly string[]).includes(value);
}

/** The contact columns for an address added outside an import (by hand, through the API). */
export function hygieneColumns(email: string): { hygiene: string[]; hygieneSuggestion: string | null } {
  const { flags, suggestion } = checkAddress(email);
  return { hygiene: flags, hygieneSuggestion: suggestion };
}
