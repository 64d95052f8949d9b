import { describe, expect, it } from "vitest";
import { fromRule, newGroup, newLeaf, toRule } from "@/app/(console)/segments/rule-draft";
import type { Rule } from "@/lib/audiences/segments/rule";

/** The console builder edits drafts of text; a saved rule must come back from them as it was saved. */
describe("segment builder drafts", () => {
  const POOL = "6f1c1f4e-8a8e-4d7e-9d5c-0a1b2c3d4e5f";
  const TASK = "0b7e2f1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
  const rule: Rule = {
    match: "any",
    conditions: [
      { field: "attribute", key: "city", op: "in", value: ["上海", "北京"] },
      { field: "attribute", key: "age", op: "gte", value: 30 },
      { field: "attribute", key: "joined", op: "before", value: "2026-01-01" },
      { field: "attribute", key: "plan", op: "present" },
      { field: "email", op: "contains", value: "@example.com" },
      { field: "engagement", op: "did_not", event: "clicked", days: 90, url: "https://shop.example/a" },
      {
        match: "all",
        conditions: [
          { field: "pool", op: "in", value: POOL },
          { field: "engagement", op: "did", event: "opened", taskId: TASK },
          { field: "status", op: "is_not", value: "unsubscribed" },
        ],
      },
    ],
  };

  it("turns a saved rule into drafts and back unchanged", () => {
    expect(toRule(fromRule(rule))).toEqual(rule);
  });

  it("makes numbers of number fields, lists of comma-separated values, and leaves a half-typed number for the server to refuse", () => {
    const leaf = { ...newLeaf(), name: "age", op: "lt", value: "" };
    const list = { ...newLeaf(), name: "city", op: "in", value: " 上海, ,北京 " };
    const group = newGroup();
    expect(toRule({ match: "all", conditions: [leaf, list, group] })).toEqual({
      match: "all",
      conditions: [
        { field: "attribute", key: "age", op: "lt", value: Number.NaN },
        { field: "attribute", key: "city", op: "in", value: ["上海", "北京"] },
        { match: "any", conditions: [{ field: "attribute", key: "", op: "equals", value: "" }] },
      ],
    });
  });
});
