CREATE TABLE "outbound_leases" (
	"conversation_id" bigint NOT NULL,
	"channel" text NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "outbound_leases_conversation_id_channel_pk" PRIMARY KEY("conversation_id","channel")
);--> statement-breakpoint
-- Every send job updates its conversation's row twice (taken, given back): room for those updates on the page.
ALTER TABLE "outbound_leases" SET (fillfactor = 70);
