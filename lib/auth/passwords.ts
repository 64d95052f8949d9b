import bcrypt from "bcryptjs";
import { AppError, invalidInput } from "@/lib/errors";

const COST = 11;
export const MIN_PASSWORD_LENGTH = 8;
// Compared against when the account does not exist, so both paths cost the same time.
const DECOY_HASH = bcrypt.hashSync("fanout-decoy-password", COST);

/**
 * bcryptjs runs on the event loop (~170 ms of CPU per hash at cost 11), so a burst of
 * sign-ins would starve every other request. At most this many hashes run at once per
 * process; a few more sign-ins wait their turn; past that the caller is told to try again
 * shortly. Setting a password (an admin's action, never anonymous) always waits its turn.
 */
export const PASSWORD_WORK_CONCURRENCY = 2;
export const PASSWORD_WORK_QUEUE = 16;

/** Every slot and queue place is taken: nothing was checked, try again in a moment. */
export class PasswordWorkBusy extends AppError {
  constructor() {
    super("rate_limited", "passwordsBusy");
  }
}

let running = 0;
const waiting: Array<() => void> = [];

async function withPasswordWork<T>(work: () => Promise<T>, queueLimit: number): Promise<T> {
  if (running >= PASSWORD_WORK_CONCURRENCY) {
    if (waiting.length >= queueLimit) throw new PasswordWorkBusy();
    // The slot is handed over by the finishing holder, so `running` never overshoots.
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running++;
  }
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

export function hashPassword(password: string): Promise<string> {
  assertPasswordAcceptable(password);
  return withPasswordWork(() => bcrypt.hash(password, COST), Infinity);
}

export function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  return withPasswordWork(() => bcrypt.compare(password, hash ?? DECOY_HASH), PASSWORD_WORK_QUEUE).then((matches) => matches && hash !== null);
}

export function assertPasswordAcceptable(password: string) {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalidInput("passwordTooShort", { field: "password", params: { min: MIN_PASSWORD_LENGTH } });
  }
  if (password.length > 72) {
    throw invalidInput("passwordTooLong", { field: "password" });
  }
}
