CREATE TABLE "messages" (
	"task_id" uuid PRIMARY KEY NOT NULL,
	"department_id" uuid NOT NULL,
	"subject" text,
	"html" text,
	"text" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"recipients" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"transactional" boolean DEFAULT false NOT NULL,
	"idempotency_scope" text,
	"idempotency_key" text,
	"request_hash" text NOT NULL,
	"answer" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "messages_idempotency_unique" ON "messages" USING btree ("idempotency_scope","idempotency_key") WHERE "messages"."idempotency_key" is not null;--> statement-breakpoint
CREATE INDEX "messages_department_created_idx" ON "messages" USING btree ("department_id","created_at");