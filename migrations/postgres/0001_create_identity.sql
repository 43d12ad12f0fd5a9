-- Identity: projects, users, roles, role assignments and API tokens (one domain, "Default").
-- PostgreSQL twin of migrations/sqlite/0001: same tables, columns and indexes; text that lists
-- sort by compares bytes (COLLATE "C"), as SQLite does, so both backends give the same pages.
CREATE TABLE projects (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT COLLATE "C" NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id                  TEXT PRIMARY KEY NOT NULL,
    name                TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash       TEXT NOT NULL,
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    default_project_id  TEXT REFERENCES projects(id) ON DELETE SET NULL,
    email               TEXT,
    description         TEXT NOT NULL DEFAULT '',
    created_at          TEXT NOT NULL
);

CREATE TABLE roles (
    id    TEXT PRIMARY KEY NOT NULL,
    name  TEXT COLLATE "C" NOT NULL UNIQUE
);

INSERT INTO roles (id, name) VALUES
    ('a0000000000000000000000000000001', 'admin'),
    ('a0000000000000000000000000000002', 'member'),
    ('a0000000000000000000000000000003', 'reader');

CREATE TABLE role_assignments (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, project_id, role_id)
);
CREATE INDEX role_assignments_project ON role_assignments(project_id);

-- API tokens are stored as the SHA-256 of the secret; the secret itself never touches the disk.
CREATE TABLE tokens (
    hash        TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id  TEXT REFERENCES projects(id) ON DELETE CASCADE,
    methods     TEXT NOT NULL,
    audit_id    TEXT NOT NULL,
    issued_at   TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX tokens_user ON tokens(user_id);
CREATE INDEX tokens_expires ON tokens(expires_at);
