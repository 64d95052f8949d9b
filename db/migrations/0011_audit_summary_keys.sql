ALTER TABLE "audit_log" ADD COLUMN "summary_key" text;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "summary_params" jsonb;