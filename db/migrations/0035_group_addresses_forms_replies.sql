CREATE TABLE "group_posts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"group_id" uuid NOT NULL,
	"department_id" uuid NOT NULL,
	"thread_id" uuid NOT NULL,
	"message_id" text NOT NULL,
	"in_reply_to" text,
	"subject" text DEFAULT '' NOT NULL,
	"from_address" text NOT NULL,
	"from_name" text DEFAULT '' NOT NULL,
	"body_text" text DEFAULT '' NOT NULL,
	"from_rewritten" boolean DEFAULT false NOT NULL,
	"attachments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"raw" "bytea" NOT NULL,
	"size" integer NOT NULL,
	"status" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"task_id" uuid,
	"client_ip" text DEFAULT '' NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_at" timestamp with time zone,
	"decided_by" text
);
--> statement-breakpoint
CREATE TABLE "groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"department_id" uuid NOT NULL,
	"pool_id" uuid NOT NULL,
	"address" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"sender_id" uuid NOT NULL,
	"posting" text DEFAULT 'members' NOT NULL,
	"strangers" text DEFAULT 'hold' NOT NULL,
	"reply_to" text DEFAULT 'group' NOT NULL,
	"moderators" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"allowed_posters" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signup_forms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"department_id" uuid NOT NULL,
	"pool_id" uuid NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"intro" text DEFAULT '' NOT NULL,
	"ask_name" boolean DEFAULT true NOT NULL,
	"fields" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"consent_text" text DEFAULT '' NOT NULL,
	"logo_url" text DEFAULT '' NOT NULL,
	"colour" text DEFAULT '#2563eb' NOT NULL,
	"language" text DEFAULT 'zh' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "reply_tracking" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "reply_forward_to" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "replied" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "auto_replied" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "group_posts" ADD CONSTRAINT "group_posts_group_id_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_posts" ADD CONSTRAINT "group_posts_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "groups" ADD CONSTRAINT "groups_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "groups" ADD CONSTRAINT "groups_pool_id_pools_id_fk" FOREIGN KEY ("pool_id") REFERENCES "public"."pools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "groups" ADD CONSTRAINT "groups_sender_id_senders_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."senders"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signup_forms" ADD CONSTRAINT "signup_forms_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signup_forms" ADD CONSTRAINT "signup_forms_pool_id_pools_id_fk" FOREIGN KEY ("pool_id") REFERENCES "public"."pools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "group_posts_message_unique" ON "group_posts" USING btree ("group_id","message_id");--> statement-breakpoint
CREATE INDEX "group_posts_group_idx" ON "group_posts" USING btree ("group_id","received_at");--> statement-breakpoint
CREATE INDEX "group_posts_thread_idx" ON "group_posts" USING btree ("thread_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "group_posts_task_unique" ON "group_posts" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "group_posts_search_trgm" ON "group_posts" USING gin ((lower("subject" || ' ' || "body_text")) gin_trgm_ops);--> statement-breakpoint
CREATE UNIQUE INDEX "groups_address_unique" ON "groups" USING btree ("address");--> statement-breakpoint
CREATE UNIQUE INDEX "groups_pool_unique" ON "groups" USING btree ("pool_id");--> statement-breakpoint
CREATE INDEX "groups_department_idx" ON "groups" USING btree ("department_id");--> statement-breakpoint
CREATE UNIQUE INDEX "signup_forms_pool_unique" ON "signup_forms" USING btree ("pool_id");--> statement-breakpoint
CREATE INDEX "signup_forms_department_idx" ON "signup_forms" USING btree ("department_id");