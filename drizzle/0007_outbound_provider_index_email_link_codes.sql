CREATE TABLE "email_link_codes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"beneficiary_id" bigint NOT NULL,
	"contact_id" bigint NOT NULL,
	"address" text NOT NULL,
	"code_hash" text NOT NULL,
	"wrong_attempts" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "email_link_codes" ADD CONSTRAINT "email_link_codes_beneficiary_id_beneficiaries_id_fk" FOREIGN KEY ("beneficiary_id") REFERENCES "public"."beneficiaries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_link_codes" ADD CONSTRAINT "email_link_codes_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_link_codes_contact_idx" ON "email_link_codes" USING btree ("contact_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_outbound_provider_idx" ON "messages" USING btree ("channel","provider_message_id") WHERE "messages"."direction" = 'out';