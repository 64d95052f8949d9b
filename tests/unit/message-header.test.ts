import { describe, expect, it } from "vitest";
import { readMessageHeader } from "@/lib/gateway/message-header";
import { SmtpRefusal } from "@/lib/gateway/replies";

/**
 * What the SMTP entrance reads of a submitted message's header (lib/gateway/message-header.ts):
 * the From and the subject that name the task, as group-send clients write them — encoded words in
 * any charset, raw UTF-8 or GB18030 bytes, folded lines, groups — and the 554 for what is not a header.
 */

const header = (...parts: (string | Buffer)[]) => readMessageHeader(Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part))));

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SmtpRefusal);
  return `${(error as SmtpRefusal).responseCode} ${(error as SmtpRefusal).message}`;
}

describe("readMessageHeader", () => {
  it("decodes encoded words in the display name and the subject, in UTF-8, GB2312 and ISO-8859-1, and unfolds folded lines", async () => {
    expect(await header("From: =?UTF-8?B?5biC5Zy66YOoIOW8oOS4iQ==?= <zhang@example.com>\r\nSubject: =?GB2312?B?xOO6ww==?= =?ISO-8859-1?Q?caf=E9?=\r\n\tand more\r\n\r\nbody")).toEqual({
      from: "zhang@example.com",
      fromName: "市场部 张三",
      subject: "你好café and more",
    });
  });

  it("reads raw 8-bit header bytes as UTF-8 when they are, and as GB18030 otherwise", async () => {
    expect((await header("From: a@example.com\r\nSubject: 月度简报\r\n\r\n")).subject).toBe("月度简报");
    const gbk = Buffer.from([0xd4, 0xc2, 0xb6, 0xc8, 0xbc, 0xf2, 0xb1, 0xa8]); // 月度简报 in GB18030
    expect((await header("From: ", Buffer.from([0xd5, 0xc5]), " <a@example.com>\r\nSubject: ", gbk, "\r\n\r\n")).subject).toBe("月度简报");
  });

  it("takes quoted names with commas, a group of one address, a message without a body, and names an empty subject", async () => {
    expect(await header('From: "Doe, John" <john@example.com>\r\n\r\n')).toEqual({ from: "john@example.com", fromName: "Doe, John", subject: "(no subject)" });
    expect((await header("From: Team: <team@example.com>;\r\nSubject:   \r\n")).from).toBe("team@example.com");
  });

  it("refuses with 554 5.6.0 a header block that is not one, no From, two From fields and a From of two addresses", async () => {
    expect(await refusal(header("From: a@example.com\r\nthis is body text\r\n\r\n"))).toBe(
      "554 5.6.0 Malformed message: line 2 of the header is neither a header field nor its continuation (a blank line must separate the header from the body)",
    );
    expect(await refusal(header(" folded first\r\nFrom: a@example.com\r\n\r\n"))).toMatch(/^554 5\.6\.0 Malformed message: line 1 /);
    expect(await refusal(header("Subject: hi\r\n\r\n"))).toBe("554 5.6.0 Malformed message: it has no From header");
    expect(await refusal(header("From: a@example.com\r\nFROM : b@example.com\r\n\r\n"))).toBe("554 5.6.0 Malformed message: it has more than one From header");
    expect(await refusal(header("From: a@example.com, b@example.com\r\n\r\n"))).toBe("554 5.6.0 Malformed message: the From header must name exactly one address");
    expect(await refusal(header("From: Nobody\r\n\r\n"))).toBe("554 5.6.0 Malformed message: the From header must name exactly one address");
  });

  it("keeps a task name to one line of at most 200 characters", async () => {
    const { subject, fromName } = await header(`From: "${"n".repeat(300)}" <a@example.com>\r\nSubject: ${"s".repeat(150)}\r\n ${"t".repeat(150)}\r\n\r\n`);
    expect(subject).toHaveLength(200);
    expect(fromName).toHaveLength(200);
    expect(subject).not.toMatch(/[\r\n\t]/);
  });
});
