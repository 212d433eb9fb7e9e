CREATE TABLE "consents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"beneficiary_id" bigint NOT NULL,
	"contact_id" bigint,
	"purpose" text NOT NULL,
	"answer" text NOT NULL,
	"template" text NOT NULL,
	"text" text NOT NULL,
	"language" text NOT NULL,
	"channel" text,
	"message_id" bigint,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consents_purpose_ck" CHECK ("consents"."purpose" in ('application-processing', 'committee-review', 'surveys')),
	CONSTRAINT "consents_answer_ck" CHECK ("consents"."answer" in ('granted', 'refused', 'withdrawn'))
);
--> statement-breakpoint
CREATE TABLE "data_requests" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"beneficiary_id" bigint NOT NULL,
	"contact_id" bigint,
	"conversation_id" bigint,
	"kind" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"channel" text,
	"outcome" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"completed_by_staff_id" bigint,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "data_requests_kind_ck" CHECK ("data_requests"."kind" in ('copy', 'correction', 'deletion')),
	CONSTRAINT "data_requests_status_ck" CHECK ("data_requests"."status" in ('open', 'done', 'rejected'))
);
--> statement-breakpoint
ALTER TABLE "beneficiaries" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_beneficiary_id_beneficiaries_id_fk" FOREIGN KEY ("beneficiary_id") REFERENCES "public"."beneficiaries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_requests" ADD CONSTRAINT "data_requests_beneficiary_id_beneficiaries_id_fk" FOREIGN KEY ("beneficiary_id") REFERENCES "public"."beneficiaries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_requests" ADD CONSTRAINT "data_requests_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_requests" ADD CONSTRAINT "data_requests_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "consents_beneficiary_idx" ON "consents" USING btree ("beneficiary_id","purpose","at");--> statement-breakpoint
CREATE INDEX "data_requests_open_idx" ON "data_requests" USING btree ("created_at") WHERE "data_requests"."status" = 'open';--> statement-breakpoint
CREATE INDEX "data_requests_beneficiary_idx" ON "data_requests" USING btree ("beneficiary_id");