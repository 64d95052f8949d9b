import { bigint, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Where a runner of the send engine lives: the web server, `npm run worker`, `npm run gateway`, or another process. */
export const ENGINE_WORKER_KINDS = ["web", "worker", "gateway", "engine"] as const;
export type EngineWorkerKind = (typeof ENGINE_WORKER_KINDS)[number];

/**
 * The send engine's runners alive on this database (lib/sending/workers.ts): each one's row is
 * written when it starts and its heartbeat every second; a claim names its runner in its
 * claim token, so the claims of a runner whose heartbeat stopped are taken over within seconds
 * rather than when their lease runs out. `sent` counts the messages its records made `sent`.
 */
export const engineWorkers = pgTable("engine_workers", {
  id: uuid("id").primaryKey(),
  kind: text("kind", { enum: ENGINE_WORKER_KINDS }).notNull(),
  host: text("host").notNull(),
  pid: integer("pid").notNull(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
  sent: bigint("sent", { mode: "number" }).notNull().default(0),
});

export type EngineWorker = typeof engineWorkers.$inferSelect;
