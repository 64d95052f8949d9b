ALTER TABLE "contacts" ADD COLUMN "latest_open_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "contacts" ADD COLUMN "latest_click_at" timestamp with time zone;--> statement-breakpoint
UPDATE "contacts" c SET "latest_open_at" = e.opened, "latest_click_at" = e.clicked
FROM (
  SELECT "contact_id", max("first_open_at") AS opened, max("first_click_at") AS clicked
  FROM "deliveries" WHERE "contact_id" IS NOT NULL AND "first_open_at" IS NOT NULL
  GROUP BY "contact_id"
) e
WHERE e."contact_id" = c."id";--> statement-breakpoint
DROP INDEX "deliveries_contact_opened_idx";--> statement-breakpoint
DROP INDEX "deliveries_contact_clicked_idx";
