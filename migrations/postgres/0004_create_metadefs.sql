-- Metadata definitions (Glance metadefs). Properties, objects and tags share one table of
-- (namespace, kind, name) rows whose body is the item's JSON definition.
CREATE TABLE metadef_namespaces (
    namespace     TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    display_name  TEXT COLLATE "C",
    description   TEXT,
    visibility    TEXT NOT NULL DEFAULT 'private',
    protected     BOOLEAN NOT NULL DEFAULT FALSE,
    owner         TEXT,
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL
);

CREATE TABLE metadef_resource_types (
    name        TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    protected   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE metadef_associations (
    namespace          TEXT COLLATE "C" NOT NULL REFERENCES metadef_namespaces(namespace) ON DELETE CASCADE ON UPDATE CASCADE,
    resource_type      TEXT COLLATE "C" NOT NULL REFERENCES metadef_resource_types(name),
    prefix             TEXT,
    properties_target  TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (namespace, resource_type)
);
CREATE INDEX metadef_associations_type ON metadef_associations(resource_type, namespace);

CREATE TABLE metadef_items (
    namespace   TEXT COLLATE "C" NOT NULL REFERENCES metadef_namespaces(namespace) ON DELETE CASCADE ON UPDATE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('property', 'object', 'tag')),
    name        TEXT COLLATE "C" NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (namespace, kind, name)
);
