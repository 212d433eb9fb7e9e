ALTER TABLE "contacts" ADD COLUMN "inbound_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Carry the counters over, so a message arriving after the upgrade numbers after those already waiting.
UPDATE "contacts" SET "inbound_seq" = coalesce((SELECT max(c."last_inbound_seq") FROM "conversations" c WHERE c."contact_id" = "contacts"."id"), 0);--> statement-breakpoint
ALTER TABLE "conversations" DROP COLUMN "last_inbound_seq";
