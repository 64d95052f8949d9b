import { disposableEmailBlocklistSet } from "disposable-email-domains-js";

/**
 * Throw-away mailbox domains (mailinator.com, 10minutemail.com …) from the community list
 * github.com/disposable-email-domains/disposable-email-domains (CC0), as packaged and kept in step
 * by npm disposable-email-domains-js. Its own helper builds a new Set on every call, so the list
 * is read once, on first use, into one Set.
 */
let domains: ReadonlySet<string> | null = null;

function list(): ReadonlySet<string> {
  if (!domains) domains = disposableEmailBlocklistSet();
  return domains;
}

/** The domain or any parent of it (x.mailinator.com) is on the list; `domain` is lower-case ASCII. */
export function isDisposableDomain(domain: string): boolean {
  const known = list();
  const labels = domain.split(".");
  // Parents down to two labels: a bare top-level domain is never on the list.
  for (let start = 0; start <= labels.length - 2; start++) {
    if (known.has(labels.slice(start).join("."))) return true;
  }
  return false;
}
