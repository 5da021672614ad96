-- 0002: the outbox sequencer as one function, so a pass is one round trip.
-- It runs as the caller (pixcdn_app, system scope), under row-level security.
-- Being VOLATILE, each statement takes a fresh snapshot: after the advisory
-- lock is granted, the previous sequencer's numbers are visible.
CREATE FUNCTION pixcdn_sequence_events(OUT numbered bigint, OUT waiting bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
	base bigint;
BEGIN
	PERFORM pg_advisory_xact_lock(3, 0);
	SELECT coalesce(max(seq), 0) INTO base FROM events;
	WITH ready AS (
		SELECT id, row_number() OVER (ORDER BY id) AS n FROM events
		WHERE seq IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot()))
	UPDATE events e SET seq = base + ready.n FROM ready WHERE e.id = ready.id;
	GET DIAGNOSTICS numbered = ROW_COUNT;
	IF numbered > 0 THEN
		PERFORM pg_notify('pixcdn_events', '');
	END IF;
	SELECT count(*) INTO waiting FROM events WHERE seq IS NULL;
END $$;

REVOKE ALL ON FUNCTION pixcdn_sequence_events() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pixcdn_sequence_events() TO pixcdn_app;
