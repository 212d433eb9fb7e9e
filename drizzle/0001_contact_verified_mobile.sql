ALTER TABLE "contacts" ADD COLUMN "verified_mobile" text;--> statement-breakpoint
CREATE INDEX "beneficiaries_mobile_idx" ON "beneficiaries" USING btree ("mobile");--> statement-breakpoint
CREATE INDEX "contacts_verified_mobile_idx" ON "contacts" USING btree ("verified_mobile");