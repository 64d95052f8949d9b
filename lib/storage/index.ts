import "server-only";
import { readEnv } from "@/lib/config/env";
import { localStore } from "./local";
import { s3Store } from "./s3";
import type { ObjectStore } from "./store";

export { ObjectMissingError, readAll, type ObjectStore } from "./store";

let current: { key: string; store: ObjectStore } | undefined;

/** The store the environment names (FanoutEnv.storage), made once per setting. */
export function objectStore(): ObjectStore {
  const env = readEnv();
  const key = JSON.stringify(env.storage.kind === "s3" ? env.storage : { kind: "local", dataDir: env.dataDir });
  if (current?.key === key) return current.store;
  const store = env.storage.kind === "s3" ? s3Store(env.storage) : localStore(env.dataDir);
  current = { key, store };
  return store;
}
