CREATE TABLE "delivery_daily_failures" (
	"day" date NOT NULL,
	"department_id" uuid NOT NULL,
	"recipient_domain" text NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"user_unknown" integer DEFAULT 0 NOT NULL,
	"mailbox_full" integer DEFAULT 0 NOT NULL,
	"rejected" integer DEFAULT 0 NOT NULL,
	"other" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "delivery_daily_failures_day_department_id_recipient_domain_pk" PRIMARY KEY("day","department_id","recipient_domain")
);
--> statement-breakpoint
DROP INDEX "delivery_daily_failures_idx";--> statement-breakpoint
CREATE INDEX "delivery_daily_failures_top_idx" ON "delivery_daily_failures" USING btree ("day","department_id","failed" DESC NULLS FIRST,"recipient_domain");--> statement-breakpoint
CREATE INDEX "deliveries_task_sent_idx" ON "deliveries" USING btree ("task_id","sent_at","id") WHERE "deliveries"."sent_at" is not null;--> statement-breakpoint
INSERT INTO "delivery_daily_failures" ("day", "department_id", "recipient_domain", "failed", "user_unknown", "mailbox_full", "rejected", "other")
SELECT "day", "department_id", "recipient_domain", sum("failed"), sum("user_unknown"), sum("mailbox_full"), sum("rejected"), sum("other")
FROM "delivery_daily" WHERE "failed" <> 0 OR "user_unknown" <> 0 OR "mailbox_full" <> 0 OR "rejected" <> 0 OR "other" <> 0 GROUP BY 1, 2, 3;
--> statement-breakpoint
ANALYZE "delivery_daily_failures";
