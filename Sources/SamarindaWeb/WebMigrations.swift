import SamarindaCore

extension WebUI {
    /// The web module's table: sessions. Applied when the web is mounted (this module sits above the
    /// runtime, so it migrates its own set). Conversations moved to the runtime (`ConversationStore`),
    /// which creates them when absent; databases from before the move keep the tables this version made.
    public static let migrations = MigrationSet("web", [1: ("sessions and conversations", """
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
            """),
    ])
}
