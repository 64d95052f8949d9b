ALTER TABLE "deliveries" ADD COLUMN "variant" smallint;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "ab_test" jsonb;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "ab_phase" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "ab_test_sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "ab_decide_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "ab_decision" jsonb;--> statement-breakpoint
CREATE INDEX "tasks_ab_waiting_idx" ON "tasks" USING btree ("ab_phase") WHERE "tasks"."ab_phase" = 'waiting';