-- Retention: stored turn responses (kept for idempotent resends) are cleared after a window.
-- The partial index holds only rows that still have one, so finding the old ones stays cheap
-- however many messages there are.
CREATE INDEX messages_result_at ON messages(created_at) WHERE result IS NOT NULL;
