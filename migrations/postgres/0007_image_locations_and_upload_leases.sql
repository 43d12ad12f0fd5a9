-- Where each image's data lives: one row per copy, in a store named by the settings. The data's
-- place is recorded, not computed from the image id, so an image can later have copies in
-- several stores.
CREATE TABLE image_locations (
    image_id    TEXT COLLATE "C" NOT NULL REFERENCES images(id),
    store       TEXT COLLATE "C" NOT NULL,
    location    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active',
    created_at  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (image_id, store)
);
-- (SQLite's twin backfills rows for data stored before locations were recorded; a PostgreSQL
-- database starts with this migration, so it has none.)

-- Uploads in flight: which node is receiving the data and until when its lease holds. The node
-- renews the lease while it receives; recovery takes back only its own uploads or stale ones.
CREATE TABLE image_upload_leases (
    image_id    TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES images(id),
    node        TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
