-- What became of an LLM's rewording of a bot message (issue 13): `used`, `rejected:<reason>`,
-- `timed_out` or `failed`; NULL when no LLM was asked (every message before this, and every
-- message of a server without `--llm`).
ALTER TABLE messages ADD COLUMN llm TEXT;
