/**
 * `npm start` sizes the server's V8 heap (decision 0083): with an old space of 2 GiB or more (what V8
 * takes by itself on a machine with plenty of memory) V8 lets its heap grow to four times what a
 * collection left before the next one, which put a 100 MiB import's peak RSS anywhere from 239 to
 * 398 MiB. Below 2 GiB the factor is at most 2 (1.6 at 1 GiB); the upload benchmark runs with the
 * same flags.
 */
import { describe, expect, it } from "vitest";
import { serverNodeFlags } from "../../bench/server-flags";

describe("the server's heap", () => {
  it("is capped below 2 GiB of old space by the start script, and the upload benchmark reads the same flags", () => {
    const flag = serverNodeFlags().find((word) => word.startsWith("--max-old-space-size="));
    expect(flag, "package.json's start script names --max-old-space-size").toBeDefined();
    const mib = Number(flag!.split("=")[1]);
    expect(mib).toBeGreaterThanOrEqual(512);
    expect(mib).toBeLessThan(2048);
  });
});
