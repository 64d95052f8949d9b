import bcrypt from "bcryptjs";
import { invalidInput } from "@/lib/errors";

const COST = 11;
export const MIN_PASSWORD_LENGTH = 8;
// Compared against when the account does not exist, so both paths cost the same time.
const DECOY_HASH = bcrypt.hashSync("fanout-decoy-password", COST);

export function hashPassword(password: string): Promise<string> {
  assertPasswordAcceptable(password);
  return bcrypt.hash(password, COST);
}

export function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  return bcrypt.compare(password, hash ?? DECOY_HASH).then((matches) => matches && hash !== null);
}

export function assertPasswordAcceptable(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalidInput(`The password must have at least ${MIN_PASSWORD_LENGTH} characters`, { field: "password" });
  }
  if (password.length > 72) {
    throw invalidInput("The password must have at most 72 characters", { field: "password" });
  }
}
