import SamarindaCore

extension WebUI {
    /// The web module's tables: sessions, and conversations with their messages. Applied when the
    /// web is mounted (this module sits above the runtime, so it migrates its own set).
    public static let migrations = MigrationSet(module: "web", migrations: [
        Migration(version: 1, name: "sessions and conversations", sql: """
            CREATE TABLE web_sessions (
                id_hash BLOB PRIMARY KEY,
                principal_id TEXT NOT NULL,
                principal TEXT NOT NULL,
                user_name TEXT,
                csrf_token TEXT NOT NULL,
                epoch INTEGER NOT NULL,
                created_at REAL NOT NULL,
                last_seen_at REAL NOT NULL,
                expires_at REAL NOT NULL
            ) STRICT;
            CREATE TABLE web_conversations (
                id TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                title TEXT NOT NULL,
                classification TEXT NOT NULL,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL
            ) STRICT;
            CREATE INDEX web_conversations_owner ON web_conversations (owner, updated_at);
            CREATE TABLE web_messages (
                id INTEGER PRIMARY KEY,
                conversation_id TEXT NOT NULL REFERENCES web_conversations (id) ON DELETE CASCADE,
                role TEXT NOT NULL,
                content TEXT NOT NULL,
                provider TEXT,
                classification TEXT,
                citations TEXT NOT NULL,
                created_at REAL NOT NULL
            ) STRICT;
            CREATE INDEX web_messages_conversation ON web_messages (conversation_id, id);
            """),
    ])
}
