/**
 * Template render benchmark: a typical newsletter (about 3 KB of HTML; six variables including
 * attributes, `default` filters and a condition; ten http(s) links once rendered, one of them the
 * unsubscribe URL, plus a mailto) rendered for N generated contacts
 * (default 50,000; `--rows N` overrides) on this one thread, after a warm-up. It reports renders
 * per second for the render alone, with `rewriteLinks` on each result (as sending does for click
 * tracking), and with the open pixel added too. Target: ≥ 20,000 renders/s on one core.
 */
import { performance } from "node:perf_hooks";
import { addOpenPixel, clearTemplateCache, compileTemplate, extractLinks, rewriteLinks, type Contact } from "@/lib/templates";
import { ARTICLES } from "./articles";

export const TARGETS = { rendersPerSecond: 20_000 };

const DEFAULT_CONTACTS = 50_000;
const WARM_UP = 5_000;

const log = (message: string) => console.error(`[bench render] ${message}`);
const round = (value: number, digits = 0) => Number(value.toFixed(digits));

const SUBJECT = "{{ name | default: \"Hello\" }}, your {{ attributes.city | default: \"local\" }} update for {{ date }}";


function newsletterHtml(): string {
  const articles = ARTICLES.map(
    ([title, body], i) => `
        <tr>
          <td style="padding:16px 24px;border-bottom:1px solid #eee">
            <h2 style="margin:0 0 8px;font-size:18px">${title}</h2>
            <p style="margin:0 0 8px;font-size:14px;color:#444">${body}</p>
            <a href="https://shop.example.com/articles/${i + 1}?utm_source=newsletter&amp;utm_medium=email">Read more</a>
          </td>
        </tr>`,
  ).join("");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Newsletter</title><style>a{color:#4f46e5}</style></head>
<body>
  <table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f5f5f5">
    <tr><td align="center">
      <table role="presentation" width="600" cellpadding="0" cellspacing="0" style="background:#fff">
        <tr><td style="padding:24px"><a href="https://shop.example.com/"><img src="https://cdn.example.com/logo.png" alt="Example Shop" width="120"></a></td></tr>
        <tr>
          <td style="padding:0 24px">
            <p style="font-size:16px">Hi {{ name | default: "there" }},</p>
            <p style="font-size:14px;color:#444">Here is what is new in {{ attributes.city | default: "your city" }} this week.
            {% if attributes.plan == "pro" %}As a Pro member you get early access to every sale.{% endif %}</p>
          </td>
        </tr>${articles}
        <tr>
          <td style="padding:24px;text-align:center">
            <a href="https://shop.example.com/sale?ref={{ attributes.plan | default: 'none' }}" style="background:#4f46e5;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none">Shop the sale</a>
          </td>
        </tr>
        <tr>
          <td style="padding:16px 24px;font-size:12px;color:#888">
            <a href="https://facebook.com/example">Facebook</a> · <a href="https://twitter.com/example">Twitter</a> ·
            <A HREF='https://instagram.com/example'>Instagram</A><br>
            You receive this because {{ email }} subscribed at example.com.
            <a href="{{ unsubscribe_url }}">Unsubscribe</a> · <a href="mailto:help@example.com">Contact us</a>
          </td>
        </tr>
      </table>
    </td></tr>
  </table>
</body>
</html>
`;
}

const FIRST = ["James", "Mary", "张伟", "王芳", "Sofia", "Lukas", "Amélie", "李娜", "O'Brien", "<b>Eve</b>", ""];
const CITIES = ["Shanghai", "北京", "Berlin", "São Paulo", "", "Hangzhou"];
const PLANS = ["free", "pro", "enterprise"];

function contacts(count: number): Contact[] {
  const list: Contact[] = [];
  for (let i = 0; i < count; i++) {
    const attributes: Record<string, string> = { plan: PLANS[i % PLANS.length]! };
    const city = CITIES[i % CITIES.length]!;
    if (city) attributes.city = city;
    list.push({ email: `person${i}@example.com`, name: FIRST[i % FIRST.length]!, attributes });
  }
  return list;
}

function measure(label: string, list: Contact[], once: (contact: Contact, index: number) => number): Record<string, number> {
  let bytes = 0;
  for (let i = 0; i < Math.min(WARM_UP, list.length); i++) bytes += once(list[i]!, i);
  bytes = 0;
  const started = performance.now();
  for (let i = 0; i < list.length; i++) bytes += once(list[i]!, i);
  const seconds = (performance.now() - started) / 1000;
  const result = {
    renders: list.length,
    seconds: round(seconds, 3),
    rendersPerSecond: round(list.length / seconds),
    microsecondsPerRender: round((seconds * 1e6) / list.length, 1),
    averageBytes: round(bytes / list.length),
  };
  log(`${label}: ${result.rendersPerSecond} renders/s (${result.microsecondsPerRender} µs each)`);
  return result;
}

export async function runRenderBench(options: { rows?: string } = {}): Promise<Record<string, unknown>> {
  const count = options.rows ? Number(options.rows) : DEFAULT_CONTACTS;
  if (!Number.isInteger(count) || count <= 0) throw new Error(`--rows must be a positive whole number, not "${options.rows}"`);
  const html = newsletterHtml();
  const list = contacts(count);

  clearTemplateCache();
  const compileStarted = performance.now();
  const template = compileTemplate({ id: "bench", version: 1, subject: SUBJECT, html, text: null });
  const compileMs = performance.now() - compileStarted;
  const cachedStarted = performance.now();
  for (let i = 0; i < 1_000; i++) compileTemplate({ id: "bench", version: 1, subject: SUBJECT, html, text: null });
  const cachedMicroseconds = ((performance.now() - cachedStarted) * 1000) / 1_000;
  log(`compiled in ${round(compileMs, 1)} ms (plain text generated from the HTML); cache hit ${round(cachedMicroseconds, 2)} µs`);

  const extra = (i: number) => ({ unsubscribe_url: `https://fanout.example.com/u/token${i}`, sender_name: "Example Shop", sender_address: "news@example.com" });
  const size = (m: { subject: string; html: string; text: string }) => m.subject.length + m.html.length + m.text.length;

  const renderOnly = measure("render", list, (contact, i) => size(template.render(contact, extra(i))));
  const withLinks = measure("render + rewriteLinks", list, (contact, i) => {
    const message = template.render(contact, extra(i));
    const tracked = rewriteLinks(message.html, (url, index) => `https://fanout.example.com/c/d${i}.${index}.sig?u=${url.length}`);
    return message.subject.length + tracked.length + message.text.length;
  });
  const withTracking = measure("render + rewriteLinks + addOpenPixel", list, (contact, i) => {
    const message = template.render(contact, extra(i));
    const tracked = addOpenPixel(
      rewriteLinks(message.html, (url, index) => `https://fanout.example.com/c/d${i}.${index}.sig?u=${url.length}`),
      `https://fanout.example.com/o/d${i}.sig`,
    );
    return message.subject.length + tracked.length + message.text.length;
  });

  const sample = template.render(list[1]!, extra(1));
  return {
    contacts: count,
    warmUp: Math.min(WARM_UP, count),
    node: process.version,
    template: {
      htmlBytes: Buffer.byteLength(html),
      trackableLinks: extractLinks(sample.html).length,
      compileMs: round(compileMs, 1),
      cacheHitMicroseconds: round(cachedMicroseconds, 2),
    },
    render: renderOnly,
    renderAndRewriteLinks: withLinks,
    renderRewriteAndPixel: withTracking,
    target: TARGETS,
    meetsTarget: renderOnly.rendersPerSecond! >= TARGETS.rendersPerSecond && withLinks.rendersPerSecond! >= TARGETS.rendersPerSecond,
  };
}
