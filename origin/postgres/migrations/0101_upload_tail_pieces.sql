-- 0101: buffered tails as append-only pieces. A PATCH smaller than a part
-- now writes only its own bytes instead of rewriting the whole tail, and a
-- PATCH that does not complete a part never reads the tail back. Tails held
-- in the old column move over.

CREATE TABLE upload_tail (
    tenant    text COLLATE "C" NOT NULL,
    upload_id text NOT NULL,
    seq       int  NOT NULL CHECK (seq >= 1),
    data      bytea NOT NULL,
    PRIMARY KEY (tenant, upload_id, seq),
    FOREIGN KEY (tenant, upload_id) REFERENCES uploads (tenant, id) ON DELETE CASCADE
);
-- Image bytes do not compress: store them out of line without trying.
ALTER TABLE upload_tail ALTER COLUMN data SET STORAGE EXTERNAL;

ALTER TABLE uploads ADD COLUMN tail_len bigint NOT NULL DEFAULT 0 CHECK (tail_len >= 0);
-- The owner runs migrations; lift FORCE for this transaction so that it
-- sees every tenant's rows while moving them.
ALTER TABLE uploads NO FORCE ROW LEVEL SECURITY;
INSERT INTO upload_tail (tenant, upload_id, seq, data)
    SELECT tenant, id, 1, tail FROM uploads WHERE length(tail) > 0;
UPDATE uploads SET tail_len = length(tail);
ALTER TABLE uploads DROP COLUMN tail;
ALTER TABLE uploads FORCE ROW LEVEL SECURITY;

ALTER TABLE upload_tail ENABLE ROW LEVEL SECURITY;
ALTER TABLE upload_tail FORCE ROW LEVEL SECURITY;
CREATE POLICY upload_tail_tenant ON upload_tail
    USING (tenant = current_setting('pixcdn.tenant', true))
    WITH CHECK (tenant = current_setting('pixcdn.tenant', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON upload_tail TO pixcdn_app;
