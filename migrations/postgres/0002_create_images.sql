-- Images, their extra properties, tags and members. Rows are soft-deleted so ids are never reused.
CREATE TABLE images (
    id                TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name              TEXT COLLATE "C",
    status            TEXT COLLATE "C" NOT NULL,
    visibility        TEXT NOT NULL,
    protected         BOOLEAN NOT NULL DEFAULT FALSE,
    os_hidden         BOOLEAN NOT NULL DEFAULT FALSE,
    owner             TEXT,
    disk_format       TEXT COLLATE "C",
    container_format  TEXT COLLATE "C",
    size              BIGINT,
    virtual_size      BIGINT,
    checksum          TEXT,
    os_hash_algo      TEXT,
    os_hash_value     TEXT,
    min_disk          BIGINT NOT NULL DEFAULT 0,
    min_ram           BIGINT NOT NULL DEFAULT 0,
    created_at        TEXT COLLATE "C" NOT NULL,
    updated_at        TEXT COLLATE "C" NOT NULL,
    deleted           BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at        TEXT
);
-- Keyset pagination in the default order, overall and per owner.
CREATE INDEX images_live_created ON images(deleted, created_at, id);
CREATE INDEX images_owner_created ON images(owner, deleted, created_at, id);
CREATE INDEX images_visibility_created ON images(visibility, deleted, created_at, id);
CREATE INDEX images_name ON images(name);
CREATE INDEX images_status ON images(status);

CREATE TABLE image_properties (
    image_id  TEXT COLLATE "C" NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (image_id, name)
);
CREATE INDEX image_properties_name_value ON image_properties(name, value);

CREATE TABLE image_tags (
    image_id  TEXT COLLATE "C" NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    tag       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (image_id, tag)
);
CREATE INDEX image_tags_tag ON image_tags(tag, image_id);

CREATE TABLE image_members (
    image_id    TEXT COLLATE "C" NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    member      TEXT COLLATE "C" NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    created_at  TEXT COLLATE "C" NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (image_id, member)
);
CREATE INDEX image_members_member ON image_members(member, status);
