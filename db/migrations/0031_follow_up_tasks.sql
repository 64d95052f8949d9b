ALTER TABLE "tasks" ADD COLUMN "follow_up_of" uuid;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "subject" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_follow_up_of_tasks_id_fk" FOREIGN KEY ("follow_up_of") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tasks_follow_up_of_idx" ON "tasks" USING btree ("follow_up_of") WHERE "tasks"."follow_up_of" is not null;