import type { Executor } from "@/db/client";
import type { Actor } from "./actor";

/** What every domain function receives: where to read and write, and who is asking. */
export type Ctx = { db: Executor; actor: Actor };
