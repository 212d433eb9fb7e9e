CREATE TABLE "follow_up_tasks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"survey_id" bigint NOT NULL,
	"beneficiary_id" bigint,
	"conversation_id" bigint,
	"staff_id" bigint,
	"score" integer NOT NULL,
	"comment" text,
	"status" text DEFAULT 'open' NOT NULL,
	"closed_by_staff_id" bigint,
	"closed_at" timestamp with time zone,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "follow_up_tasks_status_ck" CHECK ("follow_up_tasks"."status" in ('open', 'done'))
);
--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "beneficiary_id" bigint;--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "request_id" bigint;--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "prompt_conversation_id" bigint;--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "language" text;--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "trigger" text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "skip_reason" text;--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "reminded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "surveys" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "follow_up_tasks" ADD CONSTRAINT "follow_up_tasks_survey_id_surveys_id_fk" FOREIGN KEY ("survey_id") REFERENCES "public"."surveys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "follow_up_tasks" ADD CONSTRAINT "follow_up_tasks_beneficiary_id_beneficiaries_id_fk" FOREIGN KEY ("beneficiary_id") REFERENCES "public"."beneficiaries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "follow_up_tasks" ADD CONSTRAINT "follow_up_tasks_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "follow_up_tasks_survey_uq" ON "follow_up_tasks" USING btree ("survey_id");--> statement-breakpoint
CREATE INDEX "follow_up_tasks_open_idx" ON "follow_up_tasks" USING btree ("created_at") WHERE "follow_up_tasks"."status" = 'open';--> statement-breakpoint
ALTER TABLE "surveys" ADD CONSTRAINT "surveys_beneficiary_id_beneficiaries_id_fk" FOREIGN KEY ("beneficiary_id") REFERENCES "public"."beneficiaries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "surveys" ADD CONSTRAINT "surveys_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "surveys" ADD CONSTRAINT "surveys_prompt_conversation_id_conversations_id_fk" FOREIGN KEY ("prompt_conversation_id") REFERENCES "public"."conversations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "surveys_sent_at_idx" ON "surveys" USING btree ("sent_at");--> statement-breakpoint
CREATE INDEX "surveys_status_idx" ON "surveys" USING btree ("status");--> statement-breakpoint
ALTER TABLE "surveys" ADD CONSTRAINT "surveys_status_ck" CHECK ("surveys"."status" in ('scheduled', 'sent', 'answered', 'expired', 'skipped'));--> statement-breakpoint
ALTER TABLE "surveys" ADD CONSTRAINT "surveys_score_ck" CHECK ("surveys"."score" is null or "surveys"."score" between 1 and 5);
