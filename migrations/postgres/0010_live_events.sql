-- Live events relayed between nodes: each node writes the image events the dashboard's live
-- stream needs, and every other node reads them (by sequence) and passes them to its own
-- browsers. Kept for a minute. Times are milliseconds since the Unix epoch.
CREATE TABLE live_events (
    seq         BIGSERIAL PRIMARY KEY,
    node        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    body        TEXT NOT NULL
);
