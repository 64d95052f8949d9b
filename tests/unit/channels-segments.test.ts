/**
 * SMS segment counting (what quota is charged by and what the editor shows) and opt-out by reply:
 * GSM-7 against UCS-2, the concatenation limits, extension characters counting two septets,
 * emoji counting two UCS-2 units, and the opt-out words recognised only as a whole reply.
 */
import { describe, expect, it } from "vitest";
import { appendOptOutSuffix, isOptOutReply, smsSegments } from "@/lib/channels/sms-segments";

const chinese = (length: number) => "您好欢迎光临本店铺".repeat(20).slice(0, length);

describe("smsSegments", () => {
  it.each([
    ["empty", "", "GSM-7", 0, 0, 0],
    ["160 GSM-7 characters", "a".repeat(160), "GSM-7", 160, 160, 1],
    ["161 GSM-7 characters", "a".repeat(161), "GSM-7", 161, 161, 2],
    ["306 GSM-7 characters (two full parts)", "a".repeat(306), "GSM-7", 306, 306, 2],
    ["307 GSM-7 characters", "a".repeat(307), "GSM-7", 307, 307, 3],
    ["GSM-7 accents from the basic table", "Ça va? ÄÖÜ ñ à è é ù ì ò ß Δ ¥ £", "GSM-7", 32, 32, 1],
    ["80 euro signs (extension table)", "€".repeat(80), "GSM-7", 80, 160, 1],
    ["81 euro signs", "€".repeat(81), "GSM-7", 81, 162, 2],
    ["brackets, braces, caret, tilde, pipe, backslash", "[]{}^~|\\", "GSM-7", 8, 16, 1],
    ["70 Chinese characters", chinese(70), "UCS-2", 70, 70, 1],
    ["71 Chinese characters", chinese(71), "UCS-2", 71, 71, 2],
    ["134 Chinese characters (two full parts)", chinese(134), "UCS-2", 134, 134, 2],
    ["135 Chinese characters", chinese(135), "UCS-2", 135, 135, 3],
    ["one emoji makes a Latin text UCS-2", `${"a".repeat(60)}😀`, "UCS-2", 61, 62, 1],
    ["35 emoji are 70 units", "😀".repeat(35), "UCS-2", 35, 70, 1],
    ["36 emoji are 72 units", "😀".repeat(36), "UCS-2", 36, 72, 2],
    ["a lower-case c cedilla is not GSM-7", "ç", "UCS-2", 1, 1, 1],
  ])("%s", (_name, text, encoding, characters, units, segments) => {
    expect(smsSegments(text)).toMatchObject({ encoding, characters, units, segments });
  });

  it("says the per-part size: 160/70 for one part, 153/67 once concatenated", () => {
    expect(smsSegments("a".repeat(10)).perSegment).toBe(160);
    expect(smsSegments("a".repeat(200)).perSegment).toBe(153);
    expect(smsSegments(chinese(10)).perSegment).toBe(70);
    expect(smsSegments(chinese(100)).perSegment).toBe(67);
  });

  it("does not split an escape pair or a surrogate pair across parts", () => {
    // 152 septets then a euro (2): the euro does not fit in part one's 153, so it opens part two.
    expect(smsSegments(`${"a".repeat(152)}€${"a".repeat(152)}`).segments).toBe(3);
    expect(smsSegments(`${"a".repeat(151)}€${"a".repeat(153)}`).segments).toBe(2);
    // 66 units then an emoji (2): part one cannot hold it.
    expect(smsSegments(`${chinese(66)}😀${chinese(66)}`)).toMatchObject({ units: 134, segments: 3 });
    expect(smsSegments(`${chinese(65)}😀${chinese(67)}`)).toMatchObject({ units: 134, segments: 2 });
  });
});

describe("opt-out replies", () => {
  it.each(["TD", "td", " T ", "R", "n", "退订", "STOP", "Stop", "unsubscribe", "取消", "退出", "ＴＤ", "ｓｔｏｐ", "\t退订\n"])("%j is an opt-out", (reply) => {
    expect(isOptOutReply(reply)).toBe(true);
  });

  it.each(["", "OK", "TDD", "STOPPED", "please don't stop", "我要退订吗", "退订了吗？", "T D", "Reply STOP to opt out", "STOP".repeat(20)])("%j is not", (reply) => {
    expect(isOptOutReply(reply)).toBe(false);
  });

  it("appends the suffix in the text's language, once", () => {
    expect(appendOptOutSuffix("新品上市，全场八折。", "zh")).toBe("新品上市，全场八折。拒收请回复R");
    expect(appendOptOutSuffix("New arrivals, 20% off.", "en")).toBe("New arrivals, 20% off. Reply STOP to opt out");
    const once = appendOptOutSuffix("新品上市", "zh");
    expect(appendOptOutSuffix(once, "zh")).toBe(once);
    expect(appendOptOutSuffix(`${appendOptOutSuffix("Sale", "en")}  `, "en")).toBe("Sale Reply STOP to opt out  ");
  });

  it("charges the suffix: a 65-character Chinese text with it is two parts", () => {
    expect(smsSegments(chinese(64)).segments).toBe(1);
    expect(smsSegments(appendOptOutSuffix(chinese(65), "zh"))).toMatchObject({ characters: 71, segments: 2 });
  });
});
