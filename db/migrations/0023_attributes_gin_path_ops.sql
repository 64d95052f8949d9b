DROP INDEX "contacts_attributes_gin";--> statement-breakpoint
CREATE INDEX "contacts_attributes_gin" ON "contacts" USING gin ("attributes" jsonb_path_ops);