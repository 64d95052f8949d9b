import roleLocalParts from "role-based-email-addresses";

/**
 * Local parts that name a function rather than a person (admin@, noreply@, postmaster@, info@,
 * sales@ …): Mixmax's maintained list (npm role-based-email-addresses, MIT, about 1,000 names in
 * English and a few other languages), plus Chinese pinyin role names it lacks. Mail to these
 * goes to a team or nowhere, complains more and rarely opted in, so they are flagged, not refused.
 */
const OWN_ADDITIONS = ["kefu", "kf", "fuwu", "xiaoshou", "caiwu", "renshi", "zhaopin", "tousu", "bangong"];

const ROLES: ReadonlySet<string> = new Set([...roleLocalParts, ...OWN_ADDITIONS].map((name) => name.toLowerCase()));

/**
 * True when the part before the @ is a role name: compared case-insensitively and without a
 * `+tag` (noreply+bounces@ is still noreply@).
 */
export function isRoleAddress(email: string): boolean {
  const at = email.lastIndexOf("@");
  if (at <= 0) return false;
  let local = email.slice(0, at).toLowerCase();
  const plus = local.indexOf("+");
  if (plus > 0) local = local.slice(0, plus);
  return ROLES.has(local);
}
