BEGIN TRANSACTION;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('0002');
CREATE TABLE "clips" (
	id VARCHAR(36) NOT NULL, 
	path TEXT NOT NULL, 
	game_id VARCHAR(200) NOT NULL, 
	game_title VARCHAR(200) NOT NULL, 
	created_utc VARCHAR(40) NOT NULL, 
	duration_ms INTEGER NOT NULL, 
	frames INTEGER NOT NULL, 
	bytes BIGINT NOT NULL, 
	registered_ms BIGINT NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	reason TEXT, 
	attempts INTEGER NOT NULL, 
	next_retry_ms BIGINT, 
	uploaded_ms BIGINT, 
	deleted_ms BIGINT, 
	lease_owner VARCHAR(80), 
	lease_until_ms BIGINT, 
	wait_pid INTEGER, 
	wait_pid_started_ms BIGINT, 
	remote_endpoint TEXT, 
	remote_bucket VARCHAR(63), 
	remote_key_prefix TEXT, 
	remote_delete_pending BOOLEAN DEFAULT 0 NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "clips" VALUES('3f1c2a9e-0b7d-4c55-9a0e-6f2d8b1e4a70','/clips/one','g','G','2026-01-01T00:00:00.000000Z',30000,1800,123,1,'failed','server down',2,5,NULL,NULL,'o',NULL,NULL,NULL,NULL,'b','p/g/x',0);
CREATE TABLE consent_events (
	id INTEGER NOT NULL, 
	purpose VARCHAR(32) NOT NULL, 
	granted BOOLEAN NOT NULL, 
	text_version VARCHAR(32) NOT NULL, 
	t_ms BIGINT NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "consent_events" VALUES(1,'clips',1,'clips-1',7);
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "meta" VALUES('contributor_id','9b2e7f40-1c3d-4e5f-8a6b-7c8d9e0f1a2b');
CREATE TABLE upload_files (
	id INTEGER NOT NULL, 
	clip_id VARCHAR(36) NOT NULL, 
	position INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	"key" TEXT NOT NULL, 
	size BIGINT NOT NULL, 
	sha256 VARCHAR(64) NOT NULL, 
	content_type VARCHAR(100) NOT NULL, 
	upload_id TEXT, 
	part_size BIGINT, 
	done BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_upload_files_clip_name UNIQUE (clip_id, name), 
	FOREIGN KEY(clip_id) REFERENCES clips (id) ON DELETE CASCADE
);
INSERT INTO "upload_files" VALUES(1,'3f1c2a9e-0b7d-4c55-9a0e-6f2d8b1e4a70',0,'video.mp4','p/g/x/video.mp4',100,'abcd','video/mp4','up-1',50,0);
CREATE TABLE upload_parts (
	file_id INTEGER NOT NULL, 
	part_number INTEGER NOT NULL, 
	etag VARCHAR(200) NOT NULL, 
	sha256_b64 VARCHAR(64) NOT NULL, 
	size BIGINT NOT NULL, 
	PRIMARY KEY (file_id, part_number), 
	FOREIGN KEY(file_id) REFERENCES upload_files (id) ON DELETE CASCADE
);
INSERT INTO "upload_parts" VALUES(1,1,'etag-1','c2hh',50);
CREATE INDEX ix_consent_events_purpose ON consent_events (purpose);
CREATE INDEX ix_clips_created_utc ON clips (created_utc);
CREATE INDEX ix_clips_state ON clips (state);
CREATE INDEX ix_upload_files_clip_id ON upload_files (clip_id);
COMMIT;
