"""Numbered schema migrations; each runs in one transaction together with its record."""

from __future__ import annotations

import logging

import aiosqlite

__all__ = ["MIGRATIONS", "add_functions", "apply_migrations", "reverse"]

log = logging.getLogger(__name__)

# Append only: a released migration is never edited, a change is a new number.
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE papers (
        id              TEXT PRIMARY KEY,
        version         INTEGER,
        title           TEXT NOT NULL DEFAULT '',
        abstract        TEXT NOT NULL DEFAULT '',
        authors         TEXT NOT NULL DEFAULT '[]',   -- JSON list of names
        authors_text    TEXT NOT NULL DEFAULT '',     -- the same, for full-text search
        published_at    TEXT,                         -- ISO 8601, UTC
        day             TEXT,                         -- YYYY-MM-DD featured or listed
        categories      TEXT NOT NULL DEFAULT '[]',
        upvotes         INTEGER,
        comments        INTEGER,
        github_repo     TEXT,
        github_stars    INTEGER,
        project_page    TEXT,
        ai_summary      TEXT,
        ai_keywords     TEXT NOT NULL DEFAULT '[]',
        thumbnail       TEXT,
        source          TEXT NOT NULL DEFAULT '',
        first_seen      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE INDEX papers_day ON papers(day);

    CREATE TABLE upvote_history (
        paper_id     TEXT NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        observed_at  TEXT NOT NULL,
        upvotes      INTEGER NOT NULL,
        PRIMARY KEY (paper_id, observed_at)
    ) WITHOUT ROWID;

    CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, abstract, authors_text,
        content='papers', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 2'
    );
    -- rank = bm25 with weights for title, abstract, authors: a title word says most.
    INSERT INTO papers_fts(papers_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 4.0)');
    CREATE VIRTUAL TABLE papers_vocab USING fts5vocab(papers_fts, 'row');

    CREATE TRIGGER papers_ai AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts(rowid, title, abstract, authors_text)
        VALUES (new.rowid, new.title, new.abstract, new.authors_text);
    END;
    CREATE TRIGGER papers_ad AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors_text)
        VALUES ('delete', old.rowid, old.title, old.abstract, old.authors_text);
    END;
    CREATE TRIGGER papers_au AFTER UPDATE OF title, abstract, authors_text ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors_text)
        VALUES ('delete', old.rowid, old.title, old.abstract, old.authors_text);
        INSERT INTO papers_fts(rowid, title, abstract, authors_text)
        VALUES (new.rowid, new.title, new.abstract, new.authors_text);
    END;
    """,
    2: """
    -- Titles and authors alone: known-item searches (a title, a surname and some title
    -- words) read far shorter doclists here than in the index that holds abstracts.
    CREATE VIRTUAL TABLE titles_fts USING fts5(
        title, authors_text,
        content='papers', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 2'
    );
    INSERT INTO titles_fts(titles_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0)');
    INSERT INTO titles_fts(titles_fts) VALUES ('rebuild');

    CREATE TRIGGER titles_ai AFTER INSERT ON papers BEGIN
        INSERT INTO titles_fts(rowid, title, authors_text)
        VALUES (new.rowid, new.title, new.authors_text);
    END;
    CREATE TRIGGER titles_ad AFTER DELETE ON papers BEGIN
        INSERT INTO titles_fts(titles_fts, rowid, title, authors_text)
        VALUES ('delete', old.rowid, old.title, old.authors_text);
    END;
    CREATE TRIGGER titles_au AFTER UPDATE OF title, authors_text ON papers BEGIN
        INSERT INTO titles_fts(titles_fts, rowid, title, authors_text)
        VALUES ('delete', old.rowid, old.title, old.authors_text);
        INSERT INTO titles_fts(rowid, title, authors_text)
        VALUES (new.rowid, new.title, new.authors_text);
    END;
    """,
    3: """
    -- Searches reach the full index after the titles index had its say (search.py), so
    -- there a word in the abstract weighs nearly as much as one in the title.
    INSERT INTO papers_fts(papers_fts, rank) VALUES ('rank', 'bm25(2.0, 1.0, 1.0)');
    """,
    4: """
    CREATE TABLE subscriptions (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        platform      TEXT NOT NULL,
        workspace     TEXT NOT NULL DEFAULT '',
        channel       TEXT NOT NULL DEFAULT '',      -- '' for a DM digest
        dm_user       TEXT NOT NULL DEFAULT '',      -- the reader of a DM digest
        owner         TEXT NOT NULL,
        topic         TEXT NOT NULL DEFAULT '',
        categories    TEXT NOT NULL DEFAULT '[]',
        min_upvotes   INTEGER,
        count         INTEGER NOT NULL CHECK (count BETWEEN 1 AND 25),
        source        TEXT NOT NULL CHECK (source IN ('hf', 'arxiv', 'both')),
        at            TEXT NOT NULL,                 -- HH:MM local time
        timezone      TEXT NOT NULL,
        weekdays      TEXT NOT NULL,                 -- e.g. 0,1,2,3,4 (Monday = 0)
        post_empty    INTEGER NOT NULL DEFAULT 1,
        active        INTEGER NOT NULL DEFAULT 1,
        paused_reason TEXT NOT NULL DEFAULT '',
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        CHECK ((channel = '') <> (dm_user = ''))
    );
    CREATE INDEX subscriptions_place ON subscriptions(platform, workspace, channel);
    -- One DM digest per reader per workspace.
    CREATE UNIQUE INDEX subscriptions_one_dm ON subscriptions(platform, workspace, dm_user)
        WHERE dm_user <> '';

    -- One row per subscription and slot: the idempotency key of a scheduled post. The
    -- row is written (pending) before sending and marked sent after.
    CREATE TABLE deliveries (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
        slot            TEXT NOT NULL,               -- UTC ISO time the post was due
        destination     TEXT NOT NULL,
        status          TEXT NOT NULL
            CHECK (status IN ('pending', 'retry', 'sent', 'skipped', 'failed')),
        digest          TEXT NOT NULL DEFAULT '{}',  -- what to send, as JSON
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        error           TEXT NOT NULL DEFAULT '',
        created_at      TEXT NOT NULL,
        sent_at         TEXT,
        UNIQUE (subscription_id, slot)
    );
    CREATE INDEX deliveries_open ON deliveries(status, next_attempt_at)
        WHERE status IN ('pending', 'retry');

    -- Every paper ever sent to a place, so it is never sent there twice.
    CREATE TABLE delivered_papers (
        destination  TEXT NOT NULL,
        paper_id     TEXT NOT NULL,
        delivery_id  INTEGER NOT NULL,
        delivered_at TEXT NOT NULL,
        PRIMARY KEY (destination, paper_id)
    ) WITHOUT ROWID;
    CREATE INDEX delivered_papers_paper ON delivered_papers(paper_id);
    CREATE INDEX delivered_papers_delivery ON delivered_papers(delivery_id);

    CREATE TABLE signals (
        platform   TEXT NOT NULL,
        workspace  TEXT NOT NULL,
        user       TEXT NOT NULL,
        paper_id   TEXT NOT NULL,
        signal     TEXT NOT NULL CHECK (signal IN ('save', 'like', 'dismiss')),
        created_at TEXT NOT NULL,
        PRIMARY KEY (platform, workspace, user, paper_id, signal)
    ) WITHOUT ROWID;
    CREATE INDEX signals_workspace ON signals(platform, workspace, created_at);

    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    5: """
    -- Chat-platform installations (Slack's OAuth flow): one row per installing user and
    -- one bot per workspace. ``data`` is the platform's own record as JSON, tokens
    -- included; '' stands for an absent enterprise or user.
    CREATE TABLE installations (
        platform      TEXT NOT NULL,
        enterprise    TEXT NOT NULL DEFAULT '',
        workspace     TEXT NOT NULL DEFAULT '',
        user          TEXT NOT NULL DEFAULT '',
        data          TEXT NOT NULL,
        installed_at  TEXT NOT NULL,
        PRIMARY KEY (platform, enterprise, workspace, user)
    ) WITHOUT ROWID;

    CREATE TABLE installation_bots (
        platform      TEXT NOT NULL,
        enterprise    TEXT NOT NULL DEFAULT '',
        workspace     TEXT NOT NULL DEFAULT '',
        data          TEXT NOT NULL,
        installed_at  TEXT NOT NULL,
        PRIMARY KEY (platform, enterprise, workspace)
    ) WITHOUT ROWID;
    """,
    6: """
    -- A reader's signals across workspaces (DM digests read them by platform and user).
    CREATE INDEX signals_user ON signals(platform, user, created_at);
    """,
    7: """
    -- One discussion thread per paper per channel: the first "Discuss" claims the row
    -- ('' while the thread is being opened), later ones are sent to its thread.
    CREATE TABLE discussions (
        platform    TEXT NOT NULL,
        workspace   TEXT NOT NULL DEFAULT '',
        channel     TEXT NOT NULL,
        paper_id    TEXT NOT NULL,
        thread      TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL,
        PRIMARY KEY (platform, workspace, channel, paper_id)
    ) WITHOUT ROWID;
    """,
    8: """
    -- Several senders, one delivery: a sender claims an open delivery until its lease
    -- ends; an outcome clears the claim.
    ALTER TABLE deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE deliveries ADD COLUMN claimed_until TEXT;
    -- Rate limits every sender honours: a destination (or a platform, for a global
    -- limit) takes nothing before ``until``.
    CREATE TABLE holds (
        key   TEXT PRIMARY KEY,
        until TEXT NOT NULL
    ) WITHOUT ROWID;
    -- OAuth ``state`` values, valid once until they expire, whichever replica issued them.
    CREATE TABLE oauth_states (
        state      TEXT PRIMARY KEY,
        expires_at TEXT NOT NULL
    ) WITHOUT ROWID;
    """,
    9: """
    -- The vocabulary, stored: each indexed word with the number of papers holding it,
    -- kept by the transaction that writes the papers. A search reads its own words and
    -- its spelling candidates (words with its first two letters, or its last two, by
    -- ``rev``, the word backwards) instead of reading FTS5's whole vocabulary first.
    CREATE TABLE vocabulary (
        term  TEXT PRIMARY KEY,
        docs  INTEGER NOT NULL,
        rev   TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX vocabulary_rev ON vocabulary(rev);
    INSERT INTO vocabulary(term, docs, rev)
        SELECT term, doc, paperbot_reverse(term) FROM papers_vocab;
    """,
}


def reverse(text: str) -> str:
    """``text`` backwards (SQL ``paperbot_reverse``: SQLite has no ``reverse``)."""
    return text[::-1]


async def add_functions(db: aiosqlite.Connection) -> None:
    """The SQL functions paperbot's schema uses, on a new connection."""
    await db.create_function("paperbot_reverse", 1, reverse, deterministic=True)


async def apply_migrations(db: aiosqlite.Connection) -> list[int]:
    """Apply every migration not yet recorded, in order; return the numbers applied."""
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    async with db.execute("SELECT version FROM schema_migrations") as cur:
        done = {row[0] async for row in cur}
    applied = []
    for number in sorted(MIGRATIONS):
        if number in done:
            continue
        # executescript would commit on its own; run the script and its record as one
        # explicit transaction so a failure leaves neither behind.
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{MIGRATIONS[number]}\n"
            f"INSERT INTO schema_migrations(version) VALUES ({number:d});\n"
            "COMMIT;"
        )
        try:
            await db.executescript(script)
        except Exception:
            if db.in_transaction:
                await db.rollback()
            raise
        log.info("applied database migration %d", number)
        applied.append(number)
    return applied
