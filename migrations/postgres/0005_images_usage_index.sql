-- Usage sums (bytes, count, uploads) per owner read the index alone instead of every image row.
CREATE INDEX images_owner_usage ON images(owner, deleted, status, size);
