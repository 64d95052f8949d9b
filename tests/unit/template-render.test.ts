import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  addOpenPixel,
  clearTemplateCache,
  compileTemplate,
  extractLinks,
  htmlToText,
  rewriteLinks,
  TEMPLATE_CACHE_SIZE,
  templateCacheSize,
  TemplateError,
  type Contact,
} from "@/lib/templates";
import { engineFor, type TemplatePart } from "@/lib/templates/engine";

const alice: Contact = { email: "alice@example.com", name: "Alice", attributes: { city: "Hangzhou" } };
const extra = { date: "2026-11-25", unsubscribe_url: "https://fanout.example.com/u/abc?x=1&y=2", sender_name: "Shop" };

let nextId = 0;
const source = (parts: { subject?: string; html?: string; text?: string | null }) => ({
  id: `t${++nextId}`,
  version: 1,
  subject: parts.subject ?? "Hello",
  html: parts.html ?? "<p>Hi</p>",
  text: parts.text,
});

/** The error a function throws, for assertions on its fields. */
function thrown(run: () => unknown): TemplateError {
  try {
    run();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error("expected a TemplateError");
}

beforeEach(() => clearTemplateCache());

describe("compileTemplate and render", () => {
  it("personalises Chinese text with an attribute, a link and a default filter", () => {
    const template = compileTemplate(
      source({
        subject: "{{ name }}，{{ attributes.city | default: \"您所在的城市\" }}的新品到了",
        html: '<p>你好，{{ name }}！{{ attributes.city | default: "您所在的城市" }}门店本周上新。</p><p><a href="https://shop.example.cn/新品?city={{ attributes.city | url_encode }}">查看新品</a></p>',
      }),
    );
    const withCity = template.render({ email: "li@example.cn", name: "李雷", attributes: { city: "北京" } }, extra);
    expect(withCity.subject).toBe("李雷，北京的新品到了");
    expect(withCity.html).toBe(
      '<p>你好，李雷！北京门店本周上新。</p><p><a href="https://shop.example.cn/新品?city=%E5%8C%97%E4%BA%AC">查看新品</a></p>',
    );
    expect(withCity.text).toBe("你好，李雷！北京门店本周上新。\n\n查看新品 [https://shop.example.cn/新品?city=%E5%8C%97%E4%BA%AC]");

    const withoutCity = template.render({ email: "han@example.cn", name: "韩梅梅", attributes: {} }, extra);
    expect(withoutCity.subject).toBe("韩梅梅，您所在的城市的新品到了");
    expect(withoutCity.html).toContain("你好，韩梅梅！您所在的城市门店本周上新。");
  });

  it("returns the same compiled object from the cache, and recompiles when the content changes", () => {
    const first = compileTemplate({ id: "welcome", version: 3, subject: "Hi {{ name }}", html: "<p>Hi</p>" });
    const again = compileTemplate({ id: "welcome", version: 3, subject: "Hi {{ name }}", html: "<p>Hi</p>" });
    expect(again).toBe(first);
    const nextVersion = compileTemplate({ id: "welcome", version: 4, subject: "Hi {{ name }}", html: "<p>Hi</p>" });
    expect(nextVersion).not.toBe(first);
    const edited = compileTemplate({ id: "welcome", version: 3, subject: "Hello {{ name }}", html: "<p>Hi</p>" });
    expect(edited).not.toBe(first);
    expect(edited.render(alice, extra).subject).toBe("Hello Alice");
    expect(templateCacheSize()).toBe(2);
  });

  it("keeps at most TEMPLATE_CACHE_SIZE templates, dropping the least recently used", () => {
    const first = compileTemplate({ id: "lru", version: 0, subject: "s", html: "h" });
    for (let i = 1; i < TEMPLATE_CACHE_SIZE; i++) compileTemplate({ id: "lru", version: i, subject: "s", html: "h" });
    expect(compileTemplate({ id: "lru", version: 0, subject: "s", html: "h" })).toBe(first); // now most recent
    compileTemplate({ id: "lru", version: TEMPLATE_CACHE_SIZE, subject: "s", html: "h" }); // evicts version 1
    expect(templateCacheSize()).toBe(TEMPLATE_CACHE_SIZE);
    expect(compileTemplate({ id: "lru", version: 0, subject: "s", html: "h" })).toBe(first);
  });

  it("escapes values in the HTML but not in the subject or the plain text", () => {
    const template = compileTemplate(source({ subject: "For {{ name }}", html: "<p>Hi {{ name }}</p>", text: "Hi {{ name }}" }));
    const message = template.render({ ...alice, name: '<script>alert("x")</script> & co' }, extra);
    expect(message.html).toBe("<p>Hi &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co</p>");
    expect(message.text).toBe('Hi <script>alert("x")</script> & co');
    expect(message.subject).toBe('For <script>alert("x")</script> & co');
  });

  it("escapes once with | escape, not at all with | raw, and escapes filter results too", () => {
    const template = compileTemplate(source({ html: "{{ name | escape }}|{{ name | raw }}|{{ name | upcase }}|{{ attributes.x | default: '<b>' }}" }));
    expect(template.render({ ...alice, name: "<i>" }, extra).html).toBe("&lt;i&gt;|<i>|&lt;I&gt;|&lt;b&gt;");
  });

  it("never puts a line break into the subject", () => {
    const template = compileTemplate(source({ subject: "Hi {{ name }}\n{% if true %}\r\nnews{% endif %}" }));
    const message = template.render({ ...alice, name: "Eve\r\nBcc: victim@example.com\u2028x\u0000" }, extra);
    expect(message.subject).toBe("Hi Eve Bcc: victim@example.com x news");
    expect(message.subject).not.toMatch(/[\r\n\u2028]/);
  });

  it("renders an unknown variable as empty", () => {
    const template = compileTemplate(source({ subject: "[{{ nickname }}]", html: "<p>{{ attributes.nope }}{{ nope.deeper.still }}</p>" }));
    const message = template.render(alice, extra);
    expect(message.subject).toBe("[]");
    expect(message.html).toBe("<p></p>");
  });

  it("throws at compile time for an unknown filter, with its part, line and column", () => {
    const error = thrown(() => compileTemplate(source({ html: "<p>\n  {{ name | shout }}</p>" })));
    expect(error.code).toBe("unknown_filter");
    expect(error.part).toBe("html");
    expect(error.line).toBe(2);
    expect(error.column).toBe(3);
    expect(error.message).toContain('Unknown filter "shout"');

    const inSubject = thrown(() => compileTemplate(source({ subject: "Hi {{ name | upcse }}" })));
    expect(inSubject.issue).toMatchObject({ code: "unknown_filter", part: "subject", line: 1, column: 4 });
    expect(inSubject.issue.message).toContain('Did you mean "upcase"?');
  });

  it("refuses tags that would read files", () => {
    for (const tag of ['{% include "secrets" %}', '{% render "x" %}', '{% layout "x" %}']) {
      const error = thrown(() => compileTemplate(source({ html: `<p>${tag}</p>` })));
      expect(error.issue).toMatchObject({ code: "liquid_syntax", part: "html", line: 1, column: 4 });
      expect(error.message).toMatch(/not available in e-mail templates/);
    }
  });

  it("stops a render that would run away, with a TemplateError", () => {
    const template = compileTemplate(source({ html: "{% for i in (1..100000000) %}x{% endfor %}" }));
    const error = thrown(() => template.render(alice, extra));
    expect(error.code).toBe("render_failed");
    expect(error.part).toBe("html");
  });

  it("fills system variables from extra, with today's date by default and the contact winning", () => {
    const template = compileTemplate(
      source({ subject: "{{ date }}", html: '<a href="{{ unsubscribe_url }}">Unsubscribe</a> {{ sender_name }} {{ name }}', text: "{{ unsubscribe_url }}" }),
    );
    const message = template.render(alice, { ...extra, name: "Mallory" });
    expect(message.subject).toBe("2026-11-25");
    expect(message.html).toBe('<a href="https://fanout.example.com/u/abc?x=1&amp;y=2">Unsubscribe</a> Shop Alice');
    expect(message.text).toBe("https://fanout.example.com/u/abc?x=1&y=2");
    expect(template.render(alice).subject).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("formats dates in the company zone and keeps a date string's own day", () => {
    const template = compileTemplate(source({ subject: '{{ "2026-01-02" | date: "%Y/%m/%d" }} {{ "2026-01-02T23:30:00+08:00" | date: "%d %H:%M" }}' }));
    expect(template.render(alice, extra).subject).toBe("2026/01/02 02 23:30");
  });

  it("generates the plain text from the HTML when the template has none", () => {
    const template = compileTemplate(
      source({
        html: `<html><head><style>p { color: red }</style></head><body>
          <h1>Hello {{ name }}</h1>
          <p>你好，{{ attributes.city | default: "your city" }}！这是一个很长的中文段落，没有任何空格，换行时不应被拆开或者丢失任何字符，哪怕它比七十八个字符还要长很多很多很多。</p>
          {% if attributes.vip %}<p>VIP offer</p>{% endif %}
          <ul><li>First</li><li>Second</li></ul>
          <p><a href="https://shop.example.com/sale?a=1&amp;b=2">Sale</a> · <a href="{{ unsubscribe_url }}">Unsubscribe</a> · <a href="#top">Top</a></p>
          <a href="https://shop.example.com/"><img src="logo.png" alt="Example Shop"></a>
        </body></html>`,
      }),
    );
    expect(template.textGenerated).toBe(true);
    expect(template.textSource).toContain("Hello {{ name }}");
    expect(template.render({ ...alice, attributes: {} }, extra).text).toBe(
      [
        "Hello Alice",
        "",
        "你好，your city！这是一个很长的中文段落，没有任何空格，换行时不应被拆开或者丢失任何字符，哪怕它比七十八个字符还要长很多很多很多。",
        "",
        " * First",
        " * Second",
        "",
        "Sale [https://shop.example.com/sale?a=1&b=2] · Unsubscribe [https://fanout.example.com/u/abc?x=1&y=2] · Top",
        "",
        "Example Shop [https://shop.example.com/]",
      ].join("\n"),
    );
    expect(template.render({ ...alice, attributes: { vip: "yes" } }, extra).text).toContain("your city");
    expect(template.render({ ...alice, attributes: { vip: "yes" } }, extra).text).toMatch(/\n\nVIP offer\n\n \* First/);
  });

  it("keeps braces that only appear as entities in the HTML as text", () => {
    const template = compileTemplate(source({ html: "<p>&#123;&#123; not liquid }}</p>" }));
    expect(template.render(alice, extra).text).toBe("{{ not liquid }}");
  });

  it("uses the given plain text when there is one", () => {
    const template = compileTemplate(source({ html: "<p>HTML</p>", text: "Plain {{ name }}\n" }));
    expect(template.textGenerated).toBe(false);
    expect(template.render(alice, extra).text).toBe("Plain Alice\n");
  });
});

describe("the fast render path", () => {
  const templates = [
    "Hi {{ name }}, {{ attributes.city | default: 'friend' }}!",
    "{{ attributes['first name'] }}|{{ attributes.missing }}|{{ missing.deep.path }}",
    '{% assign name = "Assigned" %}{{ name }}|{{ email }}',
    "{% capture greeting %}Hi {{ name }}{% endcapture %}{{ greeting | upcase }}",
    "{% increment counter %}{% increment counter %}{{ counter }}",
    "{{ name.size }}|{{ name.first }}|{{ items.first }}|{{ items.size }}|{{ items | join: ', ' }}|{{ items }}",
    "{% for item in items %}{{ forloop.index }}={{ item | capitalize }} {% endfor %}",
    "{{ attributes.tags | split: ',' | last }}|{{ attributes.tags | split: ',' }}",
    '{{ "now" | date: "%Y" | size }}|{{ 3 | plus: 4 }}|{{ "lit" | append: name }}|{{ nil }}|{{ true }}|{{ 2.5 }}',
    "{{ attributes }}|{{ nested.inner.value }}|{{ nested.inner }}|{{ fn }}|{{ constructor }}|{{ name.length }}",
    "{% if attributes.city == 'Hangzhou' %}HZ{% elsif name contains 'B' %}B{% else %}other{% endif %}",
    "{% case attributes.plan %}{% when 'pro' %}Pro{% else %}Free{% endcase %}{% unless email %}none{% endunless %}",
    "{{ name | escape }}|{{ name | raw }}|{{ name | escape_once }}|{{ name | truncate: 4 }}|{{ name | default: email }}",
    "{{ attributes.count | plus: 1 }}|{{ attributes.count | times: attributes.count }}|{{ email | split: '@' | first }}",
    "{{ empty }}|{{ blank }}|{{ nested['inner']['value'] }}|{{ nested.inner[key] }}",
  ];
  const contacts: Contact[] = [
    alice,
    { email: "bob@example.com", name: "<Bob & \"B\">", attributes: { "first name": "Bob", tags: "a,b,c", plan: "pro", count: "3" } },
    { email: "", name: "", attributes: {} },
    { email: "张@example.cn", name: "张伟", attributes: { city: "上海", tags: "" } },
  ];
  const more = { ...extra, items: ["x", "<y>"], nested: { inner: { value: "deep" } }, fn: () => "called", key: "value" };

  it("renders exactly what LiquidJS renders, in every part", () => {
    for (const body of templates) {
      const template = compileTemplate(source({ subject: body, html: `<p>${body}</p>`, text: body }));
      for (const contact of contacts) {
        const message = template.render(contact, more);
        const scope = { ...more, name: contact.name, email: contact.email, attributes: contact.attributes };
        const expected = (part: TemplatePart, text: string) => engineFor(part).renderSync(engineFor(part).parse(text), { ...scope }) as string;
        expect(message.html, body).toBe(expected("html", `<p>${body}</p>`));
        expect(message.text, body).toBe(expected("text", body));
        expect(message.subject, body).toBe(expected("subject", body).replace(/\s*[\r\n]+\s*/g, " ").trim());
      }
    }
  });
});

describe("the company time zone", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  /** The template modules loaded afresh, so their engines and today's date are made under the stubbed environment. */
  async function freshTemplates() {
    vi.resetModules();
    const { readEnv } = await import("@/lib/config/env");
    const { compileTemplate } = await import("@/lib/templates/compile");
    return { readEnv, compileTemplate };
  }

  function refusal(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error("expected a refusal");
  }

  it("dates {{ date }} and the date filter in FANOUT_TIMEZONE", async () => {
    vi.stubEnv("FANOUT_TIMEZONE", "Pacific/Kiritimati");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T12:00:00Z"));
    const { compileTemplate } = await freshTemplates();
    const template = compileTemplate(source({ subject: '{{ date }} {{ "now" | date: "%H:%M" }}' }));
    expect(template.render(alice).subject).toBe("2026-01-02 02:00");
  });

  it("refuses an unknown FANOUT_TIMEZONE as readEnv does, at compile and at render, instead of falling back to the default", async () => {
    vi.stubEnv("FANOUT_TIMEZONE", "Mars/Olympus");
    const fresh = await freshTemplates();
    const readEnvRefusal = refusal(() => fresh.readEnv());
    expect(readEnvRefusal).toMatch(/FANOUT_TIMEZONE "Mars\/Olympus"/);
    expect(refusal(() => fresh.compileTemplate(source({ subject: "{{ date }}" })))).toBe(readEnvRefusal);

    vi.stubEnv("FANOUT_TIMEZONE", "Europe/Berlin");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-01-01T12:00:00Z"));
    const { compileTemplate } = await freshTemplates();
    const template = compileTemplate(source({ subject: "{{ date }}" }));
    expect(template.render(alice).subject).toBe("2026-01-01");
    vi.stubEnv("FANOUT_TIMEZONE", "Mars/Olympus");
    vi.setSystemTime(new Date("2026-01-01T12:01:00Z")); // today's date is looked up once a minute
    expect(refusal(() => template.render(alice))).toBe(readEnvRefusal);
  });
});

describe("htmlToText", () => {
  it("writes links, lists, paragraphs and CJK readably", () => {
    const text = htmlToText(
      '<p>First paragraph with <a href="https://example.com/a">a link</a>.</p><p>第二段：中文内容保持完整。</p><ol><li>One</li><li>Two</li></ol><p><a href="https://example.com">https://example.com</a> <a href="mailto:help@example.com">Mail</a></p>',
    );
    expect(text).toBe(
      "First paragraph with a link [https://example.com/a].\n\n第二段：中文内容保持完整。\n\n 1. One\n 2. Two\n\nhttps://example.com Mail [help@example.com]",
    );
  });

  it("drops head, style and script", () => {
    expect(htmlToText("<html><head><title>T</title><style>a{}</style></head><body><script>x()</script><p>Body</p></body></html>")).toBe("Body");
  });
});

describe("links", () => {
  const html = [
    '<a href="https://example.com/one">1</a>',
    "<a class='x' href='https://example.com/two?a=1&amp;b=2'>2</a>",
    "<A HREF=https://example.com/three>3</A>",
    '<a title="a > b" href="http://example.com/four">4</a>',
    '<a href="mailto:help@example.com">mail</a> <a href="tel:+86100">tel</a> <a href="#top">top</a>',
    '<a href="{{ unsubscribe_url }}">unsub</a> <a href="https://example.com/?e={{ email }}">personal</a>',
    '<a href="/relative">rel</a> <a name="anchor">no href</a> <abbr title="x">abbr</abbr> <area href="https://example.com/area">',
    '<a data-href="https://example.com/data" href = " https://example.com/five " >5</a>',
  ].join("\n");

  it("extracts the trackable URLs in order, decoded", () => {
    expect(extractLinks(html)).toEqual([
      "https://example.com/one",
      "https://example.com/two?a=1&b=2",
      "https://example.com/three",
      "http://example.com/four",
      "https://example.com/five",
    ]);
  });

  it("rewrites only http(s) hrefs of <a> tags, whatever the quoting or case", () => {
    const seen: [string, number][] = [];
    const out = rewriteLinks(html, (url, index) => {
      seen.push([url, index]);
      return `https://t.example/c/${index}?u=${encodeURIComponent(url)}&s="sig"`;
    });
    expect(seen.map(([, index]) => index)).toEqual([0, 1, 2, 3, 4]);
    expect(out).toContain('<a href="https://t.example/c/0?u=https%3A%2F%2Fexample.com%2Fone&amp;s=&quot;sig&quot;">1</a>');
    expect(out).toContain("<a class='x' href=\"https://t.example/c/1?u=https%3A%2F%2Fexample.com%2Ftwo%3Fa%3D1%26b%3D2&amp;s=&quot;sig&quot;\">2</a>");
    expect(out).toContain('<A href="https://t.example/c/2?u=https%3A%2F%2Fexample.com%2Fthree&amp;s=&quot;sig&quot;">3</A>');
    expect(out).toContain('<a title="a > b" href="https://t.example/c/3?');
    expect(out).toContain('<a data-href="https://example.com/data" href="https://t.example/c/4?');
    for (const untouched of [
      '<a href="mailto:help@example.com">',
      '<a href="tel:+86100">',
      '<a href="#top">',
      '<a href="{{ unsubscribe_url }}">',
      '<a href="https://example.com/?e={{ email }}">',
      '<a href="/relative">',
      '<a name="anchor">',
      '<area href="https://example.com/area">',
    ]) {
      expect(out).toContain(untouched);
    }
  });

  it("leaves the HTML as written when the rewrite returns the same URL", () => {
    expect(rewriteLinks(html, (url) => url)).toBe(html);
    const skipSecond = rewriteLinks(html, (url, index) => (index === 1 ? url : "https://t.example/"));
    expect(skipSecond).toContain("href='https://example.com/two?a=1&amp;b=2'");
  });

  it("ignores a tag that never closes", () => {
    expect(extractLinks('<a href="https://example.com/ok">ok</a><a href="https://example.com/broken')).toEqual(["https://example.com/ok"]);
  });

  it("adds the open pixel before </body>, else before </html>, else at the end", () => {
    const pixel = '<img src="https://t.example/o/1?a=1&amp;b=2" width="1" height="1" alt=""';
    const withBody = addOpenPixel("<html><body><p>x</p></BODY></html>", "https://t.example/o/1?a=1&b=2");
    expect(withBody.startsWith(`<html><body><p>x</p>${pixel}`)).toBe(true);
    expect(withBody.endsWith("</BODY></html>")).toBe(true);
    expect(addOpenPixel("<html><p>x</p></html>", "https://t.example/o/1?a=1&b=2")).toMatch(/^<html><p>x<\/p><img src="https:\/\/t\.example\/o\/1\?a=1&amp;b=2"[^>]*\/><\/html>$/);
    expect(addOpenPixel("<p>x</p>", "https://t.example/o/1?a=1&b=2").startsWith(`<p>x</p>${pixel}`)).toBe(true);
  });
});
