import { describe, expect, it } from "vitest";
import { classifyClick, classifyOpen, machineAgent, MACHINE_CLICK_WINDOW_MS, MACHINE_OPEN_WINDOW_MS } from "@/lib/feedback/machine";

const SENT = new Date("2026-03-02T08:00:00Z");
const LATER = new Date(SENT.getTime() + 3_600_000);

const PEOPLE = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)",
  "Mozilla/5.0 (Linux; Android 9; CUBOT X20 PRO) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
  "Mozilla/5.0 (Linux; U; Android 12; zh-CN; MI 11) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0 Mobile Safari/537.36 MicroMessenger/8.0",
];

/** Image proxies that fetch when the person opens the message: people, not machines. */
const READER_PROXIES = [
  "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
  "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
];

const MACHINES: [string, string | RegExp][] = [
  ["", "no user agent"],
  ["   ", "no user agent"],
  ["Mozilla/5.0", /privacy prefetch/],
  ["Barracuda Sentinel (EE)", "Barracuda"],
  ["Mozilla/5.0 (compatible; Mimecast-URL-Protect)", "Mimecast"],
  ["Proofpoint URL Defense", "Proofpoint"],
  ["Mozilla/5.0 Symantec Email Security.cloud", "Symantec"],
  ["Trend Micro Email Security", "Trend Micro"],
  ["Microsoft Office Existence Discovery", "Microsoft Office link check"],
  ["Mozilla/4.0 (compatible; ms-office; MSOffice 16)", "Microsoft Office link check"],
  ["curl/8.5.0", "HTTP library"],
  ["python-requests/2.31.0", "HTTP library"],
  ["Go-http-client/1.1", "HTTP library"],
  ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "crawler or preview"],
  ["Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "crawler or preview"],
  ["facebookexternalhit/1.1", "crawler or preview"],
  ["Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5", "crawler or preview"],
  ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", "headless browser"],
];

describe("machine detection by user agent", () => {
  it.each(PEOPLE)("takes %s for a person", (agent) => {
    expect(machineAgent(agent, "open")).toBeUndefined();
    expect(machineAgent(agent, "click")).toBeUndefined();
    expect(classifyOpen({ userAgent: agent, at: LATER, sentAt: SENT })).toEqual({ machine: false });
    expect(classifyClick({ userAgent: agent, at: LATER, sentAt: SENT })).toEqual({ machine: false });
  });

  it.each(READER_PROXIES)("counts an open through %s as a person's", (agent) => {
    expect(classifyOpen({ userAgent: agent, at: LATER, sentAt: SENT }).machine).toBe(false);
  });

  it.each(MACHINES)("flags %j as a machine (%s), for opens and clicks", (agent, reason) => {
    for (const verdict of [classifyOpen({ userAgent: agent, at: LATER, sentAt: SENT }), classifyClick({ userAgent: agent, at: LATER, sentAt: SENT })]) {
      expect(verdict.machine).toBe(true);
      expect(verdict.reason).toMatch(reason);
    }
  });

  it("treats a missing user agent as a machine", () => {
    expect(classifyOpen({ userAgent: null, at: LATER, sentAt: SENT })).toEqual({ machine: true, reason: "no user agent" });
    expect(classifyClick({ at: LATER, sentAt: SENT }).machine).toBe(true);
  });

  it("reads desktop Outlook's image load as a person and an Office link check as a machine", () => {
    const outlook = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)";
    expect(classifyOpen({ userAgent: outlook, at: LATER, sentAt: SENT }).machine).toBe(false);
    expect(classifyClick({ userAgent: outlook, at: LATER, sentAt: SENT })).toEqual({ machine: true, reason: "Microsoft Office link check" });
  });
});

describe("machine detection by timing", () => {
  const person = PEOPLE[0];
  const after = (ms: number) => new Date(SENT.getTime() + ms);

  it("flags an open within the open window of the send, and not after it", () => {
    expect(MACHINE_OPEN_WINDOW_MS).toBe(2_000);
    expect(classifyOpen({ userAgent: person, at: after(500), sentAt: SENT })).toEqual({ machine: true, reason: "within 2 s of sending" });
    expect(classifyOpen({ userAgent: person, at: after(MACHINE_OPEN_WINDOW_MS - 1), sentAt: SENT }).machine).toBe(true);
    expect(classifyOpen({ userAgent: person, at: after(MACHINE_OPEN_WINDOW_MS), sentAt: SENT }).machine).toBe(false);
    expect(classifyOpen({ userAgent: person, at: after(5_000), sentAt: SENT }).machine).toBe(false);
  });

  it("flags a click within the click window of the send, and not after it", () => {
    expect(MACHINE_CLICK_WINDOW_MS).toBe(10_000);
    expect(classifyClick({ userAgent: person, at: after(3_000), sentAt: SENT })).toEqual({ machine: true, reason: "within 10 s of sending" });
    expect(classifyClick({ userAgent: person, at: after(MACHINE_CLICK_WINDOW_MS - 1), sentAt: SENT }).machine).toBe(true);
    expect(classifyClick({ userAgent: person, at: after(MACHINE_CLICK_WINDOW_MS), sentAt: SENT }).machine).toBe(false);
  });

  it("flags a visit that claims to come before the send (clock skew of a prefetcher) and ignores timing without a send time", () => {
    expect(classifyOpen({ userAgent: person, at: after(-1_000), sentAt: SENT }).machine).toBe(true);
    expect(classifyOpen({ userAgent: person, at: SENT, sentAt: null }).machine).toBe(false);
  });

  it("names the user agent before the timing when both say machine", () => {
    expect(classifyClick({ userAgent: "curl/8.5.0", at: after(100), sentAt: SENT }).reason).toBe("HTTP library");
  });
});
