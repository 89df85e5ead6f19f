-- Large JSON text (the conversation state, rewritten every turn, and the stored turn response)
-- is TOAST-compressed by PostgreSQL. lz4 (PostgreSQL 14+, when the server was built with it) costs
-- far less CPU than the default pglz: +20 % turns/s in the load benchmark (docs/benchmarks.md).
-- Where it is not available the columns keep pglz; nothing else depends on it.
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        BEGIN
            EXECUTE 'ALTER TABLE conversations ALTER COLUMN state SET COMPRESSION lz4';
            EXECUTE 'ALTER TABLE messages ALTER COLUMN analysis SET COMPRESSION lz4';
            EXECUTE 'ALTER TABLE messages ALTER COLUMN citations SET COMPRESSION lz4';
            EXECUTE 'ALTER TABLE messages ALTER COLUMN result SET COMPRESSION lz4';
            EXECUTE 'ALTER TABLE leads ALTER COLUMN evidence SET COMPRESSION lz4';
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'lz4 TOAST compression not available (%); keeping pglz', SQLERRM;
        END;
    END IF;
END
$$;
