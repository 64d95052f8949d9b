/**
 * Content check (issue 16, decision 0070): for each rule a message that trips it and a near miss that
 * does not, in English and in Chinese where the rule is about words; a clean newsletter scores low,
 * classic spam scores high; every finding is worded in both languages with nothing left unfilled;
 * and hostile input of 1 MB is read in linear time.
 */
import { describe, expect, it } from "vitest";
import { checkContent, HIGH_FROM, levelOf, MEDIUM_FROM, RULE_IDS, type ContentCheck, type ContentCheckInput, type RuleId } from "@/lib/deliverability/content-check";
import { analyseHtml } from "@/lib/deliverability/html-analysis";
import { findPhrases } from "@/lib/deliverability/phrases";
import { format } from "@/lib/i18n";
import { en } from "@/lib/i18n/en";
import { zh } from "@/lib/i18n/zh";

const LOREM_EN =
  "This month we moved the delivery reports to a new page, so each department sees its own bounces and complaints at a glance. " +
  "We also met many of you at the winter meetup in Hangzhou, and the questions you asked there shaped the roadmap for next year. " +
  "Below you will find the three changes that matter most, with a short note on what to do if you use the API.";
const LOREM_ZH =
  "本月我们把投递报告移到了新的页面，每个部门都能一眼看到自己的退信和投诉情况。在杭州的冬季交流会上，我们见到了许多老朋友，" +
  "大家提出的问题决定了明年的产品规划。下面是最重要的三项变化，以及使用接口的同事需要注意的地方。";

const CLEAN_EN: ContentCheckInput = {
  subject: "What's new at Fanout in December",
  html: `<!doctype html><html><head><title>December</title><style>p { margin: 0 }</style></head><body>
<h1>December at Fanout</h1>
<p>Hello {{ name | default: "there" }},</p>
<p>${LOREM_EN}</p>
<p><img src="https://news.example.com/img/meetup.jpg" alt="The team at the winter meetup" width="600" height="300"></p>
<ul><li>Reports per department<li>Faster imports<li>Bounce reasons in Chinese</ul>
<p>Read <a href="https://news.example.com/blog/december">the full December update</a> or <a href="https://www.example.com/events">see the upcoming events</a> on <a href="https://www.example.com/">www.example.com</a>.</p>
<p>Thanks for reading!</p>
<p style="font-size:12px">You receive this because you signed up at example.com. <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>
</body></html>`,
  text: `Hello {{ name }},\n\n${LOREM_EN}\n\nRead the full update: https://news.example.com/blog/december\n\nUnsubscribe: {{ unsubscribe_url }}`,
  attachments: [{ fileName: "agenda.pdf", sizeBytes: 180_000 }],
};

const CLEAN_ZH: ContentCheckInput = {
  subject: "Fanout 十二月动态",
  html: `<p>{{ name }}，您好：</p><p>${LOREM_ZH}</p>
<p><img src="https://news.example.cn/img/meetup.jpg" alt="冬季交流会合影" width="600" height="300"></p>
<p><a href="https://news.example.cn/blog/12">阅读完整动态</a> · <a href="https://www.example.cn/events">近期活动</a></p>
<p>附件是本月的电子发票，请查收。</p>
<p><a href="{{ unsubscribe_url }}">退订</a></p>`,
  text: `{{ name }}，您好：\n\n${LOREM_ZH}\n\n退订：{{ unsubscribe_url }}`,
};

const SPAM_EN: ContentCheckInput = {
  subject: "WINNER!!! CLAIM YOUR FREE IPHONE",
  html: `<a href="https://bit.ly/3xYzAb"><img src="https://cdn.example.net/promo.jpg" width="600" height="900"></a>
<p>Dear friend, you have been selected! Click here: <a href="https://bit.ly/3abcDE">www.apple.com</a> ACT NOW!!! 100% free, risk-free.</p>`,
  text: null,
};

const SPAM_ZH: ContentCheckInput = {
  subject: "恭喜您中奖了！！！免费领取",
  html: `<a href="https://t.cn/A6xYz"><img src="https://cdn.example.net/zj.jpg"></a>
<p>点击领取大奖：<a href="https://t.cn/A6abc">www.icbc.com.cn</a> 日赚500，代开发票！！！</p>`,
};

const rules = (result: ContentCheck) => result.findings.map((found) => found.rule);
const withChange = (base: ContentCheckInput, change: Partial<ContentCheckInput>) => checkContent({ ...base, ...change });
const findingOf = (result: ContentCheck, rule: RuleId) => result.findings.find((found) => found.rule === rule);

describe("samples", () => {
  it("scores a clean newsletter low, in English and in Chinese, with no findings", () => {
    for (const sample of [CLEAN_EN, CLEAN_ZH]) {
      const result = checkContent(sample);
      expect(result.findings).toEqual([]);
      expect(result).toMatchObject({ score: 0, level: "low" });
    }
    // Without its text part the Chinese one is still low: the text is generated from the HTML.
    expect(withChange(CLEAN_ZH, { text: null })).toMatchObject({ level: "low", score: 5 });
  });

  it("scores classic spam high, in English and in Chinese", () => {
    const english = checkContent(SPAM_EN);
    expect(english.level).toBe("high");
    expect(english.score).toBe(100);
    expect(rules(english)).toEqual(
      expect.arrayContaining(["subject_phrases", "body_phrases", "subject_caps", "subject_exclamations", "body_exclamations", "image_only", "url_shortener", "link_domain_mismatch", "unsubscribe_missing", "text_part_missing"]),
    );
    const chinese = checkContent(SPAM_ZH);
    expect(chinese.level).toBe("high");
    expect(chinese.score).toBe(100);
    expect(rules(chinese)).toEqual(expect.arrayContaining(["subject_phrases", "body_phrases", "subject_exclamations", "image_only", "url_shortener", "link_domain_mismatch", "unsubscribe_missing"]));
    expect(rules(chinese)).not.toContain("subject_caps");
  });

  it("orders findings by points and sets the level from the score", () => {
    const result = checkContent(SPAM_EN);
    const points = result.findings.map((found) => found.points);
    expect(points).toEqual([...points].sort((a, b) => b - a));
    expect([levelOf(0), levelOf(MEDIUM_FROM - 1), levelOf(MEDIUM_FROM), levelOf(HIGH_FROM - 1), levelOf(HIGH_FROM), levelOf(100)]).toEqual(["low", "low", "medium", "medium", "high", "high"]);
  });
});

describe("each rule trips, and its near miss does not", () => {
  it("subject_phrases: spam words in the subject, English and Chinese; not a word inside another, not an invoice", () => {
    const english = withChange(CLEAN_EN, { subject: "Free shipping and a cash bonus this week" });
    expect(findingOf(english, "subject_phrases")).toMatchObject({ target: "subject", found: ["cash bonus", "free"], points: 24 });
    expect(rules(withChange(CLEAN_EN, { subject: "Freedom to travel: our new policy" }))).not.toContain("subject_phrases");
    const chinese = withChange(CLEAN_ZH, { subject: "限时免费领取" });
    expect(findingOf(chinese, "subject_phrases")).toMatchObject({ found: ["免费领取", "限时"] });
    expect(rules(withChange(CLEAN_ZH, { subject: "您的电子发票已开具" }))).not.toContain("subject_phrases");
  });

  it("body_phrases: spam words in the body or the text part, English and Chinese; everyday words are not", () => {
    const english = withChange(CLEAN_EN, { html: `${CLEAN_EN.html}<p>Act now, it is risk-free!</p>` });
    expect(findingOf(english, "body_phrases")).toMatchObject({ target: "html", found: ["risk-free", "act now"] });
    // "free" alone is suspicious only in a subject; "react now" is not "act now".
    expect(rules(withChange(CLEAN_EN, { html: `${CLEAN_EN.html}<p>Feel free to reply. React now to our survey.</p>` }))).not.toContain("body_phrases");
    const chinese = withChange(CLEAN_ZH, { text: `${CLEAN_ZH.text}\n代开发票，日赚500` });
    expect(findingOf(chinese, "body_phrases")).toMatchObject({ target: "text", found: ["代开发票", "日赚"] });
    expect(rules(withChange(CLEAN_ZH, { html: `${CLEAN_ZH.html}<p>开具发票请联系财务部。</p>` }))).not.toContain("body_phrases");
  });

  it("matches phrases whatever their case or width, and counts a phrase inside a longer one once", () => {
    expect(findPhrases("ＦＲＥＥ GIFT inside", "body").map((entry) => entry.phrase)).toEqual(["free gift"]);
    expect(findPhrases("免费领取，另有免费试用", "body").map((entry) => entry.phrase)).toEqual(["免费领取", "免费"]);
    expect(findPhrases("免费领取", "body").map((entry) => entry.phrase)).toEqual(["免费领取"]);
    // Chinese has no spaces: honest words that hold a phrase across a word boundary are not it.
    expect(findPhrases("技能命中奖励翻倍，活动今日结束", "body")).toEqual([]);
    expect(findPhrases("命中奖励翻倍，还有人中奖了", "body").map((entry) => entry.phrase)).toEqual(["中奖"]);
  });

  it("subject_caps: a subject all in capitals; not acronyms in a normal subject, and never Chinese", () => {
    expect(findingOf(withChange(CLEAN_EN, { subject: "BIG NEWS TODAY" }), "subject_caps")).toMatchObject({ points: 15, target: "subject" });
    expect(rules(withChange(CLEAN_EN, { subject: "NASA and IBM join our webinar" }))).not.toContain("subject_caps");
    expect(rules(withChange(CLEAN_ZH, { subject: "年终大促 VIP 专享" }))).not.toContain("subject_caps");
    // Liquid is left out: a capitalised name does not make the subject shout.
    expect(rules(withChange(CLEAN_EN, { subject: "{{ NAME }}, news" }))).not.toContain("subject_caps");
  });

  it("body_caps: many words in capitals; not a few acronyms", () => {
    const shouting = "<p>THIS OFFER WILL NEVER COME BACK AGAIN SO ORDER TODAY BEFORE STOCK RUNS OUT</p>";
    expect(findingOf(withChange(CLEAN_EN, { html: `<p>Hello</p>${shouting}<a href="{{ unsubscribe_url }}">Unsubscribe</a>` }), "body_caps")).toMatchObject({ params: { count: 13 } });
    expect(rules(withChange(CLEAN_EN, { html: `${CLEAN_EN.html}<p>Use the API over HTTPS, or SMTP with TLS, or the CLI.</p>` }))).not.toContain("body_caps");
  });

  it("subject_exclamations: two or more in a row, ASCII or fullwidth; not one", () => {
    expect(findingOf(withChange(CLEAN_EN, { subject: "Sale ends tonight!!" }), "subject_exclamations")).toMatchObject({ params: { longest: 2 } });
    expect(rules(withChange(CLEAN_EN, { subject: "Welcome aboard!" }))).not.toContain("subject_exclamations");
    expect(findingOf(withChange(CLEAN_ZH, { subject: "年终盛典开始了！！" }), "subject_exclamations")).toMatchObject({ params: { longest: 2 } });
    expect(rules(withChange(CLEAN_ZH, { subject: "欢迎加入！" }))).not.toContain("subject_exclamations");
  });

  it("body_exclamations: runs of three or more; not two", () => {
    expect(findingOf(withChange(CLEAN_EN, { html: `${CLEAN_EN.html}<p>Hurry!!!</p>` }), "body_exclamations")).toMatchObject({ params: { runs: 1, longest: 3 } });
    expect(rules(withChange(CLEAN_EN, { html: `${CLEAN_EN.html}<p>Thanks!!</p>` }))).not.toContain("body_exclamations");
    expect(findingOf(withChange(CLEAN_ZH, { html: `${CLEAN_ZH.html}<p>快来抢购！！！！</p>` }), "body_exclamations")).toMatchObject({ params: { longest: 4 } });
    expect(rules(withChange(CLEAN_ZH, { html: `${CLEAN_ZH.html}<p>谢谢！</p>` }))).not.toContain("body_exclamations");
  });

  it("image_only: an image with under 400 bytes of words; a Chinese character counts its 3 bytes; tracking pixels are not images", () => {
    const image = '<img src="https://cdn.example.com/a.png" alt="">';
    const footer = '<a href="{{ unsubscribe_url }}">Unsubscribe</a>';
    expect(findingOf(withChange(CLEAN_EN, { html: `${image}<p>${"x".repeat(150)}</p>${footer}` }), "image_only")).toMatchObject({ params: { images: 1 } });
    // 150 Chinese characters are 450 bytes: words enough beside one image.
    expect(rules(withChange(CLEAN_ZH, { html: `${image}<p>${"通知".repeat(75)}</p><a href="{{ unsubscribe_url }}">退订</a>` }))).not.toContain("image_only");
    expect(rules(withChange(CLEAN_EN, { html: `<img src="https://t.example.com/o.gif" width="1" height="1"><p>Short note.</p>${footer}` }))).not.toContain("image_only");
  });

  it("image_heavy: under 250 bytes of words per image; not at 300", () => {
    const images = (count: number) => '<img src="https://cdn.example.com/a.png" alt="">'.repeat(count);
    const words = `<p>${"word ".repeat(150)}</p><a href="{{ unsubscribe_url }}">Unsubscribe</a>`;
    expect(findingOf(withChange(CLEAN_EN, { html: images(4) + words }), "image_heavy")).toMatchObject({ params: { images: 4 } });
    expect(rules(withChange(CLEAN_EN, { html: images(2) + words }))).not.toContain("image_heavy");
  });

  it("many_links: more than 25 web links; not 25, and Liquid or mailto links do not count", () => {
    const links = (count: number) => Array.from({ length: count }, (_, i) => `<a href="https://www.example.com/p/${i}">Product ${i}</a>`).join(" ");
    expect(findingOf(withChange(CLEAN_EN, { html: `${CLEAN_EN.html}${links(23)}` }), "many_links")).toMatchObject({ params: { count: 26 } });
    expect(rules(withChange(CLEAN_EN, { html: `${CLEAN_EN.html}${links(22)}<a href="mailto:a@example.com">Mail</a>` }))).not.toContain("many_links");
  });

  it("url_shortener: a shortener's host in the HTML or the text part; not a host that merely looks alike", () => {
    expect(findingOf(withChange(CLEAN_EN, { html: `${CLEAN_EN.html}<a href="https://bit.ly/abc">Offer</a>` }), "url_shortener")).toMatchObject({ target: "html", found: ["bit.ly"] });
    expect(findingOf(withChange(CLEAN_ZH, { text: `${CLEAN_ZH.text}\n详情：https://t.cn/A6xYz）` }), "url_shortener")).toMatchObject({ target: "text", found: ["t.cn"] });
    expect(rules(withChange(CLEAN_EN, { html: `${CLEAN_EN.html}<a href="https://bitly.example.com/x">Offer</a><a href="https://at.co/x">At</a>` }))).not.toContain("url_shortener");
  });

  it("link_domain_mismatch: link text naming another domain; not the same registrable domain, not words", () => {
    const english = withChange(CLEAN_EN, { html: `${CLEAN_EN.html}<a href="https://login.example.net/verify">www.paypal.com</a>` });
    expect(findingOf(english, "link_domain_mismatch")).toMatchObject({ found: ["www.paypal.com → example.net"] });
    const chinese = withChange(CLEAN_ZH, { html: `${CLEAN_ZH.html}<a href="https://secure.example.net/">https://www.icbc.com.cn/login</a>` });
    expect(findingOf(chinese, "link_domain_mismatch")).toMatchObject({ params: { count: 1 } });
    expect(rules(withChange(CLEAN_EN, { html: `${CLEAN_EN.html}<a href="https://news.example.com/x">example.com</a>` }))).not.toContain("link_domain_mismatch");
    expect(rules(withChange(CLEAN_ZH, { html: `${CLEAN_ZH.html}<a href="https://www.example.net/">工商银行官网</a>` }))).not.toContain("link_domain_mismatch");
  });

  it("unsubscribe_missing: no {{ unsubscribe_url }} and no link named unsubscribe; the word alone is not a link", () => {
    const bare = withChange(CLEAN_EN, { html: `<p>${LOREM_EN}</p><p>To unsubscribe, reply to this mail.</p>` });
    expect(findingOf(bare, "unsubscribe_missing")).toMatchObject({ points: 20, target: "unsubscribe" });
    expect(rules(withChange(CLEAN_EN, { html: `<p>${LOREM_EN}</p><a href="{{- unsubscribe_url | escape -}}">Leave</a>` }))).not.toContain("unsubscribe_missing");
    expect(rules(withChange(CLEAN_EN, { html: `<p>${LOREM_EN}</p><a href="https://www.example.com/preferences">Unsubscribe</a>` }))).not.toContain("unsubscribe_missing");
    expect(rules(withChange(CLEAN_ZH, { html: `<p>${LOREM_ZH}</p><p>如需退订请回复。</p>` }))).toContain("unsubscribe_missing");
    expect(rules(withChange(CLEAN_ZH, { html: `<p>${LOREM_ZH}</p><a href="mailto:leave@example.cn">取消订阅</a>` }))).not.toContain("unsubscribe_missing");
  });

  it("text_part_missing: no hand-written text part, or a blank one; not when there is one", () => {
    expect(findingOf(withChange(CLEAN_EN, { text: null }), "text_part_missing")).toMatchObject({ points: 5, target: "text" });
    expect(rules(withChange(CLEAN_EN, { text: "  \n " }))).toContain("text_part_missing");
    expect(rules(checkContent(CLEAN_EN))).not.toContain("text_part_missing");
  });

  it("attachments_large: more than 2 MB in all (more points past 10 MB); not 1.9 MB", () => {
    const mb = 1024 * 1024;
    expect(findingOf(withChange(CLEAN_EN, { attachments: [{ fileName: "a.pdf", sizeBytes: 2 * mb }, { fileName: "b.pdf", sizeBytes: mb }] }), "attachments_large")).toMatchObject({ points: 10, params: { megabytes: 3, count: 2 }, found: ["a.pdf", "b.pdf"] });
    expect(findingOf(withChange(CLEAN_EN, { attachments: [{ fileName: "目录.pdf", sizeBytes: 11 * mb }] }), "attachments_large")).toMatchObject({ points: 20, target: "attachments" });
    expect(rules(withChange(CLEAN_EN, { attachments: [{ fileName: "a.pdf", sizeBytes: 1.9 * mb }] }))).not.toContain("attachments_large");
  });

  it("html_unbalanced: misnested, unclosed or stray tags; not end tags HTML lets one leave out", () => {
    const found = findingOf(withChange(CLEAN_EN, { html: `<div><b><i>${LOREM_EN}</b></i></span><a href="{{ unsubscribe_url }}">Unsubscribe</a>` }), "html_unbalanced");
    expect(found).toMatchObject({ points: 5, target: "html" });
    expect(found!.found.sort()).toEqual(["</i>", "</span>", "<div>", "<i>"].sort());
    expect(analyseHtml("<p>one<p>two<ul><li>a<li>b</ul><table><tr><td>x<td>y</table><br><img src=x alt=y><hr/>").balanceProblems).toEqual([]);
    expect(rules(checkContent(CLEAN_EN))).not.toContain("html_unbalanced");
  });

  it("html_unbalanced: nesting past the depth limit stops the reading and is reported", () => {
    expect(analyseHtml("<div>".repeat(600)).balanceProblems).toEqual(["<div> ×500+"]);
  });
});

describe("the HTML is read as a reader sees it", () => {
  it("leaves out head, style and script text, keeps link texts and image alt inside links", () => {
    const analysis = analyseHtml('<head><title>T</title><style>.x{}</style></head><body><script>var a="FREE"</script><p>Hi <a href="https://a.example.com">go <img src="i.png" alt="there"></a></p></body>');
    expect(analysis.visibleText).toBe("Hi go");
    expect(analysis.links).toEqual([{ href: "https://a.example.com", text: "go there" }]);
    expect(analysis.images).toBe(1);
  });
});

describe("wording", () => {
  it("words every rule in English and Chinese: title, what was found, why, what to change", () => {
    for (const catalogue of [en, zh]) {
      for (const rule of RULE_IDS) {
        const words = catalogue.deliverability.rules[rule];
        for (const text of [words.title, words.found, words.why, words.fix]) expect(text.trim().length).toBeGreaterThan(3);
      }
    }
  });

  it("fills every placeholder of every finding the samples produce, in both languages", () => {
    const heavy = '<img src="https://cdn.example.com/a.png" alt="">'.repeat(4) + `<p>${"word ".repeat(150)}</p>`;
    const findings = [SPAM_EN, SPAM_ZH, withChange(CLEAN_EN, { html: heavy }), withChange(CLEAN_EN, { attachments: [{ fileName: "big.pdf", sizeBytes: 3 * 1024 * 1024 }], html: `<div><b><i>x</b></i>${"<p>A".repeat(30)}${"<a href='https://www.example.com/'>x</a>".repeat(30)}<p>SHOUT ${"LOUD WORDS ".repeat(10)}</p>` })].flatMap(
      (sample) => ("findings" in sample ? sample : checkContent(sample)).findings,
    );
    expect(new Set(findings.map((found) => found.rule))).toEqual(new Set(RULE_IDS));
    for (const catalogue of [en, zh]) {
      for (const found of findings) {
        const text = format(catalogue.deliverability.rules[found.rule].found, { ...found.params, found: found.found.join(", ") });
        expect(text, `${found.rule}: ${text}`).not.toMatch(/\{\w+\}/);
      }
    }
  });
});

describe("linear time on hostile input", () => {
  it.each([
    ["unclosed tags", "<div><b>".repeat(65_536)],
    ["anchors with domain-like text", '<a href="https://x.example.com/">a.b.c.d.e.f.g.h'.repeat(20_000)],
    ["Liquid openers", "{{ {% ".repeat(100_000)],
    ["exclamation marks and capitals", "!!!! AAAA ".repeat(100_000)],
    ["URLs in the text part", "http://".repeat(150_000)],
  ])("reads 1 MB of %s in well under a second of CPU", (_name, hostile) => {
    const input = hostile.slice(0, 1024 * 1024);
    const started = process.cpuUsage();
    const result = checkContent({ subject: input.slice(0, 5000), html: input, text: input });
    const used = process.cpuUsage(started);
    expect(result.level).toBeDefined();
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
  });
});
