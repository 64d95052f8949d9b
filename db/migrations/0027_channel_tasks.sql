ALTER TABLE "tasks" ALTER COLUMN "sender_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "templates" ADD COLUMN "channel" text DEFAULT 'email' NOT NULL;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "address" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "segments" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "channel" text DEFAULT 'email' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_email_sender_check" CHECK ("tasks"."channel" <> 'email' or "tasks"."sender_id" is not null);