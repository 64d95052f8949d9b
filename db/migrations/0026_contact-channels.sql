CREATE TABLE "channel_suppressions" (
	"department_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"address" text NOT NULL,
	"reason" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_suppressions_department_id_channel_address_pk" PRIMARY KEY("department_id","channel","address")
);
--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "phone" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "wecom_user_id" text;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "channel_consent" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "bad_phones" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "channel_suppressions" ADD CONSTRAINT "channel_suppressions_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "channel_suppressions_created_idx" ON "channel_suppressions" USING btree ("department_id","channel","created_at");--> statement-breakpoint
CREATE INDEX "contacts_department_phone_idx" ON "contacts" USING btree ("department_id","phone") WHERE "contacts"."phone" is not null;