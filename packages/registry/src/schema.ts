// Numbered migrations. PRAGMA user_version holds the schema version; application_id marks the file as ours.
// Never edit a shipped migration: add a new one.

/** "PKT1" as a big-endian 32-bit integer; set in every pairkit database. */
export const APPLICATION_ID = 0x504b5431;

export interface Migration {
  version: number;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      CREATE TABLE devices (
        device_id    TEXT PRIMARY KEY,
        peer_id      TEXT NOT NULL UNIQUE,
        public_key   BLOB NOT NULL,
        name         TEXT NOT NULL,
        os           TEXT NOT NULL,
        app_version  TEXT NOT NULL,
        method       TEXT NOT NULL CHECK (method IN ('network','ble','both')),
        paired_at    INTEGER NOT NULL,
        last_seen_at INTEGER,
        addresses    TEXT NOT NULL DEFAULT '[]'
      ) STRICT;
      CREATE TABLE session_keys (
        device_id  TEXT PRIMARY KEY REFERENCES devices(device_id) ON DELETE CASCADE,
        tx         BLOB NOT NULL,
        rx         BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE ble_bonds (
        address            TEXT PRIMARY KEY,
        address_type       TEXT NOT NULL CHECK (address_type IN ('public','random')),
        device_id          TEXT REFERENCES devices(device_id) ON DELETE CASCADE,
        irk                BLOB,
        ltk                BLOB,
        ediv               INTEGER,
        rand               BLOB,
        local_ltk          BLOB,
        local_ediv         INTEGER,
        local_rand         BLOB,
        csrk               BLOB,
        link_key           BLOB,
        key_size           INTEGER NOT NULL CHECK (key_size BETWEEN 7 AND 16),
        authenticated      INTEGER NOT NULL,
        secure_connections INTEGER NOT NULL,
        created_at         INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    // v2: one bond per device, and a queue of removals still to be told to the peer.
    version: 2,
    sql: `
      CREATE UNIQUE INDEX ble_bonds_device ON ble_bonds(device_id) WHERE device_id IS NOT NULL;
      CREATE TABLE revocations (
        device_id   TEXT PRIMARY KEY,
        peer_id     TEXT NOT NULL,
        public_key  BLOB NOT NULL,
        addresses   TEXT NOT NULL DEFAULT '[]',
        removed_at  INTEGER NOT NULL,
        notified_at INTEGER
      ) STRICT;
    `,
  },
  {
    // v3: the public session ids of the codes that paired this device, so the same code is
    // refused when someone types it again (the code itself is never stored).
    version: 3,
    sql: `
      CREATE TABLE used_codes (
        session_id  BLOB PRIMARY KEY,
        device_id   TEXT NOT NULL,
        device_name TEXT NOT NULL,
        used_at     INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
