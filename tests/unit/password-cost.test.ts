import bcrypt from "bcryptjs";
import { expect, it } from "vitest";
import { hashPassword, verifyPassword } from "@/lib/auth/passwords";

// Some test files hash at a lower cost to save time (entry-points); the product never does.
it("hashes passwords at bcrypt cost 11 and checks them", async () => {
  const hash = await hashPassword("a long enough password");
  expect(bcrypt.getRounds(hash)).toBe(11);
  expect(await verifyPassword("a long enough password", hash)).toBe(true);
  expect(await verifyPassword("another password", hash)).toBe(false);
});
