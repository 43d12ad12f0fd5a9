-- Failed logins per user name and per client address, shared by every node on this database, so
-- a lockout earned through one node holds on all. Times are milliseconds since the Unix epoch.
CREATE TABLE login_failures (
    key              TEXT PRIMARY KEY NOT NULL,
    failures         BIGINT NOT NULL,
    last_ms          BIGINT NOT NULL,
    locked_until_ms  BIGINT
);
CREATE INDEX login_failures_last ON login_failures(last_ms);
