-- Keystone-style unified limits: per-project caps the image service enforces
-- (image_size_total and image_stage_total in MiB, image_count_total, image_count_uploading).
CREATE TABLE limits (
    id              TEXT PRIMARY KEY NOT NULL,
    project_id      TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    service_id      TEXT NOT NULL,
    resource_name   TEXT COLLATE "C" NOT NULL,
    resource_limit  BIGINT NOT NULL,
    description     TEXT,
    UNIQUE (project_id, service_id, resource_name)
);
