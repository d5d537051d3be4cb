import GRDB

/// The store's schema, as migrations. A shipped migration is never edited: change the schema
/// with a new one (STYLE 4). `schema/store.sql` holds what these create; a test keeps them equal.
public enum Schema {
    /// The SQL of the current schema (for benchmarks' same-rows baselines).
    public static var currentSQL: String { v1 + v2 + v3 + v4 + v5 + v6 + v7 + v8 + v9 + v10 }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2-annotations") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3-sync") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4-tag-order") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5-fork-proofs") { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration("v6-stories") { db in
            try db.execute(sql: v6)
        }
        migrator.registerMigration("v7-syncs") { db in
            try db.execute(sql: v7)
        }
        migrator.registerMigration("v8-annotation-state") { db in
            try db.execute(sql: v8)
        }
        migrator.registerMigration("v9-aliases") { db in
            try db.execute(sql: v9)
        }
        migrator.registerMigration("v10-versions") { db in
            try db.execute(sql: v10)
        }
        return migrator
    }

    static let v1 = """
        -- Settings of this replica (analyst name).
        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) WITHOUT ROWID;

        -- The log: every event, in local arrival order (position). Append-only.
        CREATE TABLE events (
            position INTEGER PRIMARY KEY,
            origin TEXT NOT NULL CHECK (length(origin) = 32),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            hash TEXT NOT NULL CHECK (length(hash) = 64),
            prev TEXT CHECK ((seq = 1) = (prev IS NULL)),
            type TEXT NOT NULL,
            time INTEGER NOT NULL,
            is_seal INTEGER NOT NULL CHECK (is_seal IN (0, 1)),
            body BLOB NOT NULL,
            arrived INTEGER NOT NULL,
            UNIQUE (origin, seq)
        );
        CREATE UNIQUE INDEX events_by_hash ON events(hash);

        -- Each origin's head: the highest contiguous seq held, and its hash.
        CREATE TABLE version_vector (
            origin TEXT PRIMARY KEY NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            hash TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
        BEGIN
            SELECT RAISE(ABORT, 'events are append-only: UPDATE refused');
        END;
        CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
        BEGIN
            SELECT RAISE(ABORT, 'events are append-only: DELETE refused');
        END;
        -- An event must extend its origin's chain: next seq, prev = the head's hash.
        CREATE TRIGGER events_extend_chain BEFORE INSERT ON events
        WHEN NEW.seq IS NOT COALESCE((SELECT seq FROM version_vector WHERE origin = NEW.origin), 0) + 1
            OR NEW.prev IS NOT (SELECT hash FROM version_vector WHERE origin = NEW.origin)
        BEGIN
            SELECT RAISE(ABORT, 'event does not extend its origin''s chain (seq not contiguous or prev not the head)');
        END;
        CREATE TRIGGER events_advance_version_vector AFTER INSERT ON events
        BEGIN
            INSERT INTO version_vector(origin, seq, hash) VALUES (NEW.origin, NEW.seq, NEW.hash)
            ON CONFLICT(origin) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
        END;

        -- Which version of the projection code built the projections, and up to which log position.
        CREATE TABLE projection_state (
            name TEXT PRIMARY KEY NOT NULL,
            version INTEGER NOT NULL,
            position INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Projection: one row per article, merged from all its article.ingested events.
        CREATE TABLE articles (
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            published TEXT,
            body TEXT NOT NULL,
            body_start INTEGER NOT NULL,
            file TEXT NOT NULL,
            first_time INTEGER NOT NULL,
            first_origin TEXT NOT NULL,
            first_seq INTEGER NOT NULL
        );
        CREATE INDEX articles_by_first ON articles(first_time, id);

        -- Projection: where each article came from (one row per article.ingested event).
        CREATE TABLE article_sources (
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            article TEXT NOT NULL,
            file TEXT NOT NULL,
            time INTEGER NOT NULL,
            author TEXT NOT NULL,
            PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;
        CREATE INDEX article_sources_by_article ON article_sources(article, file);

        -- Projection: full-text index of articles, folded by the `daftar` tokenizer.
        CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, body, content='articles', content_rowid='rowid', tokenize='daftar'
        );
        """

    static let v2 = """
        -- Projection: which events name each annotation (the merge rules read them all).
        CREATE TABLE annotation_events (
            annotation TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (annotation, origin, seq)
        ) WITHOUT ROWID;

        -- Projection: each annotation as the merge rules resolve it.
        CREATE TABLE annotations (
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            article TEXT NOT NULL,
            exact TEXT NOT NULL,
            prefix TEXT NOT NULL,
            suffix TEXT NOT NULL,
            start INTEGER NOT NULL CHECK (start >= 0),
            "end" INTEGER NOT NULL CHECK ("end" >= start),
            note TEXT NOT NULL,
            motivation TEXT NOT NULL,
            creator TEXT NOT NULL,
            created INTEGER NOT NULL,
            modified INTEGER NOT NULL,
            deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)),
            conflict INTEGER NOT NULL CHECK (conflict IN (0, 1))
        );
        CREATE INDEX annotations_by_article ON annotations(article, start, id);

        CREATE TABLE annotation_tags (
            annotation TEXT NOT NULL,
            tag TEXT NOT NULL,
            display TEXT NOT NULL,
            PRIMARY KEY (annotation, tag)
        ) WITHOUT ROWID;
        CREATE INDEX annotation_tags_by_tag ON annotation_tags(tag);

        -- Projection: tags on whole articles (an observed-remove set per article).
        CREATE TABLE article_tag_events (
            article TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (article, origin, seq)
        ) WITHOUT ROWID;
        CREATE TABLE article_tags (
            article TEXT NOT NULL,
            tag TEXT NOT NULL,
            display TEXT NOT NULL,
            PRIMARY KEY (article, tag)
        ) WITHOUT ROWID;
        CREATE INDEX article_tags_by_tag ON article_tags(tag);

        -- Projection: full-text index of the notes of annotations that are not deleted.
        CREATE VIRTUAL TABLE notes_fts USING fts5(
            note, content='annotations', content_rowid='rowid', tokenize='daftar'
        );
        """

    static let v3 = """
        -- Origins found to equivocate (two validly sealed events at one dot): frozen at the last
        -- agreed event; their later events are neither accepted nor forwarded. A local fact.
        CREATE TABLE frozen_origins (
            origin TEXT PRIMARY KEY NOT NULL,
            seq INTEGER NOT NULL,
            reason TEXT NOT NULL,
            detected INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Peers this replica syncs with, by name.
        CREATE TABLE peers (
            name TEXT PRIMARY KEY NOT NULL,
            url TEXT NOT NULL,
            token_file TEXT
        ) WITHOUT ROWID;
        """

    static let v4 = """
        -- When each tag's displayed spelling was first written, `time:origin:seq` (sortable), so
        -- that tag counts show the first-written spelling across all targets.
        ALTER TABLE annotation_tags ADD COLUMN added TEXT NOT NULL DEFAULT '';
        ALTER TABLE article_tags ADD COLUMN added TEXT NOT NULL DEFAULT '';
        """

    static let v5 = """
        -- The fork proof that froze an origin (canonical JSON, schema/fork-proof.schema.json):
        -- forwarded to peers so that they can verify it before freezing. NULL for origins
        -- frozen by a version before proofs, which peers are then not told about.
        ALTER TABLE frozen_origins ADD COLUMN proof BLOB;

        -- What each other replica was last known to hold (from a sync or a bundle it sent),
        -- canonical JSON of its version vector: what `bundle create --for` sends after. A local fact.
        CREATE TABLE known_heads (
            replica TEXT PRIMARY KEY NOT NULL CHECK (length(replica) = 32),
            heads BLOB NOT NULL,
            updated INTEGER NOT NULL
        ) WITHOUT ROWID;
        ALTER TABLE peers ADD COLUMN replica TEXT;

        -- Append-only, with one exception: a copy stored without its payload (accepted by an
        -- earlier version from a peer that stripped it; `bare`) may take the full event, same
        -- hash, when a peer offers it; the payload's dataHash, checked before, proves it.
        DROP TRIGGER events_refuse_update;
        ALTER TABLE events ADD COLUMN bare INTEGER NOT NULL DEFAULT 0 CHECK (bare IN (0, 1));
        UPDATE events SET bare = 1 WHERE json_type(CAST(body AS TEXT), '$.data') IS NULL;
        CREATE INDEX events_bare ON events(position) WHERE bare = 1;
        CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
        WHEN NOT (
            NEW.position = OLD.position AND NEW.origin = OLD.origin AND NEW.seq = OLD.seq AND NEW.hash = OLD.hash
            AND NEW.prev IS OLD.prev AND NEW.type = OLD.type AND NEW.time = OLD.time AND NEW.is_seal = OLD.is_seal
            AND NEW.arrived = OLD.arrived AND OLD.bare = 1 AND NEW.bare = 0
            AND json_type(CAST(NEW.body AS TEXT), '$.data') = 'object'
        )
        BEGIN
            SELECT RAISE(ABORT, 'events are append-only: UPDATE refused');
        END;
        """

    static let v6 = """
        -- One article per story: copies whose bodies are equal (other line endings, another
        -- scraped tail) are one row in `articles`, shown under the id of the earliest copy, with
        -- every copy in `article_sources`. `story` is the SHA-256 of the parsed body; `content`
        -- that of the original as a reader sees it (line endings and trailing whitespace
        -- ignored). The projections are emptied here and rebuilt from the log on open
        -- (projection version 4); no event changes.
        DELETE FROM articles;
        INSERT INTO articles_fts(articles_fts) VALUES ('delete-all');
        DELETE FROM article_sources;
        UPDATE projection_state SET version = 0;
        ALTER TABLE articles ADD COLUMN story TEXT NOT NULL DEFAULT '';
        CREATE UNIQUE INDEX articles_by_story ON articles(story);
        ALTER TABLE article_sources ADD COLUMN story TEXT NOT NULL DEFAULT '';
        ALTER TABLE article_sources ADD COLUMN content TEXT NOT NULL DEFAULT '';
        CREATE INDEX article_sources_by_story ON article_sources(story, file);
        """

    static let v7 = """
        -- Each sync this store took part in, recorded as it starts: the last log position before
        -- it, so that `--as-of sync:PEER` and `changes --since sync:PEER` can name that moment.
        -- A local fact.
        CREATE TABLE syncs (
            id INTEGER PRIMARY KEY,
            peer TEXT NOT NULL,
            started INTEGER NOT NULL,
            position INTEGER NOT NULL
        );
        CREATE INDEX syncs_by_peer ON syncs(peer, id);

        -- Ingest looks a file name up before reading the file's story.
        CREATE INDEX article_sources_by_file ON article_sources(file);
        """

    static let v8 = """
        -- Projection: what the merge rules keep of each annotation's events (the latest writes,
        -- tags, deletes and restores, as JSON), so an arriving event is applied to it rather
        -- than re-reading all the events before it. Cleared and rebuilt with `annotations`.
        CREATE TABLE annotation_state (
            annotation TEXT PRIMARY KEY NOT NULL,
            state BLOB NOT NULL
        ) WITHOUT ROWID;

        -- `list --as-of` walks the copies newest first.
        CREATE INDEX article_sources_by_time ON article_sources(time, origin, seq);
        """

    static let v9 = """
        -- Projection: the alias events (`daftar alias`), which the group rules read together.
        CREATE TABLE alias_events (
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (origin, seq)
        ) WITHOUT ROWID;

        -- Projection: each spelling in an alias group (folded `word`), the group named by its
        -- smallest folded word, and the spelling as first written.
        CREATE TABLE aliases (
            word TEXT PRIMARY KEY NOT NULL,
            grp TEXT NOT NULL,
            spelling TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX aliases_by_group ON aliases(grp, word);
        """

    static let v10 = """
        -- Projection: versions of a story (near-duplicate bodies, StorySketch). Each comparable
        -- story's smallest shingle hashes, to find the stories it may be a version of; the
        -- story named by its articles row (rowid), which keeps this index small.
        CREATE TABLE story_sketches (
            hash INTEGER NOT NULL,
            article INTEGER NOT NULL,
            PRIMARY KEY (hash, article)
        ) WITHOUT ROWID;

        -- Projection: two stories whose bodies are near-duplicates (a < b), with their similarity.
        CREATE TABLE version_links (
            a TEXT NOT NULL,
            b TEXT NOT NULL,
            similarity REAL NOT NULL,
            PRIMARY KEY (a, b)
        ) WITHOUT ROWID;
        CREATE INDEX version_links_by_b ON version_links(b, a);

        -- Projection: pairs of stories an analyst split apart (article.split, a < b): never linked.
        CREATE TABLE version_splits (
            a TEXT NOT NULL,
            b TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (a, b, origin, seq)
        ) WITHOUT ROWID;

        -- An article's versions: the linked stories, numbered by when each was first archived.
        -- family is the story of version 1, NULL while the article has no other version.
        ALTER TABLE articles ADD COLUMN family TEXT;
        ALTER TABLE articles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE articles ADD COLUMN versions INTEGER NOT NULL DEFAULT 1;
        CREATE INDEX articles_by_family ON articles(family) WHERE family IS NOT NULL;
        """
}
