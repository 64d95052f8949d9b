ALTER TABLE "contacts" ADD COLUMN "hygiene" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "hygiene_suggestion" text;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "hygiene_options" jsonb DEFAULT '{"skip":[],"checkMx":false}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "hygiene" jsonb;