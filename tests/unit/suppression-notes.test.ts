import { describe, expect, it } from "vitest";
import { SYSTEM_SUPPRESSION_NOTES, systemNoteKey } from "@/lib/i18n/system-notes";
import { en } from "@/lib/i18n/en";
import { zh } from "@/lib/i18n/zh";
import { latinLeftIn } from "../helpers/latin";

describe("the suppression notes Fanout writes itself", () => {
  it("are found again from their stored English and said in both languages", () => {
    for (const [key, stored] of Object.entries(SYSTEM_SUPPRESSION_NOTES)) {
      expect(systemNoteKey(stored)).toBe(key);
      expect(en.suppressions.systemNotes[key as keyof typeof SYSTEM_SUPPRESSION_NOTES]).toBe(stored);
      expect(Object.keys(zh.suppressions.systemNotes).sort()).toEqual(Object.keys(SYSTEM_SUPPRESSION_NOTES).sort());
      const chinese = zh.suppressions.systemNotes[key as keyof typeof SYSTEM_SUPPRESSION_NOTES];
      expect([key, latinLeftIn(chinese)]).toEqual([key, ""]);
    }
  });

  it("leave a person's own note as typed", () => {
    expect(systemNoteKey("called us, asked to stop")).toBeNull();
    expect(systemNoteKey("bounced when sent")).toBeNull();
  });
});
