import { describe, expect, it } from "vitest";
import type { Database } from "@/db/client";
import { analyzeMessage } from "@/lib/feedback/bounce";
import { MAX_INBOUND_BYTES, receiveInboundMail } from "@/lib/feedback/inbound";
import { normalizeAddress } from "@/lib/addresses/normalize";

/**
 * Untrusted text reaches these parsers from anyone: a mail to the SMTP entrance or to
 * POST /api/webhooks/inbound, a field of an imported file. Each input below is a shape that made
 * one of the old patterns retry from every character (quadratic: about 20 minutes for 1 MB, during
 * which the process answered nothing). Each parser must read 1 MB of it in well under a second of
 * CPU time (measured as CPU time, so a busy machine does not make the test flaky).
 *
 * Every case runs first at 64 KiB, where a quadratic pattern already takes seconds, so a
 * regression fails here at once instead of hanging the run on the 1 MB input.
 */
const MEGABYTE = 1024 * 1024;
const SIZES = [64 * 1024, MEGABYTE];
const BOUND_MS = 500;

/** The inbound path must decide "no feedback address" from the headers alone, before touching the database. */
const untouchableDb = new Proxy({}, {
  get() {
    throw new Error("the database was used before any token was checked");
  },
}) as Database;

const mailWithHeader = (name: string, value: string) => Buffer.from(`From: someone@example.org\r\n${name}: ${value}\r\nSubject: hello\r\n\r\nbody\r\n`, "latin1");
const plainBounce = (text: string) =>
  `From: MAILER-DAEMON@mx.example.org\r\nTo: news@fanout.test\r\nSubject: Undelivered Mail Returned to Sender\r\nContent-Type: text/plain\r\n\r\n${text}\r\n`;
const htmlBounce = (html: string) =>
  `From: MAILER-DAEMON@mx.example.org\r\nTo: news@fanout.test\r\nSubject: Undelivered Mail Returned to Sender\r\nContent-Type: text/html\r\n\r\n${html}\r\n`;
const reportBounce = (fields: string) =>
  [
    "From: MAILER-DAEMON@mx.example.org",
    "To: news@fanout.test",
    "Subject: Undelivered Mail Returned to Sender",
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"',
    "",
    "--B",
    "Content-Type: text/plain",
    "",
    "The mail system could not deliver your message.",
    "--B",
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.example.org",
    "",
    "Action: failed",
    "Status: 5.1.1",
    fields,
    "--B--",
    "",
  ].join("\r\n");

/** Milliseconds of CPU this process spent on `run`: other processes on a busy machine do not count. */
async function timed(run: () => unknown): Promise<number> {
  const started = process.cpuUsage();
  await run();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

/** `prepare` builds the input of one size (not timed) and answers the call to time. */
async function expectLinear(prepare: (size: number) => () => unknown) {
  for (const size of SIZES) {
    const elapsed = await timed(prepare(size));
    expect({ size, elapsed }).toEqual({ size, elapsed: expect.toSatisfy((ms: number) => ms < BOUND_MS) });
  }
}

describe("receiveInboundMail reads recipient headers in linear time, before any token check", () => {
  it.each([
    ["To", "a run without @", (size: number) => "a".repeat(size)],
    ["Cc", "a run ending in @", (size: number) => `${"a".repeat(size)}@`],
    ["X-Original-To", "a run without @", (size: number) => "b".repeat(size)],
    ["Delivered-To", "a run ending in @", (size: number) => `${"c".repeat(size)}@`],
  ])("%s: %s", async (header, _shape, value) => {
    await expectLinear((size) => {
      const mail = mailWithHeader(header, value(size));
      return async () => expect(await receiveInboundMail(untouchableDb, mail)).toEqual({ outcome: "no_feedback_address" });
    });
  });

  it("a recipient field repeated on every line", async () => {
    await expectLinear((size) => {
      const mail = Buffer.from(`From: someone@example.org\r\n${"To: a\r\n".repeat(size / 7)}\r\nbody\r\n`, "latin1");
      return async () => expect(await receiveInboundMail(untouchableDb, mail)).toEqual({ outcome: "no_feedback_address" });
    });
  });
});

describe("analyzeMessage reads an adversarial report in linear time", () => {
  it.each([
    ["text part: a run without @", (size: number) => plainBounce("a".repeat(size))],
    ["text part: a line of spaces between two words", (size: number) => plainBounce(`x${" ".repeat(size)}x`)],
    ["text part: spaces after a recipient", (size: number) => plainBounce(`to: ann@example.org${" ".repeat(size)}x`)],
    ["text part: a line of dashes", (size: number) => plainBounce("-".repeat(size))],
    ["text part: lone carriage returns", (size: number) => plainBounce("\r".repeat(size))],
    ["text part: a refusal word repeated without spaces", (size: number) => plainBounce("reject".repeat(size / 6))],
    ["HTML part: unclosed tags", (size: number) => htmlBounce("<".repeat(size))],
    ["HTML part: unclosed style elements", (size: number) => htmlBounce("<style".repeat(size / 6))],
    ["report field Final-Recipient: a run without @", (size: number) => reportBounce(`Final-Recipient: rfc822; ${"a".repeat(size)}`)],
    ["report fields: one field on every line", (size: number) => reportBounce("Final-Recipient: rfc822; a\r\n".repeat(size / 27))],
    ["Content-Type: a parameter name without =", (size: number) => `Content-Type: text/plain; ${"a".repeat(size)}\r\n\r\nx\r\n`],
  ])("%s", async (_shape, message) => {
    await expectLinear((size) => {
      const raw = message(size);
      return async () => expect(await analyzeMessage(raw)).toHaveProperty("kind");
    });
  });
});

describe("analyzeMessage bounds its work on the largest message the entrance takes (10 MB)", () => {
  it.each([
    ["200,000 small text parts", `Content-Type: multipart/mixed; boundary="b"\r\n\r\n${"--b\r\nContent-Type: text/plain\r\n\r\nann@example.org 550 5.1.1\r\n".repeat(200_000)}--b--\r\n`],
    ["messages nested twenty deep", `${"Content-Type: message/rfc822\r\n\r\n".repeat(20)}${"a".repeat(MAX_INBOUND_BYTES - 700)}`],
    ["a quoted-printable body", `Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${"=41=\r\n".repeat(MAX_INBOUND_BYTES / 6)}`],
  ])("%s", async (_shape, message) => {
    const raw = Buffer.from(message.slice(0, MAX_INBOUND_BYTES), "latin1");
    const elapsed = await timed(() => analyzeMessage(raw));
    expect(elapsed).toBeLessThan(2 * BOUND_MS);
  });
});

describe("normalizeAddress trims and refuses a 1 MB field in linear time", () => {
  it.each([
    ["spaces inside", (size: number) => `a${" ".repeat(size)}a`],
    ["zero-width characters inside", (size: number) => `a${"\u200b".repeat(size)}@b.example`],
  ])("%s", async (_shape, value) => {
    await expectLinear((size) => {
      const field = value(size);
      return () => expect(normalizeAddress(field)).toHaveProperty("ok");
    });
  });

  it("still trims what it trimmed before, and refuses what is too long with the usual reason", () => {
    expect(normalizeAddress(`\u200b\u3000 <Ann@Example.org>\ufeff `)).toEqual({ ok: true, email: "ann@example.org" });
    expect(normalizeAddress(`${" ".repeat(MEGABYTE)}ann@example.org${" ".repeat(MEGABYTE)}`)).toEqual({ ok: true, email: "ann@example.org" });
    expect(normalizeAddress(`${"a".repeat(MEGABYTE)}@example.org`)).toEqual({ ok: false, reason: "addressTooLong", params: { max: 254 } });
  });
});
