import { describe, expect, it } from "vitest";
import { describeReason } from "@/lib/i18n/describe";
import { reasonsZh } from "@/lib/i18n/reasons-zh";
import { KNOWN_VARIABLES, lintTemplate, SYSTEM_VARIABLES, type LintInput } from "@/lib/templates";
import { latinLeftIn } from "../helpers/latin";

const good: LintInput = {
  subject: "Hello {{ name }}",
  html: '<p>Hi {{ name }} from {{ attributes.city | default: "your city" }}</p><p><a href="https://example.com">Shop</a> <a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
  text: "Hi {{ name }}\nUnsubscribe: {{ unsubscribe_url }}",
};

const lint = (change: Partial<LintInput>) => lintTemplate({ ...good, ...change });
const codes = (issues: { code: string }[]) => issues.map((issue) => issue.code);

describe("lintTemplate: errors", () => {
  it("finds nothing wrong with a good template", () => {
    expect(lintTemplate(good)).toEqual({ errors: [], warnings: [] });
  });

  it("points an unclosed {% if %} at the line and column of the {% if", () => {
    const result = lint({ html: "<p>Hi {{ name }}</p>\n<p>{% if x %}open" });
    expect(result.errors).toEqual([
      {
        code: "liquid_syntax",
        reason: "lintBlockNotClosed",
        params: { snippet: "{% if x %}", closer: "endif" },
        part: "html",
        line: 2,
        column: 4,
        message: '"{% if x %}" is never closed: add "{% endif %}".',
      },
    ]);
  });

  it("points an unknown filter at line 3, column 1", () => {
    const result = lint({ html: "<p>One</p>\n<p>Two</p>\n{{ name | nosuchfilter }}" });
    expect(result.errors).toEqual([
      { code: "unknown_filter", reason: "lintUnknownFilter", params: { name: "nosuchfilter" }, part: "html", line: 3, column: 1, message: 'Unknown filter "nosuchfilter".' },
    ]);
  });

  it("points an unclosed output at its {{", () => {
    const result = lint({ subject: "Hello {{ name " });
    expect(result.errors).toEqual([
      {
        code: "liquid_syntax",
        reason: "lintOutputNotClosed",
        params: { snippet: "{{ name " },
        part: "subject",
        line: 1,
        column: 7,
        message: 'The output "{{ name " is missing its closing "}}".',
      },
    ]);
  });

  it("names an unknown tag and suggests a near miss", () => {
    const unknown = lint({ html: "<p>\n  {% nosuchtag %}</p>" });
    expect(unknown.errors).toEqual([
      { code: "liquid_syntax", reason: "lintUnknownTag", params: { tag: "nosuchtag" }, part: "html", line: 2, column: 3, message: 'Unknown tag "{% nosuchtag %}".' },
    ]);
    const nearMiss = lint({ text: "{% iff x %}{% endif %}" });
    expect(nearMiss.errors[0]).toMatchObject({ code: "liquid_syntax", reason: "lintUnknownTagNear", params: { tag: "iff", suggestion: "if" }, part: "text", line: 1, column: 1 });
    expect(nearMiss.errors[0]!.message).toContain('Did you mean "if"?');
    const filterMiss = lint({ subject: "{{ name | upcse }}" });
    expect(filterMiss.errors[0]).toMatchObject({ reason: "lintUnknownFilterNear", params: { name: "upcse", suggestion: "upcase" } });
    expect(filterMiss.errors[0]!.message).toBe('Unknown filter "upcse". Did you mean "upcase"?');
  });

  it("explains a stray end tag and an unclosed tag delimiter", () => {
    expect(lint({ html: "<p>x</p>{% endif %}" }).errors[0]).toMatchObject({
      code: "liquid_syntax",
      reason: "lintStrayEndTag",
      params: { tag: "endif", opener: "if" },
      line: 1,
      column: 9,
      message: '"{% endif %}" closes nothing: there is no open "{% if %}" before it.',
    });
    expect(lint({ html: "<p>{% if x</p>" }).errors[0]).toMatchObject({ code: "liquid_syntax", reason: "lintTagNotClosed", line: 1, column: 4 });
    expect(lint({ html: "<p>{% if x</p>" }).errors[0]!.message).toContain('missing its closing "%}"');
  });

  it("counts columns in characters, CJK and emoji included", () => {
    expect(lint({ html: "你好😀 {{ name | nope }}" }).errors[0]).toMatchObject({ code: "unknown_filter", line: 1, column: 5 });
    expect(lint({ html: "第一行\r\n第二行 {{ name | nope }}" }).errors[0]).toMatchObject({ line: 2, column: 5 });
  });

  it("reports an error in each part", () => {
    const result = lintTemplate({ subject: "{{ name | x1 }}", html: "{% if %}{% endif %}", text: "{{ name" });
    expect(result.errors.map((issue) => issue.part)).toEqual(["subject", "html", "text"]);
  });

  it("refuses an empty subject and an empty HTML body", () => {
    expect(lint({ subject: "  " }).errors).toEqual([{ code: "subject_empty", reason: "lintSubjectEmpty", params: {}, part: "subject", message: "The subject is empty." }]);
    expect(lint({ html: "" }).errors).toEqual([{ code: "html_empty", reason: "lintHtmlEmpty", params: {}, part: "html", message: "The HTML body is empty." }]);
  });

  it("refuses tags that would read files", () => {
    const include = lint({ html: '{% include "other" %}' }).errors[0]!;
    expect(include).toMatchObject({ code: "liquid_syntax", reason: "lintTagUnavailable", params: { tag: "include" } });
    expect(include.message).toMatch(/not available in e-mail templates/);
  });
});

describe("lintTemplate: warnings", () => {
  it("warns about unknown variables with their position, once each, and suggests what was meant", () => {
    const result = lint({ html: '<p>{{ nmae }}</p>\n<p>{{ city }} {{ city }} {{ order.total | default: "0" }}</p>' });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      {
        code: "unknown_variable",
        reason: "lintUnknownVariableNear",
        params: { name: "nmae", suggestion: "name" },
        part: "html",
        line: 1,
        column: 7,
        message: 'Unknown variable "nmae": it will be empty in every message. Did you mean "name"?',
      },
      {
        code: "unknown_variable",
        reason: "lintUnknownVariableNear",
        params: { name: "city", suggestion: "attributes.city" },
        part: "html",
        line: 2,
        column: 7,
        message: 'Unknown variable "city": it will be empty in every message. Did you mean "attributes.city"?',
      },
      {
        code: "unknown_variable",
        reason: "lintUnknownVariableNear",
        params: { name: "order.total", suggestion: "attributes.order" },
        part: "html",
        line: 2,
        column: 29,
        message: 'Unknown variable "order.total": it will be empty in every message. Did you mean "attributes.order"?',
      },
    ]);
  });

  it("knows the contact's fields, any attribute, the system variables and the template's own names", () => {
    const html = [
      "{{ name }} {{ email }} {{ attributes.city }} {{ attributes['first name'] }}",
      ...SYSTEM_VARIABLES.map((name) => `{{ ${name} }}`),
      '{% assign greeting = "Hi" %}{{ greeting }}',
      "{% for tag in attributes.tags | split: ',' %}{{ forloop.index }}{{ tag }}{% endfor %}",
      "{% capture block %}x{% endcapture %}{{ block }}",
    ].join("\n");
    expect(lint({ html }).warnings).toEqual([]);
    expect(KNOWN_VARIABLES).toEqual(["name", "email", "attributes", "unsubscribe_url", "view_in_browser_url", "sender_name", "sender_address", "date"]);
  });

  it("warns when there is no plain text, which will be generated", () => {
    for (const text of [undefined, null, "", "  \n"]) {
      const result = lint({ text });
      expect(result.errors).toEqual([]);
      expect(result.warnings).toEqual([
        { code: "missing_text", reason: "lintMissingText", params: {}, part: "text", message: "There is no plain-text version: plain text will be generated from the HTML." },
      ]);
    }
  });

  it("warns about http links but not https, mailto, anchors or placeholders", () => {
    const html = '<p><a href="https://ok.example.com">a</a> <a href="mailto:x@example.com">b</a> <a href="#top">c</a> <a href="{{ unsubscribe_url }}">d</a></p>\n  <A HREF=\'HTTP://insecure.example.com/x\'>e</A>';
    const result = lint({ html });
    expect(result.warnings).toEqual([
      {
        code: "insecure_link",
        reason: "lintInsecureLink",
        params: { url: "HTTP://insecure.example.com/x" },
        part: "html",
        line: 2,
        column: 6,
        message: 'The link "HTTP://insecure.example.com/x" is not https: readers may see a warning and it can be altered on the way.',
      },
    ]);
  });

  it("warns about images without alt, but accepts an empty alt", () => {
    const html = '<img src="https://cdn.example.com/logo.png" alt="Logo">\n<img src="https://cdn.example.com/spacer.gif" alt="">\n<p>x</p><IMG SRC=\'https://cdn.example.com/banner.png\'>';
    expect(lint({ html }).warnings).toEqual([
      {
        code: "image_without_alt",
        reason: "lintImageWithoutAltSrc",
        params: { src: "https://cdn.example.com/banner.png" },
        part: "html",
        line: 3,
        column: 9,
        message: 'An image ("https://cdn.example.com/banner.png") has no alt text: readers who block images or use a screen reader get nothing (use alt="" for decoration).',
      },
    ]);
  });

  it("warns about a subject over 78 columns, counting CJK characters as two", () => {
    expect(codes(lint({ subject: "a".repeat(78) }).warnings)).toEqual([]);
    expect(codes(lint({ subject: "a".repeat(79) }).warnings)).toEqual(["subject_too_long"]);
    expect(codes(lint({ subject: "中".repeat(39) }).warnings)).toEqual([]);
    expect(codes(lint({ subject: "中".repeat(40) }).warnings)).toEqual(["subject_too_long"]);
    // each {{ … }} counts as 10 columns, tags as nothing
    expect(codes(lint({ subject: `${"a".repeat(68)}{{ attributes.a_very_long_attribute_name | default: "x" }}{% if name %}{% endif %}` }).warnings)).toEqual([]);
    expect(codes(lint({ subject: `${"a".repeat(69)}{{ name }}` }).warnings)).toEqual(["subject_too_long"]);
    expect(lint({ subject: "a".repeat(80) }).warnings[0]).toMatchObject({
      part: "subject",
      reason: "lintSubjectTooLong",
      params: { columns: 80, max: 78 },
      message: expect.stringContaining("80 columns"),
    });
  });

  it("warns about a subject in capitals only", () => {
    expect(lint({ subject: "BIG SALE TODAY!" }).warnings).toEqual([
      expect.objectContaining({ code: "subject_all_caps", reason: "lintSubjectAllCaps", message: "The subject is all capitals, which reads as shouting and looks like spam to filters." }),
    ]);
    expect(codes(lint({ subject: "{{ name }}: FREE GIFT" }).warnings)).toEqual(["subject_all_caps"]);
    expect(codes(lint({ subject: "双十一 SALE" }).warnings)).toEqual(["subject_all_caps"]);
    expect(codes(lint({ subject: "BIG sale" }).warnings)).toEqual([]);
    expect(codes(lint({ subject: "NEW" }).warnings)).toEqual([]);
    expect(codes(lint({ subject: "双十一大促销 2026" }).warnings)).toEqual([]);
  });

  it("warns when a trial render with a sample contact fails", () => {
    const result = lint({ html: "{% for i in (1..100000000) %}x{% endfor %}" });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: "render_failed",
        reason: "lintTrialRenderFailed",
        params: { problem: "lintRenderTooMuchMemory" },
        part: "html",
        line: 1,
        column: 1,
        message: "A trial render with a sample contact failed. The template uses too much memory (a range or loop that is too large?).",
      }),
    ]);
  });

  it("gives every issue a code, a part and a message", () => {
    const result = lintTemplate({
      subject: "FREE MONEY FOR {{ nme }} AND EVERYONE ELSE WHO OPENS THIS MESSAGE BEFORE THE END OF THE DAY",
      html: '<a href="http://x.example.com">x</a><img src="y.png">{{ city }}',
    });
    expect(result.errors).toEqual([]);
    expect(codes(result.warnings).sort()).toEqual(
      ["image_without_alt", "insecure_link", "missing_text", "subject_all_caps", "subject_too_long", "unknown_variable", "unknown_variable"].sort(),
    );
    for (const issue of result.warnings) {
      expect(issue.message.length).toBeGreaterThan(10);
      expect(["subject", "html", "text"]).toContain(issue.part);
    }
  });

  it("words every issue in Chinese from its reason, every placeholder filled", () => {
    const result = lintTemplate({
      subject: "FREE MONEY FOR {{ nme }} AND EVERYONE ELSE WHO OPENS THIS MESSAGE BEFORE THE END OF THE DAY",
      html: '<a href="http://x.example.com">x</a><img src="y.png">{{ city }}{% for i in (1..100000000) %}x{% endfor %}',
    });
    const broken = lintTemplate({ subject: "{{ name | upcse }}", html: "<p>{% if x %}", text: "{% endif %}{% iff %}" });
    for (const issue of [...result.warnings, ...broken.errors]) {
      const chinese = describeReason(reasonsZh, issue.reason, issue.params);
      expect(chinese, issue.reason).not.toMatch(/\{\w+\}/);
      expect(latinLeftIn(chinese, Object.values(issue.params).map(String)), issue.reason).toBe("");
    }
    expect(describeReason(reasonsZh, broken.errors[0]!.reason, broken.errors[0]!.params)).toBe("未知的过滤器“upcse”。是不是想用“upcase”？");
  });
});
