CREATE TABLE "delivery_daily_sender" (
	"day" date NOT NULL,
	"department_id" uuid NOT NULL,
	"client_ip" text NOT NULL,
	"sender_domain" text NOT NULL,
	"sent" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"user_unknown" integer DEFAULT 0 NOT NULL,
	"mailbox_full" integer DEFAULT 0 NOT NULL,
	"rejected" integer DEFAULT 0 NOT NULL,
	"other" integer DEFAULT 0 NOT NULL,
	"delivered" integer DEFAULT 0 NOT NULL,
	"bounced" integer DEFAULT 0 NOT NULL,
	"complained" integer DEFAULT 0 NOT NULL,
	"unsubscribed" integer DEFAULT 0 NOT NULL,
	"opened" integer DEFAULT 0 NOT NULL,
	"clicked" integer DEFAULT 0 NOT NULL,
	"machine_opened" integer DEFAULT 0 NOT NULL,
	"machine_clicked" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "delivery_daily_sender_day_department_id_client_ip_sender_domain_pk" PRIMARY KEY("day","department_id","client_ip","sender_domain")
);
--> statement-breakpoint
CREATE INDEX "delivery_daily_sender_department_day_idx" ON "delivery_daily_sender" USING btree ("department_id","day");--> statement-breakpoint
CREATE INDEX "delivery_daily_department_day_idx" ON "delivery_daily" USING btree ("department_id","day");--> statement-breakpoint
CREATE INDEX "delivery_daily_failures_idx" ON "delivery_daily" USING btree ("day","department_id") WHERE "delivery_daily"."failed" > 0;--> statement-breakpoint
INSERT INTO "delivery_daily_sender" ("day", "department_id", "client_ip", "sender_domain", "sent", "failed", "user_unknown", "mailbox_full", "rejected", "other", "delivered", "bounced", "complained", "unsubscribed", "opened", "clicked", "machine_opened", "machine_clicked")
SELECT "day", "department_id", "client_ip", "sender_domain", sum("sent"), sum("failed"), sum("user_unknown"), sum("mailbox_full"), sum("rejected"), sum("other"), sum("delivered"), sum("bounced"), sum("complained"), sum("unsubscribed"), sum("opened"), sum("clicked"), sum("machine_opened"), sum("machine_clicked")
FROM "delivery_daily" GROUP BY 1, 2, 3, 4;
