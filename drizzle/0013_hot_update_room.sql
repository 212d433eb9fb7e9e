-- Room on each page for the next version of a row, so that an update which changes no indexed column stays on
-- its page (a HOT update) and writes no index entry: every drain updates its conversation, every inbound message
-- its contact (docs/performance.md, hot spot 17). Applies to pages written from now on.
ALTER TABLE "conversations" SET (fillfactor = 70);--> statement-breakpoint
ALTER TABLE "contacts" SET (fillfactor = 80);
