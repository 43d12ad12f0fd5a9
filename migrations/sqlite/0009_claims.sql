-- Claims: a named piece of work (start-up seeding, a sweep, later the scrubber or an import task)
-- held by exactly one node at a time until its lease runs out or the node lets it go. Times are
-- milliseconds since the Unix epoch.
CREATE TABLE claims (
    name        TEXT PRIMARY KEY NOT NULL,
    holder      TEXT NOT NULL,
    expires_ms  INTEGER NOT NULL
);
