CREATE TABLE "auxiliary_mail" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"department_id" uuid NOT NULL,
	"operator_id" text DEFAULT '' NOT NULL,
	"email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sender_domains" ADD COLUMN "approval" text DEFAULT 'approved' NOT NULL;--> statement-breakpoint
ALTER TABLE "auxiliary_mail" ADD CONSTRAINT "auxiliary_mail_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "auxiliary_mail_department_idx" ON "auxiliary_mail" USING btree ("department_id","kind","created_at");--> statement-breakpoint
CREATE INDEX "auxiliary_mail_operator_idx" ON "auxiliary_mail" USING btree ("operator_id","kind","created_at");--> statement-breakpoint
CREATE INDEX "auxiliary_mail_email_idx" ON "auxiliary_mail" USING btree ("department_id","email","created_at");--> statement-breakpoint
-- New installations require verified sender domains (the default in lib/accounts/settings.ts); one that already
-- has users, departments or domains keeps sending as it did, by storing the old default unless it chose already.
INSERT INTO "settings" ("key", "value")
SELECT 'requireVerifiedDomains', 'false'::jsonb
WHERE EXISTS (SELECT 1 FROM "users") OR EXISTS (SELECT 1 FROM "departments") OR EXISTS (SELECT 1 FROM "sender_domains")
ON CONFLICT ("key") DO NOTHING;
