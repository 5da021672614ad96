-- 0001: tenants, keys, blobs, images, versions and the invalidation outbox.
--
-- Every table is row-level secured with FORCE, so even the owner is
-- filtered. The service works as the non-owner role pixcdn_app and names its
-- scope per transaction with set_config('pixcdn.tenant', tenant, true); the
-- scope '*' (never a valid tenant id) is the system scope used for tenant
-- creation, key lookup and the cross-tenant event feed.

DO $$
BEGIN
	CREATE ROLE pixcdn_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
	NULL; -- roles are cluster-wide: another database created it already
END $$;

DO $$
BEGIN
	IF NOT pg_has_role(current_user, 'pixcdn_app', 'MEMBER') THEN
		EXECUTE format('GRANT pixcdn_app TO %I', current_user);
	END IF;
EXCEPTION WHEN unique_violation THEN
	NULL;
END $$;

CREATE TABLE tenants (
	id            text COLLATE "C" PRIMARY KEY,
	cache_control text NOT NULL,
	created_at    timestamptz NOT NULL DEFAULT now()
);

-- api_keys holds SHA-256 hashes of keys, never the keys. tenant_id NULL marks
-- a system key (role edge or admin).
CREATE TABLE api_keys (
	hash       bytea PRIMARY KEY,
	tenant_id  text COLLATE "C" REFERENCES tenants (id) ON DELETE CASCADE,
	role       text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer', 'edge')),
	created_at timestamptz NOT NULL DEFAULT now(),
	CHECK (role <> 'edge' OR tenant_id IS NULL),
	CHECK (tenant_id IS NOT NULL OR role IN ('edge', 'admin'))
);

-- blobs records each content-addressed object stored in MinIO, once per
-- tenant and SHA-256.
CREATE TABLE blobs (
	tenant_id  text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	sha256     text COLLATE "C" NOT NULL,
	bytes      bigint NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, sha256)
);

CREATE TABLE image_versions (
	tenant_id  text COLLATE "C" NOT NULL,
	public_id  text COLLATE "C" NOT NULL,
	version    bigint NOT NULL,
	sha256     text COLLATE "C" NOT NULL,
	bytes      bigint NOT NULL,
	format     text NOT NULL,
	width      integer NOT NULL,
	height     integer NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, public_id, version),
	FOREIGN KEY (tenant_id, sha256) REFERENCES blobs (tenant_id, sha256)
);

CREATE TABLE images (
	tenant_id  text COLLATE "C" NOT NULL,
	public_id  text COLLATE "C" NOT NULL,
	version    bigint NOT NULL,
	sha256     text COLLATE "C" NOT NULL,
	bytes      bigint NOT NULL,
	format     text NOT NULL,
	width      integer NOT NULL,
	height     integer NOT NULL,
	tags       text[] NOT NULL DEFAULT '{}',
	metadata   jsonb NOT NULL DEFAULT '{}',
	visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'signed')),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, public_id),
	FOREIGN KEY (tenant_id, public_id, version) REFERENCES image_versions (tenant_id, public_id, version)
);
CREATE INDEX images_tags_idx ON images USING gin (tags);

-- events is the invalidation outbox. Writers insert rows with seq NULL; the
-- sequencer numbers rows whose transaction is older than every running one
-- (xid < snapshot xmin), so seq is dense, increasing in commit order, and a
-- late-committing row gets a later seq instead of being skipped.
CREATE TABLE events (
	id        bigserial PRIMARY KEY,
	seq       bigint UNIQUE,
	xid       xid8 NOT NULL DEFAULT pg_current_xact_id(),
	tenant_id text COLLATE "C" NOT NULL,
	public_id text COLLATE "C" NOT NULL DEFAULT '',
	version   bigint NOT NULL DEFAULT 0,
	kind      text NOT NULL CHECK (kind IN ('updated', 'deleted', 'visibility', 'purge-tag', 'purge-prefix')),
	tags      text[] NOT NULL DEFAULT '{}',
	prefix    text NOT NULL DEFAULT '',
	at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX events_unsequenced_idx ON events (id) WHERE seq IS NULL;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenants_scope ON tenants
	USING (id = current_setting('pixcdn.tenant', true) OR current_setting('pixcdn.tenant', true) = '*')
	WITH CHECK (current_setting('pixcdn.tenant', true) = '*');

ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_scope ON api_keys
	USING (tenant_id = current_setting('pixcdn.tenant', true) OR current_setting('pixcdn.tenant', true) = '*')
	WITH CHECK (tenant_id = current_setting('pixcdn.tenant', true) OR current_setting('pixcdn.tenant', true) = '*');

ALTER TABLE blobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE blobs FORCE ROW LEVEL SECURITY;
CREATE POLICY blobs_scope ON blobs
	USING (tenant_id = current_setting('pixcdn.tenant', true))
	WITH CHECK (tenant_id = current_setting('pixcdn.tenant', true));

ALTER TABLE image_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE image_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY image_versions_scope ON image_versions
	USING (tenant_id = current_setting('pixcdn.tenant', true))
	WITH CHECK (tenant_id = current_setting('pixcdn.tenant', true));

ALTER TABLE images ENABLE ROW LEVEL SECURITY;
ALTER TABLE images FORCE ROW LEVEL SECURITY;
CREATE POLICY images_scope ON images
	USING (tenant_id = current_setting('pixcdn.tenant', true))
	WITH CHECK (tenant_id = current_setting('pixcdn.tenant', true));

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY events_scope ON events
	USING (tenant_id = current_setting('pixcdn.tenant', true) OR current_setting('pixcdn.tenant', true) = '*')
	WITH CHECK (tenant_id = current_setting('pixcdn.tenant', true) OR current_setting('pixcdn.tenant', true) = '*');

GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, api_keys, blobs, image_versions, images, events TO pixcdn_app;
GRANT USAGE ON SEQUENCE events_id_seq TO pixcdn_app;
