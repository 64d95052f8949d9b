CREATE TABLE "smtp_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"department_id" uuid NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"messages_per_minute" integer,
	"max_recipients" integer,
	"allowed_ips" jsonb,
	"tracking" boolean DEFAULT true NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"last_ip" text
);
--> statement-breakpoint
CREATE TABLE "smtp_submissions" (
	"task_id" uuid PRIMARY KEY NOT NULL,
	"department_id" uuid NOT NULL,
	"account_id" uuid,
	"envelope_from" text NOT NULL,
	"raw" "bytea" NOT NULL,
	"size" integer NOT NULL,
	"client_ip" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tasks" ALTER COLUMN "template_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "kind" text DEFAULT 'campaign' NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "smtp_account_id" uuid;--> statement-breakpoint
ALTER TABLE "smtp_accounts" ADD CONSTRAINT "smtp_accounts_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "smtp_submissions" ADD CONSTRAINT "smtp_submissions_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "smtp_submissions" ADD CONSTRAINT "smtp_submissions_account_id_smtp_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."smtp_accounts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "smtp_accounts_username_unique" ON "smtp_accounts" USING btree ("username");--> statement-breakpoint
CREATE INDEX "smtp_accounts_department_idx" ON "smtp_accounts" USING btree ("department_id");--> statement-breakpoint
CREATE INDEX "smtp_submissions_account_idx" ON "smtp_submissions" USING btree ("account_id","created_at");