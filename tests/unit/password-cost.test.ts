import bcrypt from "bcryptjs";
import { expect, it } from "vitest";
import { hashPassword, verifyPassword } from "@/lib/auth/passwords";

// Tests reuse a password's hash once made (tests/helpers/setup.ts), never a cheaper one: the cost is the product's.
it("hashes passwords at bcrypt cost 11 and checks them", async () => {
  const hash = await hashPassword("a long enough password");
  expect(bcrypt.getRounds(hash)).toBe(11);
  expect(await verifyPassword("a long enough password", hash)).toBe(true);
  expect(await verifyPassword("another password", hash)).toBe(false);
});
