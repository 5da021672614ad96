-- tus resumable uploads (origin/uploads): the upload ledger, its S3 parts,
-- and leases that serialise requests on one upload across origin processes.
-- Every table is isolated per tenant by row-level security, like the rest.

CREATE TABLE uploads (
    tenant       text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           text        NOT NULL,
    public_id    text        NOT NULL,
    size         bigint      NOT NULL CHECK (size >= 0),
    "offset"     bigint      NOT NULL DEFAULT 0 CHECK ("offset" >= 0 AND "offset" <= size),
    metadata     jsonb       NOT NULL DEFAULT '{}',
    object_key   text        NOT NULL,
    multipart_id text        NOT NULL DEFAULT '',
    -- received bytes that do not fill a part yet (at most one part)
    tail         bytea       NOT NULL DEFAULT '',
    state        text        NOT NULL DEFAULT 'receiving'
                             CHECK (state IN ('receiving', 'assembled', 'completed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);
CREATE INDEX uploads_expires_at ON uploads (expires_at);

CREATE TABLE upload_parts (
    tenant    text COLLATE "C" NOT NULL,
    upload_id text   NOT NULL,
    number    int    NOT NULL CHECK (number BETWEEN 1 AND 10000),
    size      bigint NOT NULL CHECK (size >= 0),
    etag      text   NOT NULL,
    PRIMARY KEY (tenant, upload_id, number),
    FOREIGN KEY (tenant, upload_id) REFERENCES uploads (tenant, id) ON DELETE CASCADE
);

CREATE TABLE upload_locks (
    tenant            text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    upload_id         text        NOT NULL,
    holder            text        NOT NULL,
    expires_at        timestamptz NOT NULL,
    release_requested boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (tenant, upload_id)
);

ALTER TABLE uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE uploads FORCE ROW LEVEL SECURITY;
ALTER TABLE upload_parts ENABLE ROW LEVEL SECURITY;
ALTER TABLE upload_parts FORCE ROW LEVEL SECURITY;
ALTER TABLE upload_locks ENABLE ROW LEVEL SECURITY;
ALTER TABLE upload_locks FORCE ROW LEVEL SECURITY;

CREATE POLICY uploads_tenant ON uploads
    USING (tenant = current_setting('pixcdn.tenant', true))
    WITH CHECK (tenant = current_setting('pixcdn.tenant', true));
-- The sweeper, in the system scope '*', reads expired uploads of every
-- tenant, and nothing else.
CREATE POLICY uploads_sweep ON uploads FOR SELECT
    USING (current_setting('pixcdn.tenant', true) = '*' AND expires_at < now());
CREATE POLICY upload_parts_tenant ON upload_parts
    USING (tenant = current_setting('pixcdn.tenant', true))
    WITH CHECK (tenant = current_setting('pixcdn.tenant', true));
CREATE POLICY upload_locks_tenant ON upload_locks
    USING (tenant = current_setting('pixcdn.tenant', true))
    WITH CHECK (tenant = current_setting('pixcdn.tenant', true));

GRANT SELECT, INSERT, UPDATE, DELETE ON uploads, upload_parts, upload_locks TO pixcdn_app;
