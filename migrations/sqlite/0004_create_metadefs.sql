-- Metadata definitions (Glance metadefs). Properties, objects and tags share one table of
-- (namespace, kind, name) rows whose body is the item's JSON definition.
CREATE TABLE metadef_namespaces (
    namespace     TEXT PRIMARY KEY NOT NULL,
    display_name  TEXT,
    description   TEXT,
    visibility    TEXT NOT NULL DEFAULT 'private',
    protected     INTEGER NOT NULL DEFAULT 0,
    owner         TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE metadef_resource_types (
    name        TEXT PRIMARY KEY NOT NULL,
    protected   INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE metadef_associations (
    namespace          TEXT NOT NULL REFERENCES metadef_namespaces(namespace) ON DELETE CASCADE ON UPDATE CASCADE,
    resource_type      TEXT NOT NULL REFERENCES metadef_resource_types(name),
    prefix             TEXT,
    properties_target  TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (namespace, resource_type)
);
CREATE INDEX metadef_associations_type ON metadef_associations(resource_type, namespace);

CREATE TABLE metadef_items (
    namespace   TEXT NOT NULL REFERENCES metadef_namespaces(namespace) ON DELETE CASCADE ON UPDATE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('property', 'object', 'tag')),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (namespace, kind, name)
);
