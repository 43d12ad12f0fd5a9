-- Import tasks (Glance's `api_image_import`): what was asked (`input`, JSON), where it stands
-- (pending -> processing -> success | failure), and which node runs it until when (`node`,
-- `lease_until`). Any node may claim a pending task, or a processing one whose lease ran out (its
-- node died), so a task survives a restart. Finished tasks stay until `expires_at`.
CREATE TABLE tasks (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    type         TEXT NOT NULL,
    status       TEXT NOT NULL,
    input        TEXT NOT NULL,
    result       TEXT,
    message      TEXT NOT NULL DEFAULT '',
    owner        TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    request_id   TEXT NOT NULL DEFAULT '',
    image_id     TEXT,
    created_at   TEXT COLLATE "C" NOT NULL,
    updated_at   TEXT NOT NULL,
    expires_at   TEXT,
    node         TEXT,
    lease_until  TEXT COLLATE "C"
);
CREATE INDEX tasks_image ON tasks(image_id, created_at);
CREATE INDEX tasks_runnable ON tasks(status, lease_until);
CREATE INDEX tasks_created ON tasks(created_at, id);
