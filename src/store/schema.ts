/**
 * The store's schema, as an ordered list of migrations. `PRAGMA user_version` records how many
 * have been applied; each runs in its own transaction. Never edit a released migration: add one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: initial schema
  `
  CREATE TABLE blobs (
    digest     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    created    INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- One row per layer stack: chain_id identifies the layer on top of its parents.
  CREATE TABLE layers (
    chain_id   TEXT PRIMARY KEY,
    diff_id    TEXT NOT NULL,
    parent     TEXT,
    size       INTEGER NOT NULL,
    tar_size   INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX layers_parent ON layers(parent);
  CREATE INDEX layers_diff ON layers(diff_id);

  -- The stored representations (uncompressed, gzip, zstd) of a layer's diff.
  CREATE TABLE layer_blobs (
    diff_id    TEXT NOT NULL,
    blob       TEXT NOT NULL,
    media_type TEXT NOT NULL,
    PRIMARY KEY (diff_id, blob)
  ) WITHOUT ROWID;
  CREATE INDEX layer_blobs_blob ON layer_blobs(blob);

  CREATE TABLE images (
    id         TEXT PRIMARY KEY,
    created    INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    parent     TEXT,
    top_layer  TEXT,
    os         TEXT NOT NULL,
    arch       TEXT NOT NULL,
    variant    TEXT,
    labels     TEXT,
    added      INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX images_parent ON images(parent);
  CREATE INDEX images_created ON images(created);
  CREATE INDEX images_top_layer ON images(top_layer);

  CREATE TABLE image_layers (
    image_id   TEXT NOT NULL,
    position   INTEGER NOT NULL,
    chain_id   TEXT NOT NULL,
    PRIMARY KEY (image_id, position)
  ) WITHOUT ROWID;
  CREATE INDEX image_layers_chain ON image_layers(chain_id);

  -- Manifests (and indexes) kept for an image, e.g. as pulled from a registry.
  CREATE TABLE image_manifests (
    image_id   TEXT NOT NULL,
    digest     TEXT NOT NULL,
    media_type TEXT NOT NULL,
    PRIMARY KEY (image_id, digest)
  ) WITHOUT ROWID;
  CREATE INDEX image_manifests_digest ON image_manifests(digest);

  -- Tags (tag NOT NULL) and digest references (digest NOT NULL), by canonical name.
  CREATE TABLE refs (
    name       TEXT PRIMARY KEY,
    repo       TEXT NOT NULL,
    tag        TEXT,
    digest     TEXT,
    image_id   TEXT NOT NULL,
    created    INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX refs_image ON refs(image_id);
  CREATE INDEX refs_repo ON refs(repo);

  CREATE TABLE leases (
    id         TEXT PRIMARY KEY,
    pid        INTEGER NOT NULL,
    start_time TEXT NOT NULL,
    expires    INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    purpose    TEXT NOT NULL
  ) WITHOUT ROWID;

  -- What a lease protects: kind is blob, layer, image, ingest or snapshot.
  CREATE TABLE lease_resources (
    lease_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    PRIMARY KEY (lease_id, kind, key)
  ) WITHOUT ROWID;
  CREATE INDEX lease_resources_key ON lease_resources(kind, key);

  -- Files whose metadata is gone; unlinked by the sweep once nothing claims them again.
  CREATE TABLE trash (
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    PRIMARY KEY (kind, key)
  ) WITHOUT ROWID;
  `,
  // 2: build cache (berth build): a step's cache key -> the image config and layer stack it made.
  // Rows are GC roots for that config blob and top layer, so a cached step survives the removal
  // of the images that first recorded it until `builder prune`. file_hashes remembers context
  // file digests by path and metadata (the fast path of no-change rebuilds).
  `
  CREATE TABLE build_cache (
    key        TEXT PRIMARY KEY,
    image_id   TEXT NOT NULL,
    top_layer  TEXT,
    size       INTEGER NOT NULL,
    created    INTEGER NOT NULL,
    last_used  INTEGER NOT NULL,
    description TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX build_cache_image ON build_cache(image_id);
  CREATE INDEX build_cache_layer ON build_cache(top_layer);

  CREATE TABLE build_file_hashes (
    path       TEXT PRIMARY KEY,
    sig        TEXT NOT NULL,
    digest     TEXT NOT NULL
  ) WITHOUT ROWID;
  `,

  // 3: containers (berth run/create) and snapshots (layers unpacked for containers and RUN steps).
  // A snapshot directory is named by a short base-36 number from the counters table (never reused), so
  // overlay lowerdir lists stay within a page even for 500 layers. Containers pin their top layer.
  `
  CREATE TABLE counters (
    name       TEXT PRIMARY KEY,
    value      INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE snapshots (
    name       TEXT PRIMARY KEY,
    chain_id   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    created    INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX snapshots_chain ON snapshots(chain_id, kind);

  CREATE TABLE containers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    image_id    TEXT NOT NULL,
    top_layer   TEXT,
    snapshotter TEXT NOT NULL,
    config      TEXT NOT NULL,
    state       TEXT NOT NULL,
    pid         INTEGER NOT NULL DEFAULT 0,
    pid_start   TEXT,
    monitor_pid INTEGER NOT NULL DEFAULT 0,
    monitor_start TEXT,
    exit_code   INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    created     TEXT NOT NULL,
    started     TEXT NOT NULL DEFAULT '',
    finished    TEXT NOT NULL DEFAULT '',
    labels      TEXT
  ) WITHOUT ROWID;
  CREATE INDEX containers_image ON containers(image_id);
  CREATE INDEX containers_layer ON containers(top_layer);
  `,

  // 4: events (image and container actions, as Docker's /events reports them), written by the
  // operations themselves so that `berth serve` streams what any berth process did. Only the
  // newest rows are kept (see store/events.ts).
  `
  CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    time_us    INTEGER NOT NULL,
    type       TEXT NOT NULL,
    action     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    attributes TEXT
  );
  CREATE INDEX events_time ON events(time_us);
  CREATE INDEX events_actor ON events(actor, type);
  `,

  // 5: the images listing's base, materialized in a file beside the database (see
  // store/listing-cache.ts), valid while the generation it records equals the 'listing' counter,
  // which triggers set to a new random value on every change to images or refs, whoever writes
  // them. Random rather than counted: a database put back from a copy can never meet a cache
  // file written for different contents at the same generation. A later migration that rebuilds
  // either table must recreate its triggers (dropping a table drops them).
  `
  INSERT INTO counters (name, value) VALUES ('listing', abs(random() % 9007199254740991)) ON CONFLICT(name) DO NOTHING;

  CREATE TRIGGER images_insert_listing AFTER INSERT ON images
    BEGIN UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing'; END;
  CREATE TRIGGER images_delete_listing AFTER DELETE ON images
    BEGIN UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing'; END;
  CREATE TRIGGER images_update_listing AFTER UPDATE ON images
    BEGIN UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing'; END;
  CREATE TRIGGER refs_insert_listing AFTER INSERT ON refs
    BEGIN UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing'; END;
  CREATE TRIGGER refs_delete_listing AFTER DELETE ON refs
    BEGIN UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing'; END;
  CREATE TRIGGER refs_update_listing AFTER UPDATE ON refs
    BEGIN UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing'; END;
  `,

  // 6: a log of the images whose listing rows changed, so a listing cached before a change is
  // patched rather than recomputed (engine/listing-patch.ts). Each change gives the generation a
  // new random value, as in 5, and appends the IDs of the images it touched — an image's parent
  // too, whose parent flag may change — with that value. A cache records the generation and the
  // log position it was computed at; it may be patched only if the log still holds that position
  // with that generation, which also proves the database has the history the cache saw. The log
  // keeps its last 10,000 entries.
  `
  CREATE TABLE listing_changes (
    seq       INTEGER PRIMARY KEY,
    gen       INTEGER NOT NULL,
    image_id  TEXT
  );
  INSERT INTO listing_changes (seq, gen, image_id) SELECT 1, value, NULL FROM counters WHERE name = 'listing';

  DROP TRIGGER images_insert_listing;
  CREATE TRIGGER images_insert_listing AFTER INSERT ON images BEGIN
    UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing';
    INSERT INTO listing_changes (gen, image_id)
      SELECT value, NEW.id FROM counters WHERE name = 'listing'
      UNION ALL SELECT value, NEW.parent FROM counters WHERE name = 'listing' AND NEW.parent IS NOT NULL;
    DELETE FROM listing_changes WHERE seq <= (SELECT max(seq) FROM listing_changes) - 10000;
  END;

  DROP TRIGGER images_delete_listing;
  CREATE TRIGGER images_delete_listing AFTER DELETE ON images BEGIN
    UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing';
    INSERT INTO listing_changes (gen, image_id)
      SELECT value, OLD.id FROM counters WHERE name = 'listing'
      UNION ALL SELECT value, OLD.parent FROM counters WHERE name = 'listing' AND OLD.parent IS NOT NULL;
    DELETE FROM listing_changes WHERE seq <= (SELECT max(seq) FROM listing_changes) - 10000;
  END;

  DROP TRIGGER images_update_listing;
  CREATE TRIGGER images_update_listing AFTER UPDATE ON images BEGIN
    UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing';
    INSERT INTO listing_changes (gen, image_id)
      SELECT value, OLD.id FROM counters WHERE name = 'listing'
      UNION ALL SELECT value, NEW.id FROM counters WHERE name = 'listing'
      UNION ALL SELECT value, OLD.parent FROM counters WHERE name = 'listing' AND OLD.parent IS NOT NULL
      UNION ALL SELECT value, NEW.parent FROM counters WHERE name = 'listing' AND NEW.parent IS NOT NULL;
    DELETE FROM listing_changes WHERE seq <= (SELECT max(seq) FROM listing_changes) - 10000;
  END;

  DROP TRIGGER refs_insert_listing;
  CREATE TRIGGER refs_insert_listing AFTER INSERT ON refs BEGIN
    UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing';
    INSERT INTO listing_changes (gen, image_id)
      SELECT value, NEW.image_id FROM counters WHERE name = 'listing';
    DELETE FROM listing_changes WHERE seq <= (SELECT max(seq) FROM listing_changes) - 10000;
  END;

  DROP TRIGGER refs_delete_listing;
  CREATE TRIGGER refs_delete_listing AFTER DELETE ON refs BEGIN
    UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing';
    INSERT INTO listing_changes (gen, image_id)
      SELECT value, OLD.image_id FROM counters WHERE name = 'listing';
    DELETE FROM listing_changes WHERE seq <= (SELECT max(seq) FROM listing_changes) - 10000;
  END;

  DROP TRIGGER refs_update_listing;
  CREATE TRIGGER refs_update_listing AFTER UPDATE ON refs BEGIN
    UPDATE counters SET value = abs(random() % 9007199254740991) WHERE name = 'listing';
    INSERT INTO listing_changes (gen, image_id)
      SELECT value, OLD.image_id FROM counters WHERE name = 'listing'
      UNION ALL SELECT value, NEW.image_id FROM counters WHERE name = 'listing';
    DELETE FROM listing_changes WHERE seq <= (SELECT max(seq) FROM listing_changes) - 10000;
  END;
  `,
];
