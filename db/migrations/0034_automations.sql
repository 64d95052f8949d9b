CREATE TABLE "automation_enrolments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "automation_enrolments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"automation_id" uuid NOT NULL,
	"department_id" uuid NOT NULL,
	"contact_id" bigint NOT NULL,
	"trigger_key" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"step" integer DEFAULT 0 NOT NULL,
	"due_at" timestamp with time zone DEFAULT now() NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"enrolled_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "automation_step_runs" (
	"enrolment_id" bigint NOT NULL,
	"step" integer NOT NULL,
	"ran_at" timestamp with time zone NOT NULL,
	"task_id" uuid,
	"outcome" text NOT NULL,
	CONSTRAINT "automation_step_runs_enrolment_id_step_pk" PRIMARY KEY("enrolment_id","step")
);
--> statement-breakpoint
CREATE TABLE "automations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"department_id" uuid NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"trigger" jsonb NOT NULL,
	"steps" jsonb NOT NULL,
	"sender_id" uuid NOT NULL,
	"created_by" text DEFAULT '' NOT NULL,
	"dates_scanned_on" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "automation_enrolments" ADD CONSTRAINT "automation_enrolments_automation_id_automations_id_fk" FOREIGN KEY ("automation_id") REFERENCES "public"."automations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation_enrolments" ADD CONSTRAINT "automation_enrolments_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation_step_runs" ADD CONSTRAINT "automation_step_runs_enrolment_id_automation_enrolments_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."automation_enrolments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automation_step_runs" ADD CONSTRAINT "automation_step_runs_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automations" ADD CONSTRAINT "automations_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "automations" ADD CONSTRAINT "automations_sender_id_senders_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."senders"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "automation_enrolments_event_unique" ON "automation_enrolments" USING btree ("automation_id","contact_id","trigger_key");--> statement-breakpoint
CREATE INDEX "automation_enrolments_due_idx" ON "automation_enrolments" USING btree ("due_at") WHERE "automation_enrolments"."status" = 'active';--> statement-breakpoint
CREATE INDEX "automation_enrolments_automation_idx" ON "automation_enrolments" USING btree ("automation_id","status");--> statement-breakpoint
CREATE INDEX "automations_department_idx" ON "automations" USING btree ("department_id","created_at");