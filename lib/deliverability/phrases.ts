/**
 * Phrases that spam filters score, as data. Each is matched as a literal (no regex) in text that has
 * been NFKC-normalised and lower-cased, so "FREE", "Free" and fullwidth "ＦＲＥＥ" are one phrase;
 * English phrases must stand as words (a letter or digit on either side is no match: "free" is not in
 * "freedom"), Chinese ones match anywhere (Chinese has no spaces between words).
 *
 * Sources (decision 0070): the English list follows the subject and body rules SpamAssassin ships
 * and describes (its `describe` lines: "Subject talks about savings", money-back guarantees, "Dear
 * Friend", "click below", "act now", "risk free", lottery and "you have been selected" wording) and
 * the trigger-word lists mailbox-provider and ESP guides publish; the Chinese list is the
 * vocabulary of Chinese marketing and fraud spam (invoice selling 代开发票, lottery 中奖, gambling
 * 博彩, loans 贷款, part-time/earn-money schemes 兼职 日赚 刷单) that Chinese providers' anti-spam
 * guides name. Ordinary business words that spam also uses but honest mail needs ("发票" alone, an
 * "invoice") are left out on purpose: only their spam forms ("代开发票") are listed. Chinese phrases
 * match inside longer words too, so a phrase that honest words contain across a word boundary is
 * either listed in a longer form ("日结工资", not "日结", which "今日结束" contains) or carries the
 * honest words as exceptions ("中奖" except "命中奖励").
 *
 * `weight` is the points a phrase adds in the body; in the subject it counts double (filters weigh
 * the subject more, and it is what the reader sees first). `subjectOnly` phrases are everyday words
 * in a body ("feel free to reply") and suspicious only in a subject.
 */
export type SpamPhrase = {
  phrase: string;
  weight: number;
  subjectOnly?: boolean;
  /** Longer honest words that contain the phrase across a word boundary (Chinese has no spaces): "命中奖励" is not "中奖". */
  except?: readonly string[];
};

/** Strong: fraud, gambling, loans, invoices, get-rich schemes. */
const STRONG = 12;
/** Pressure and prize wording. */
const MEDIUM = 8;
/** Common marketing words that add up when many appear together. */
const WEAK = 4;

export const ENGLISH_PHRASES: readonly SpamPhrase[] = [
  { phrase: "free", weight: WEAK, subjectOnly: true },
  { phrase: "winner", weight: MEDIUM, subjectOnly: true },
  { phrase: "urgent", weight: WEAK, subjectOnly: true },
  { phrase: "congratulations", weight: WEAK, subjectOnly: true },
  { phrase: "100% free", weight: MEDIUM },
  { phrase: "free gift", weight: MEDIUM },
  { phrase: "free money", weight: STRONG },
  { phrase: "act now", weight: MEDIUM },
  { phrase: "apply now", weight: WEAK },
  { phrase: "order now", weight: WEAK },
  { phrase: "buy now", weight: WEAK },
  { phrase: "click here", weight: WEAK },
  { phrase: "click below", weight: WEAK },
  { phrase: "limited time offer", weight: MEDIUM },
  { phrase: "once in a lifetime", weight: MEDIUM },
  { phrase: "risk-free", weight: MEDIUM },
  { phrase: "risk free", weight: MEDIUM },
  { phrase: "no risk", weight: MEDIUM },
  { phrase: "100% guaranteed", weight: MEDIUM },
  { phrase: "money back guarantee", weight: MEDIUM },
  { phrase: "100% satisfied", weight: MEDIUM },
  { phrase: "you are a winner", weight: STRONG },
  { phrase: "you have been selected", weight: STRONG },
  { phrase: "you've been selected", weight: STRONG },
  { phrase: "claim your prize", weight: STRONG },
  { phrase: "cash bonus", weight: MEDIUM },
  { phrase: "dear friend", weight: MEDIUM },
  { phrase: "make money fast", weight: STRONG },
  { phrase: "earn money", weight: MEDIUM },
  { phrase: "extra income", weight: MEDIUM },
  { phrase: "work from home", weight: MEDIUM },
  { phrase: "double your income", weight: STRONG },
  { phrase: "million dollars", weight: STRONG },
  { phrase: "wire transfer", weight: MEDIUM },
  { phrase: "no credit check", weight: STRONG },
  { phrase: "lowest price", weight: WEAK },
  { phrase: "no strings attached", weight: MEDIUM },
  { phrase: "this is not spam", weight: STRONG },
  { phrase: "lottery", weight: STRONG },
  { phrase: "casino", weight: STRONG },
  { phrase: "viagra", weight: STRONG },
  { phrase: "weight loss", weight: MEDIUM },
];

export const CHINESE_PHRASES: readonly SpamPhrase[] = [
  { phrase: "免费", weight: WEAK },
  { phrase: "限时", weight: WEAK },
  { phrase: "特价", weight: WEAK },
  { phrase: "点击这里", weight: WEAK },
  { phrase: "立即点击", weight: MEDIUM },
  { phrase: "点击领取", weight: MEDIUM },
  { phrase: "免费领取", weight: MEDIUM },
  { phrase: "仅限今天", weight: MEDIUM },
  { phrase: "最后一天", weight: WEAK },
  { phrase: "恭喜您", weight: MEDIUM },
  { phrase: "恭喜你", weight: MEDIUM },
  { phrase: "中奖", weight: STRONG, except: ["命中奖", "抽中奖品"] },
  { phrase: "大奖", weight: MEDIUM },
  { phrase: "领取奖品", weight: STRONG },
  { phrase: "现金红包", weight: MEDIUM },
  { phrase: "零风险", weight: MEDIUM },
  { phrase: "无风险", weight: MEDIUM },
  { phrase: "稳赚", weight: STRONG },
  { phrase: "保证收益", weight: STRONG },
  { phrase: "赚钱", weight: MEDIUM },
  { phrase: "日赚", weight: STRONG },
  { phrase: "月入过万", weight: STRONG },
  { phrase: "日结工资", weight: MEDIUM },
  { phrase: "兼职", weight: MEDIUM },
  { phrase: "刷单", weight: STRONG },
  { phrase: "返利", weight: WEAK },
  { phrase: "贷款", weight: MEDIUM },
  { phrase: "无抵押", weight: STRONG },
  { phrase: "秒批", weight: STRONG },
  { phrase: "套现", weight: STRONG },
  { phrase: "代开发票", weight: STRONG },
  { phrase: "代开", weight: MEDIUM },
  { phrase: "博彩", weight: STRONG },
  { phrase: "彩票", weight: MEDIUM },
  { phrase: "六合彩", weight: STRONG },
  { phrase: "娱乐城", weight: STRONG },
  { phrase: "加微信", weight: MEDIUM },
  { phrase: "一夜暴富", weight: STRONG },
];

export const SPAM_PHRASES: readonly SpamPhrase[] = [...ENGLISH_PHRASES, ...CHINESE_PHRASES];

/**
 * URL shorteners: a shortened link hides where it goes, and spam uses them to dodge domain
 * blocklists, so filters resolve or score them (SpamAssassin's DecodeShortURLs plugin keeps such a
 * list). Matched on the link's host or any subdomain of it.
 */
export const URL_SHORTENERS: readonly string[] = [
  "bit.ly",
  "bitly.com",
  "t.co",
  "tinyurl.com",
  "goo.gl",
  "ow.ly",
  "is.gd",
  "v.gd",
  "buff.ly",
  "rebrand.ly",
  "cutt.ly",
  "shorturl.at",
  "tiny.cc",
  "rb.gy",
  "s.id",
  "t.ly",
  "t.cn",
  "url.cn",
  "dwz.cn",
  "suo.im",
  "w.url.cn",
];

/** Words of a link to leave the list, in either language (a link so named counts as an unsubscribe link). */
export const UNSUBSCRIBE_WORDS: readonly string[] = ["unsubscribe", "opt out", "opt-out", "退订", "取消订阅", "退订邮件"];

/** Normalises text for phrase search: NFKC (fullwidth forms to ASCII, ！ to !), lower case. */
export function normalise(text: string): string {
  return text.normalize("NFKC").toLowerCase();
}

function isWordChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 97 && code <= 122);
}

function isAsciiPhrase(phrase: string): boolean {
  return /^[\x20-\x7e]+$/.test(phrase);
}

/** True when `phrase` (already normalised) occurs in `text` (already normalised), as a word when it is English. */
export function containsPhrase(text: string, phrase: string): boolean {
  const wordy = isAsciiPhrase(phrase);
  for (let at = text.indexOf(phrase); at !== -1; at = text.indexOf(phrase, at + 1)) {
    if (!wordy) return true;
    const before = at > 0 ? text.charCodeAt(at - 1) : 32;
    const after = at + phrase.length < text.length ? text.charCodeAt(at + phrase.length) : 32;
    const edgeBefore = !isWordChar(phrase.charCodeAt(0)) || !isWordChar(before);
    const edgeAfter = !isWordChar(phrase.charCodeAt(phrase.length - 1)) || !isWordChar(after);
    if (edgeBefore && edgeAfter) return true;
  }
  return false;
}

/**
 * The listed phrases found in `text`, longest first, leaving out a phrase found only inside a longer
 * one already counted ("免费" inside "免费领取", "free" inside "100% free").
 */
export function findPhrases(text: string, where: "subject" | "body", phrases: readonly SpamPhrase[] = SPAM_PHRASES): SpamPhrase[] {
  const normalised = normalise(text);
  const found: SpamPhrase[] = [];
  const sorted = [...phrases].sort((a, b) => b.phrase.length - a.phrase.length);
  for (const entry of sorted) {
    if (where === "body" && entry.subjectOnly) continue;
    const phrase = normalise(entry.phrase);
    if (!containsPhrase(normalised, phrase)) continue;
    if (entry.except?.length && !containsPhrase(entry.except.reduce((rest, honest) => rest.split(normalise(honest)).join("\u0000"), normalised), phrase)) continue;
    if (found.some((longer) => normalise(longer.phrase).includes(phrase) && !containsOutside(normalised, phrase, normalise(longer.phrase)))) continue;
    found.push(entry);
  }
  return found;
}

/** Whether `phrase` occurs somewhere other than inside an occurrence of `longer`. */
function containsOutside(text: string, phrase: string, longer: string): boolean {
  return containsPhrase(text.split(longer).join("\u0000"), phrase);
}
