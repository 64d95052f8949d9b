/**
 * Our bounce vocabulary, one table per finer reason (the reasons of Sisimai, decision 0069), each mapped
 * to our category as shared/fixtures/bounces/MAPPING.md says. The phrases were written from the reason
 * modules of Sisimai (lib/Sisimai/Reason/*.pm: the phrases real servers use for each reason), its remote
 * host modules (lib/Sisimai/Rhost/Tencent.pm, YahooInc.pm …) and the providers' own error pages — not
 * from the labelled corpus. Each table is a list of literal phrases (matched anywhere, lower case), of
 * short words matched whole (ptr, spf …) and of ordered pairs ("user" … "does not exist", at most
 * PAIR_GAP characters apart). Phrases are compiled into one alternation of escaped literals per table, so
 * matching is linear in the text, which is cut to MAX_TEXT characters first.
 *
 * The file is long because it is data: some thirty tables of phrases, kept together so a reader
 * sees every reason's wording side by side and the order in which they are tried.
 */
import type { BounceCategory } from "@/db/schema";

export type Reason =
  | "userunknown"
  | "hostunknown"
  | "suspend"
  | "notaccept"
  | "hasmoved"
  | "mailboxfull"
  | "filtered"
  | "rejected"
  | "blocked"
  | "authfailure"
  | "requireptr"
  | "policyviolation"
  | "spamdetected"
  | "securityerror"
  | "notcompliantrfc"
  | "norelaying"
  | "exceedlimit"
  | "mesgtoobig"
  | "badreputation"
  | "contenterror"
  | "virusdetected"
  | "expired"
  | "networkerror"
  | "systemerror"
  | "systemfull"
  | "onhold"
  | "mailererror"
  | "toomanyconn"
  | "syntaxerror"
  | "speeding"
  | "failedstarttls";

/** Our category of each finer reason (shared/fixtures/bounces/MAPPING.md). */
export const CATEGORY_OF_REASON: Record<Reason, BounceCategory> = {
  userunknown: "user_unknown",
  hostunknown: "user_unknown",
  suspend: "user_unknown",
  notaccept: "user_unknown",
  hasmoved: "user_unknown",
  mailboxfull: "mailbox_full",
  filtered: "rejected",
  rejected: "rejected",
  blocked: "rejected",
  authfailure: "rejected",
  requireptr: "rejected",
  policyviolation: "rejected",
  spamdetected: "rejected",
  securityerror: "rejected",
  notcompliantrfc: "rejected",
  norelaying: "rejected",
  exceedlimit: "rejected",
  mesgtoobig: "rejected",
  badreputation: "rejected",
  contenterror: "rejected",
  virusdetected: "rejected",
  expired: "other",
  networkerror: "other",
  systemerror: "other",
  systemfull: "other",
  onhold: "other",
  mailererror: "other",
  toomanyconn: "other",
  syntaxerror: "other",
  speeding: "other",
  failedstarttls: "other",
};

export type Wording = {
  reason: Reason;
  category: BounceCategory;
  /** Strong wording names the reason outright and outranks the status code; weak wording only breaks ties. */
  strong: boolean;
  /** Wording about the domain rather than the mailbox: with a temporary status it is a DNS hiccup, not a dead address. */
  aboutDomain?: boolean;
};

type Table = Omit<Wording, "category"> & { phrases: readonly string[]; words?: readonly string[]; pairs?: readonly (readonly [string, string])[] };

/** Longest text looked at; replies and notices are short, and the cut bounds the work on hostile input. */
export const MAX_TEXT = 16 * 1024;
/** Most characters between the two halves of a pair. */
export const PAIR_GAP = 48;

/**
 * The tables, tried in this order; the first that matches decides. Refusals aimed at the sender (its
 * address, its authentication, its reputation, its reverse DNS) come first: they often quote the
 * recipient too. Then a slow-down request, then refusals of the sending host (block lists, "client
 * host"). Then the full mailbox, then transient and system trouble (which must not read as a dead
 * mailbox: "host not found, try again", "insufficient system storage"), then the dead recipient or
 * domain, then refusals of the message itself. Weak tables only break ties after the status code (see
 * decideCategory).
 */
const TABLES: readonly Table[] = [
  // ── aimed at the sender ────────────────────────────────────────────────────────────────────────────
  {
    // Reason/Rejected.pm: the envelope sender is refused.
    reason: "rejected",
    strong: true,
    phrases: [
      "sender rejected", "sender was rejected", "my name was rejected", "domain of sender", "sender verify failed", "invalid sender",
      "sender is spammer", "sender not pre-approved", "null sender is not allowed", "empty envelope senders not allowed",
      "mail from not owned by user", "sending this from a different address", "by non-member to a members-only list",
      "not member article from", "you are not allowed to post", "envelope from", "envelope-from", "from address", "from: domain is invalid",
      "provide a valid from", "unroutable sender address", "server does not accept mail from", "badsendermx", "sendernoa",
      "returned mail not accepted here", "has an outgoing mail suspension", "too many spam complaints", "spam reporting address",
      "your email address has been blacklisted", "mailfrom domain is listed", "sender domain listed at", "sender domain is empty",
      "without a valid sender domain", "rejected sender", "rejecting sender", "refused sender", "denied sender", "blocked sender",
      "sender blocked", "sender denied", "sender is blocked", "unresolvable rfc.5321", "emetteur invalide", "mi:imf",
    ],
    pairs: [
      ["sender address", "rejected"], ["sender address", "invalid"], ["sender address", "not"], ["sender address", "does"],
      ["sender domain", "rejected"], ["sender domain", "invalid"], ["sender domain", "not"], ["sender domain", "does"],
      ["sender is", " list"],
    ],
  },
  {
    // Reason/AuthFailure.pm, Rhost/YahooInc.pm, Rhost/Tencent.pm: SPF, DKIM, DMARC.
    reason: "authfailure",
    strong: true,
    phrases: [
      "sender policy framework", "dmarc policy", "spf check", "dmarc check", "please inspect your spf settings", "unauthenticated email",
      "unauthenticated sender", "unauthenticated mail", "senders to authenticate", "not authenticated", "spf.pobox.com",
    ],
    words: ["spf", "dkim", "dmarc"],
  },
  {
    // Reason/SecurityError.pm: authentication required or failed.
    reason: "securityerror",
    strong: true,
    phrases: [
      "authentication failure", "authentication credentials invalid", "authentication turned on in your email client",
      "verification failure", "account not subscribed to ses", "authorized to perform ses:", "authentification invalide",
      "authentification requise", "you don't authenticate",
    ],
    pairs: [["authentication", "fail"], ["authentication", "required"]],
  },
  {
    // Reason/BadReputation.pm; Google and Microsoft word it about the IP or the domain.
    reason: "badreputation",
    strong: true,
    phrases: ["reputation"],
  },
  {
    // Reason/RequirePTR.pm: no or a bad reverse DNS name for the sending IP.
    reason: "requireptr",
    strong: true,
    phrases: [
      "reverse dns", "reverse lookup", "reverse hostname", "reverse host name", "reverse-dns", "no reverse", "cannot find your hostname",
      "ip name lookup failed", "unresolvable relay host name", "generic dns ptr", "forward dns entry does not point",
      "mismatches client ip", "invalid rdns", "unverifyable sending ips", "rp:rdn",
    ],
    words: ["ptr", "rdns"],
  },
  {
    // Reason/Speeding.pm, plus greylisting (a deferral that asks to come back later). A slow-down request is
    // transient whoever it names ("Client host rejected: Please try again slower"), so it is read before the
    // general refusals of the sending host; a cause named outright (reputation, PTR, SPF) is read before it.
    reason: "speeding",
    strong: true,
    phrases: ["at a rate", "receiving mail too quickly", "try again slower", "rate limited", "greylist", "graylist", "grey list"],
  },
  {
    // Reason/Blocked.pm, Rhost/Tencent.pm, Rhost/YahooInc.pm, Microsoft's S3150: the sending IP or host is refused.
    reason: "blocked",
    strong: true,
    phrases: [
      "client host rejected", "client host", "blocked using", "blacklisted", "blacklist", "black list", "blocklist", "block list",
      "denylist", "deny list", "dnsbl", "spamhaus", "spamcop", "barracuda", "abuseat", "sorbs", "not currently accepting mail from your ip",
      "access from ip address", "bad sender ip", "sender ip address rejected", "dynamic ip", "dynamic/zombied", "open proxy",
      "you are not allowed to connect", "listed as abusive", "too many spams from your ip", "suspected spam ip", "suspected bounce attacks",
      "forbidden by your ip", "no access from mail server", "refused to talk to me", "weren't sent", "were not sent",
      "user complaints", "unexpected volume", "will be permanently deferred", "currently sending spam", "you are sending spam",
      "looks suspiciously like spammer", "your server requires confirmation", "confirm this mail server", "invalid ip for sending",
      "is not allowed to send mail from", "mail from ip", "dt:rbl", "mi:spb",
    ],
    words: ["rbl"],
  },
  // ── the recipient's mailbox is full ────────────────────────────────────────────────────────────────
  {
    // Reason/MailboxFull.pm.
    reason: "mailboxfull",
    strong: true,
    phrases: [
      "mailbox full", "mailbox is full", "mailbox was full", "mailbox is currently full", "full mailbox", "mailbox has exceeded",
      "mailbox exceeded", "mailbox exceeds", "mailbox size limit", "mailbox quota", "mailbox would exceed", "over quota", "overquota",
      "over the quota", "over the allowed quota", "quota exceeded", "quota exceed", "quota full", "quota violation", "exceeded quota",
      "exceeded the quota", "exceeded storage allocation", "exceeded the storage", "exceeded its storage", "disk quota", "storage quota",
      "disc quota", "too much mail", "too many messages on the server", "mailfolder is full", "is over quota", "does not have enough space",
      "not enough storage space in", "space has been used up", "reached disk quota", "mailbox is over", "account is over",
      "boite du destinataire pleine", "邮箱已满", "邮箱空间不足", "邮箱容量", "信箱已满", "容量不足", "容量超過", "容量オーバー", "満杯",
      "ящик переполнен",
    ],
    pairs: [["exceeds", "quota"], ["exceeded", "quota"], ["mailbox", "full"]],
  },
  // ── transient trouble and errors of the systems on the way ─────────────────────────────────────────
  {
    // Reason/NetworkError.pm (before hostunknown: "Host not found, try again" is a DNS hiccup).
    reason: "networkerror",
    strong: true,
    phrases: [
      "host not found, try again", "host name lookup failure", "malformed name server reply", "malformed or unexpected name server reply",
      "dns records for the destination computer could not be found", "connection refused", "connection reset", "connection lost",
      "connection closed", "connection dropped", "couldn't connect", "could not connect", "unable to connect", "unable to contact",
      "establish an smtp connection", "no route to host", "host is unreachable", "socket error", "did not accept our requests to connect",
      "network error", "too many hops", "hop count exceeded", "mail loop", "forwarding loop", "routing loop", "message looping",
      "loops back", "loop was found", "unable to resolve route", "lost connection",
    ],
  },
  {
    // Reason/Expired.pm.
    reason: "expired",
    strong: true,
    phrases: [
      "expired", "timed out", "timeout", "time out", "timedout", "retry time", "queue too long", "too long in the queue", "for too long",
      "giving up on", "server did not respond",
      "was not reachable within the allowed queue period", "could not be delivered for more than", "it has not been collected after",
      "could not find a gateway for",
    ],
    pairs: [["failed to deliver to domain", "tries"]],
  },
  {
    // Reason/SystemFull.pm: the server's own storage, not the mailbox.
    reason: "systemfull",
    strong: true,
    phrases: [
      "mail system full", "system is full", "system full", "insufficient system storage", "insufficient disk", "insufficient system resources",
      "insufficient resources", "no space left on device", "file system full",
    ],
  },
  {
    // Reason/SystemError.pm.
    reason: "systemerror",
    strong: true,
    phrases: [
      "system error", "internal error", "local error", "configuration error", "config error", "temporary local problem",
      "queue file write error", "interrupted system call", "it would create a mail loop", "transaction failed", "misconfigured",
      "recipient deferred because there is no mdb", "can't create user output file", "could not load drd for domain",
      "it encountered an error while being processed", "aliasing/forwarding loop", "mailbox temporarily unavailable",
      "internal server error",
    ],
  },
  {
    // Reason/MailerError.pm.
    reason: "mailererror",
    strong: true,
    phrases: ["mailer error", "command died with status", "procmail", "x-unix"],
  },
  {
    // Reason/TooManyConn.pm, Rhost/Tencent.pm (frequency limited), Rhost/YahooInc.pm.
    reason: "toomanyconn",
    strong: true,
    phrases: [
      "too many connections", "too many concurrent", "too many smtp sessions", "connection rate limit", "connection limit",
      "max message per connection", "maximum connection", "too many errors from your ip", "frequency limit", "throttl",
      "rate limit", "rate-limit", "too many recipients", "too many messages", "max emails per hour", "numerous attempts to deliver",
      "trop de connexions",
    ],
  },
  {
    // Reason/FailedSTARTTLS.pm.
    reason: "failedstarttls",
    strong: true,
    phrases: ["does not support tls", "does not support starttls", "starttls failed", "tls negotiation failed", "tls handshake failed"],
  },
  { reason: "onhold", strong: true, phrases: ["on hold"] },
  // ── the recipient or its domain does not exist ─────────────────────────────────────────────────────
  {
    // Reason/HostUnknown.pm.
    reason: "hostunknown",
    strong: true,
    aboutDomain: true,
    phrases: [
      "host unknown", "unknown host", "unknown domain", "host or domain name not found", "host not found", "domain not found",
      "domain name not found", "no such domain", "no such host", "domain does not exist", "domain name does not exist",
      "domain must exist", "domain is not reachable", "unrouteable", "unroutable", "name or service not known",
      "mail domain mentioned in email address is unknown", "the account or domain may not exist", "invalid domain",
      "no mail exchanger", "find a mail exchanger", "find any mail exchanger", "no smtp service", "域名不存在",
    ],
    pairs: [["host", "not found"], ["domain", "does not exist"], ["domain", "doesn't exist"]],
  },
  {
    // Reason/NotAccept.pm: the domain takes no mail (RFC 7505 null MX, no MX). Not `aboutDomain`: a null MX
    // is the domain owner's own statement, final whatever status the reporting MTA put on it.
    reason: "notaccept",
    strong: true,
    phrases: [
      "null mx", "nullmx", "accepts no mail", "does not accept mail", "doesn't accept mail", "does not accept email",
      "does not receive mail", "not accepting network messages", "no mx record",
    ],
    words: ["no mx"],
  },
  {
    // Reason/UserUnknown.pm, Rhost/Tencent.pm, Rhost/YahooInc.pm.
    reason: "userunknown",
    strong: true,
    phrases: [
      "user unknown", "unknown user", "unknown recipient", "unknown mailbox", "unknown address", "unknown alias", "unknown local part",
      "unknown local-part", "unknown account", "unknown email", "unknown or illegal", "no such user", "no such recipient", "no such mailbox",
      "no such address", "no such account", "no such person", "no such local user", "user not found", "user not known", "users not found",
      "user not active", "user does not exist", "user doesn't exist", "user is unknown", "recipient not found", "recipient unknown",
      "recipient is unknown", "recipient does not exist", "recipient is not local", "recipients not found", "mailbox not found",
      "mailbox not present", "mailbox does not exist", "mailbox invalid", "mailbox is invalid", "address does not exist",
      "address doesn't exist", "address unknown", "address not found", "address is unknown", "email address could not be found",
      "invalid recipient", "invalid mailbox", "invalid address", "invalid user", "invalid final delivery", "bad recipient",
      "bad-recipient", "bad_recipient", "bad address", "bad destination", "illegal recipient", "is not a known user",
      "is not a valid mailbox", "not a valid user", "not a valid mailbox", "not a valid recipient", "not a valid address",
      "is not an active address", "not a local address", "no mailbox", "no account by that name", "there is no one at this address",
      "non-existent", "nonexistent", "non existent", "recipnotfound", "recipientnotfound", "couldn't be found", "could not be found",
      "address no longer accepts mail", "no valid recipients", "badrcptto", "archived recipient", "not listed in",
      "recipient address rejected: access denied", "missing home directory", "can't accept user", "invalid or unknown virtual user",
      "is no longer valid", "宛先不明", "存在しません", "存在しない", "見つかりません", "リストにありません", "不存在",
      "无此用户", "無此用戶", "не существует", "нет такого",
    ],
    pairs: [
      ["user", "does not exist"], ["user", "was not found"], ["mailbox", "does not exist"], ["mailbox", "not found"],
      ["recipient", "does not exist"], ["recipient", "was not found"], ["account", "does not exist"], ["address", "does not exist"],
      ["rcpt", "does not exist"], ["doesn't have a", "account"], ["does not have a", "account"], ["user", "doesn't exist"],
    ],
  },
  {
    // Reason/Suspend.pm, Rhost/YahooInc.pm, Rhost/Tencent.pm: the mailbox exists but is disabled.
    reason: "suspend",
    strong: true,
    phrases: [
      "account disabled", "account is disabled", "account has been disabled", "account is inactive", "account inactive",
      "account suspended", "account has been suspended", "account is suspended", "account closed", "account is closed",
      "account has been closed", "account is locked", "account locked", "account deactivated", "account has been deactivated",
      "account terminated", "account has been terminated", "mailbox disabled", "mailbox is disabled", "mailbox has been disabled",
      "mailbox currently suspended", "mailbox suspended", "mailbox is suspended", "mailbox is inactive", "mailbox inactive",
      "mailbox closed", "mailbox is closed", "mailbox deactivated", "deactivated mailbox", "disabled recipient", "disabled user",
      "disabled account", "disabled mailbox", "suspended account", "suspended user", "suspended recipient", "suspended mailbox",
      "inactive user", "inactive account", "inactive mailbox", "inactive recipient", "user suspended", "recipient suspend the service",
      "disabled or discontinued", "mailbox is not available", "mailbox not available",
    ],
  },
  {
    // Reason/HasMoved.pm.
    reason: "hasmoved",
    strong: true,
    phrases: ["has moved", "no longer on this server", "no longer on server", "no longer in use", "no longer active", "no longer exists", "no longer available"],
  },
  // ── the message itself is refused ──────────────────────────────────────────────────────────────────
  {
    // Reason/SpamDetected.pm, Rhost/Tencent.pm (mail content denied), NetEase's DT:SPM.
    reason: "spamdetected",
    strong: true,
    phrases: [
      "spam", "junk", "unsolicited", "bulk email", "bulk mail", "bulk advertising", "mass mailer", "unwanted", "content denied", "uribl",
      "blacklisted url", "dt:spm", "垃圾", "拦截",
    ],
  },
  {
    // Reason/VirusDetected.pm.
    reason: "virusdetected",
    strong: true,
    phrases: ["virus", "malware", "infected", "phishing", "trojan", "malicious"],
  },
  {
    // Reason/ExceedLimit.pm (5.2.3), before MesgTooBig as Sisimai does.
    reason: "exceedlimit",
    strong: true,
    phrases: ["exceeds administrative limit", "message length exceeds"],
  },
  {
    // Reason/MesgTooBig.pm.
    reason: "mesgtoobig",
    strong: true,
    phrases: [
      "too big", "too large", "size limit", "size exceed", "message size", "exceeds the maximum size", "max message size",
      "maximum message size", "message length", "line length", "line limit", "maximum inbound message size",
      "maximum incoming message size", "line too long", "message too long", "taille limite",
    ],
    pairs: [["exceeds", "size"]],
  },
  {
    // Reason/NoRelaying.pm.
    reason: "norelaying",
    strong: true,
    phrases: ["relay", "rcpthosts"],
  },
  {
    // Reason/NotCompliantRFC.pm, Rhost/YahooInc.pm.
    reason: "notcompliantrfc",
    strong: true,
    phrases: ["rfc compliant", "not rfc", "rfc 5322", "rfc5322", "rfc 2822", "rfc2822", "rfc 5321", "rfc5321", "headers are not"],
  },
  {
    // Reason/PolicyViolation.pm.
    reason: "policyviolation",
    strong: true,
    phrases: ["policy", "policies", "violat", "complian", "closed mailing list", "header error", "messages with multiple addresses"],
  },
  {
    // Reason/Filtered.pm: the recipient's own filter refuses the message.
    reason: "filtered",
    strong: true,
    phrases: [
      "filtered", "user reject", "refuse to receive", "refuses to receive", "due to user rules", "only accepting mail from specific",
      "due to recipient preferences", "blocked by the recipient", "rejected by recipients", "restricted sms e-mail", "account is protected by",
      "is not accepting any mail", "拒否", "拒绝",
    ],
  },
  {
    // Reason/ContentError.pm.
    reason: "contenterror",
    strong: true,
    phrases: [
      "message content", "content rejected", "content filter", "unacceptable content", "invalid content", "content policy",
      "content of this message", "improper use of 8-bit data", "8bit data", "invalid mime", "mime complexity", "binary content",
      "unnecessary base64", "media error", "attachment",
    ],
  },
  {
    // Reason/Blocked.pm, Reason/SecurityError.pm: the general words of a refusal by policy.
    reason: "blocked",
    strong: true,
    phrases: [
      "blocked", "block for", "banned", "denied by", "not authorized", "not authorised", "unauthorized", "unauthorised", "not permitted",
      "forbidden", "prohibited", "tls required", "requires tls", "require tls", "requires encryption", "requires starttls",
      "must issue a starttls", "please use the smtp server", "go away",
    ],
  },
  // ── weak words: only break ties after the status code ──────────────────────────────────────────────
  { reason: "userunknown", strong: false, phrases: ["recipient rejected", "recipient address rejected", "mailbox unavailable", "address rejected"] },
  { reason: "rejected", strong: false, phrases: ["access denied", "not allowed", "rejected", "refused", "denied", "refuse"] },
  {
    reason: "syntaxerror",
    strong: false,
    phrases: ["syntax error", "command unrecognized", "command not recognized", "unrecognized command", "bad sequence of commands", "command not implemented"],
  },
  { reason: "systemerror", strong: false, phrases: ["service unavailable", "service currently unavailable", "temporar", "try again", "try later", "deferred"] },
  { reason: "networkerror", strong: false, phrases: ["network", "dns", "name server", "name service", "lookup", "loop"] },
];

const escape = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");

type Compiled = { wording: Wording; pattern: RegExp; pairs: readonly (readonly [string, string])[] };

/** Each table as one alternation of literals: no quantifier anywhere, so the match is linear. */
const COMPILED: readonly Compiled[] = TABLES.map(({ phrases, words = [], pairs = [], ...wording }) => ({
  wording: { ...wording, category: CATEGORY_OF_REASON[wording.reason] },
  pattern: new RegExp([...phrases.map(escape), ...words.map((word) => `(?<![a-z0-9])${escape(word)}(?![a-z0-9])`)].join("|")),
  pairs,
}));

/** Lower case, one space for any run of white space, one spelling of "mailbox" and "email", straight quotes. */
export function normalise(text: string): string {
  return text
    .slice(0, MAX_TEXT)
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/[\u2018\u2019\u0060]/g, "'")
    .replaceAll("mail box", "mailbox")
    .replaceAll("e-mail", "email");
}

/** True when `first` is followed by `second` within PAIR_GAP characters (Sisimai's "aligned"). */
function aligned(text: string, [first, second]: readonly [string, string]): boolean {
  for (let at = text.indexOf(first); at >= 0; at = text.indexOf(first, at + 1)) {
    const start = at + first.length;
    if (text.slice(start, start + PAIR_GAP + second.length).includes(second)) return true;
  }
  return false;
}

/** The first table whose phrases the text uses, or undefined when it uses none. */
export function findWording(text: string): Wording | undefined {
  const normalised = normalise(text);
  return COMPILED.find(({ pattern, pairs }) => pattern.test(normalised) || pairs.some((pair) => aligned(normalised, pair)))?.wording;
}
