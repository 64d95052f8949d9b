import type { BounceCategory } from "@/db/schema";

export type Wording = {
  category: BounceCategory;
  /** Strong wording names the reason outright and outranks the status code; weak wording only breaks ties. */
  strong: boolean;
  /** Wording about the domain rather than the mailbox: with a temporary status it is a DNS hiccup, not a dead address. */
  aboutDomain?: boolean;
  pattern: RegExp;
};

/**
 * Words of reply texts, tried in this order; the first that matches decides. Sender-side refusals come first
 * ("sender domain does not exist" blames the sender), then the mailbox, then transient trouble, then policy.
 */
export const VOCABULARY: readonly Wording[] = [
  {
    category: "rejected",
    strong: true,
    pattern:
      /sender (address|domain|verify)[^.;]{0,40}(rejected|failed|invalid|not|does)|sender (was )?rejected|my name was rejected|domain of sender|(reject|refus|deni|den(y|ies)|block)\w{0,12} (your |the )?(sender|from address)|envelope[- ]from|\bfrom:? (domain|address) (is )?invalid|provide a valid from|unauthenticated (email|sender)|not authenticated|authentication[\w ]{0,20}(fail|required)|reputation|client (host )?rejected|\b(spf|dkim|dmarc)\b|sender policy framework/i,
  },
  {
    category: "mailbox_full",
    strong: true,
    pattern:
      /mail ?box (is |was |has been )?(currently )?full|full mail ?box|mail ?box (size )?(limit )?exceed|mailbox exceeds|over ?quota|quota (exceeded|exceed|full|violation)|exceeded (the )?(storage|quota|mailbox)|exceeds? (the |his |her |their )?(mailbox |disk |storage )?quota|(storage|disk) quota|mail ?box (storage|size) (limit|exceeded)|too much mail|messages in recipient's mailbox exceeded|user(?:'s)? (mailbox|account) is (over|full)|邮箱(已满|空间不足|容量)|容量(不足|超過|オーバー)|メールボックス.{0,6}(一杯|いっぱい|満杯)|満杯/i,
  },
  {
    category: "other",
    strong: true,
    pattern:
      /timed? ?out|expired|too long|retry (time|timeout)|connection (refused|reset|lost|closed|dropped)|could ?n[o']t connect|unable to (connect|contact)|establish an smtp connection|no route to host|socket error|did not accept our requests to connect|(system|internal|local|mailer|configuration) error|insufficient (disk|system) (space|storage)|insufficient (system )?resources|system (is )?full|queue file|mail loop|loops back|too many (hops|connections|recipients|messages)|rate limit|at a rate|gr[ae]ylist|frequency limit|throttl|transaction failed|does not support (tls|starttls)|on hold/i,
  },
  {
    category: "user_unknown",
    strong: true,
    pattern:
      /unknown (user|recipient|mailbox|address|alias|local[- ]?part|account|e-?mail)|(user|recipient|addressee|mailbox|address|account|local[- ]?part|userid)s?( name)? (is |was )?(unknown|not (found|known|recogni[sz]ed|listed|valid|exist))|no such (user|recipient|mailbox|address|account|person|local user)|(user|mailbox|account|address|recipient)[^.;:]{0,40}(does not|doesn'?t|did not) exist|non-?existent|(invalid|illegal|bad) (final delivery )?(recipient|mailbox|address|user|destination)|not a valid (mailbox|recipient|user|address)|no valid recipients|(mailbox|recipient|user|address)(?: was)? not found|recipnotfound|couldn't be found|could not be found|not listed in|unknown or illegal|no mailbox|mailbox (is |has been )?(disabled|inactive|deactivated|suspended|closed|unavailable|not available)|account (is |has been )?(disabled|inactive|deactivated|suspended|closed|terminated|expired|locked)|(disabled|suspended|inactive) (recipient|user|account|mailbox)|no longer (valid|available|on (this )?server|in use|active|exists)|has moved|null mx|\bno mx\b|(does not|doesn'?t) (accept|receive) (e-?)?mail|not accepting (network )?messages|doesn'?t have an? [\w.-]+ account|recipient address rejected: access denied|宛先不明|存在しません|存在しない|見つかりません|リストにありません|不存在|无此用户|無此用戶|не существует|нет такого/i,
  },
  {
    category: "user_unknown",
    strong: true,
    aboutDomain: true,
    pattern:
      /unroutable|unrouteable|(host|domain)( or domain)?( name)? not found|host [\w.-]+ not found|no such (domain|host)|domain (name )?does not exist|(domain|host)[^.;:]{0,40}does not exist|host unknown|unknown (host|domain)|invalid domain|domain is not reachable|(find|found) (a |any )?mail exchanger|no mail exchanger|no smtp service/i,
  },
  {
    category: "rejected",
    strong: true,
    pattern:
      /spam|junk|unsolicited|unwanted|complaints|black ?list|block ?list|deny ?list|\brbl\b|dnsbl|spamhaus|spamcop|blocked|\bblock(ed)? for|banned|reputation|polic(y|ies)|complian|violat|\bptr\b|reverse (dns|lookup)|\brdns\b|no reverse|mismatch|relay|too (big|large)|size (limit|exceed)|exceeds? (the )?(maximum )?(allowed )?(message )?size|(message|line) length|line limit|message size|virus|malware|infected|phishing|filtered|content|media error|not (authori[sz]ed|permitted)|unauthori[sz]ed|forbidden|prohibited|\btls\b (is )?required|requires? (tls|encryption|starttls)|please use the smtp server|weren'?t sent|拒否|拒绝|拦截|垃圾/i,
  },
  { category: "user_unknown", strong: false, pattern: /recipient (address )?rejected|mailbox unavailable|address rejected/i },
  { category: "rejected", strong: false, pattern: /access denied|not allowed|rejected|refused|denied|refuse/i },
  {
    category: "other",
    strong: false,
    pattern: /service (currently )?unavailable|temporar|try (again|later)|deferred|network|dns|name server|name service|lookup|loop/i,
  },
];
