DROP INDEX "messages_queued_outbound_idx";--> statement-breakpoint
DROP INDEX "conversations_beneficiary_idx";--> statement-breakpoint
DROP INDEX "messages_outbound_provider_idx";--> statement-breakpoint
CREATE INDEX "conversations_beneficiary_idx" ON "conversations" USING btree ("beneficiary_id");--> statement-breakpoint
CREATE INDEX "messages_outbound_provider_idx" ON "messages" USING btree ("channel","provider_message_id") WHERE "messages"."direction" = 'out' and "messages"."provider_message_id" is not null;