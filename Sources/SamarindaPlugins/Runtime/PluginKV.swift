import Foundation
import SamarindaCore

/// Each plugin's private key/value store (`samarinda.kv.*`), in the platform database.
/// A plugin sees only its own keys: the plugin id is part of every statement, never taken from Lua.
public final class PluginKV: Sendable {
    public static let migrations = MigrationSet("plugins", [1: ("plugin key/value store", """
            CREATE TABLE plugin_kv (
                plugin TEXT NOT NULL,
                key TEXT NOT NULL,
                value TEXT NOT NULL,
                updated_at REAL NOT NULL,
                PRIMARY KEY (plugin, key)
            ) STRICT, WITHOUT ROWID;
            """),
        // What was last recorded as `plugin.load` per plugin, so a load is an audit event only when
        // the plugin's version, files, grants or outcome changed, not on every process start.
        2: ("plugin load state", """
            CREATE TABLE plugin_load_state (
                plugin TEXT PRIMARY KEY,
                digest TEXT NOT NULL
            ) STRICT, WITHOUT ROWID;
            """),
    ])

    /// Bounds so one plugin cannot fill the city's database.
    public static let maxKeyBytes = 256
    public static let maxValueBytes = 1 << 20
    public static let maxKeysPerPlugin = 100_000

    private let database: Database

    public init(database: Database) {
        self.database = database
    }

    public func get(plugin: String, key: String) throws -> JSONValue? {
        let text = try database.read { c in
            try c.queryFirst("SELECT value FROM plugin_kv WHERE plugin = ? AND key = ?", [.text(plugin), .text(key)]) { $0.text(0) }
        }
        return try text.map { try JSONValue.parse($0) }
    }

    public func set(plugin: String, key: String, value: JSONValue) throws {
        let text = value.jsonText
        guard text.utf8.count <= Self.maxValueBytes else { throw PluginError.limitExceeded(.output, "kv value is larger than \(Self.maxValueBytes) bytes") }
        try database.write { c in
            let exists = try c.queryFirst("SELECT 1 FROM plugin_kv WHERE plugin = ? AND key = ?", [.text(plugin), .text(key)]) { _ in true } ?? false
            if !exists {
                let count = try c.queryFirst("SELECT COUNT(*) FROM plugin_kv WHERE plugin = ?", [.text(plugin)]) { $0.int(0) } ?? 0
                if count >= Self.maxKeysPerPlugin { throw PluginError.limitExceeded(.output, "the plugin already stores \(Self.maxKeysPerPlugin) keys") }
            }
            try c.run("INSERT INTO plugin_kv (plugin, key, value, updated_at) VALUES (?,?,?,?) ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                      [.text(plugin), .text(key), .text(text), .real(Date().timeIntervalSince1970)])
        }
    }

    /// Adds `delta` to the integer at `key` (0 when absent) and returns the new value. One write
    /// transaction (`BEGIN IMMEDIATE`) reads and writes, so concurrent increments from any number
    /// of connections and processes on the same database are never lost.
    public func increment(plugin: String, key: String, by delta: Int64) throws -> Int64 {
        try database.write { c in
            let old = try c.queryFirst("SELECT value FROM plugin_kv WHERE plugin = ? AND key = ?", [.text(plugin), .text(key)]) { $0.text(0) }
            var current: Int64 = 0
            if let old {
                guard let n = (try? JSONValue.parse(old))?.numberValue, let i = Int64(exactly: n) else {
                    throw PluginError.pluginError("kv.incr: the value at '\(key)' is not an integer", traceback: nil)
                }
                current = i
            } else {
                let count = try c.queryFirst("SELECT COUNT(*) FROM plugin_kv WHERE plugin = ?", [.text(plugin)]) { $0.int(0) } ?? 0
                if count >= Self.maxKeysPerPlugin { throw PluginError.limitExceeded(.output, "the plugin already stores \(Self.maxKeysPerPlugin) keys") }
            }
            let (sum, overflow) = current.addingReportingOverflow(delta)
            // Beyond 2^53 a JSON number (a Double) no longer holds every integer exactly.
            guard !overflow, abs(sum) <= 9_007_199_254_740_991 else {
                throw PluginError.pluginError("kv.incr: \(current) + \(delta) is beyond ±9007199254740991", traceback: nil)
            }
            try c.run("INSERT INTO plugin_kv (plugin, key, value, updated_at) VALUES (?,?,?,?) ON CONFLICT (plugin, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                      [.text(plugin), .text(key), .text(String(sum)), .real(Date().timeIntervalSince1970)])
            return sum
        }
    }

    /// The value at `key` with its stored text, which `swap` compares against; nil when absent.
    public func read(plugin: String, key: String) throws -> (JSONValue, String)? {
        let text = try database.read { c in
            try c.queryFirst("SELECT value FROM plugin_kv WHERE plugin = ? AND key = ?", [.text(plugin), .text(key)]) { $0.text(0) }
        }
        return try text.map { (try JSONValue.parse($0), $0) }
    }

    /// Compare-and-set: stores `value` (deletes the key when nil) only if the stored text is still
    /// `expected` (nil: the key is still absent), and says whether it did. One `BEGIN IMMEDIATE`
    /// transaction, so the check and the write are atomic across connections and processes.
    public func swap(plugin: String, key: String, expected: String?, value: JSONValue?) throws -> Bool {
        let text = value?.jsonText
        if let text, text.utf8.count > Self.maxValueBytes { throw PluginError.limitExceeded(.output, "kv value is larger than \(Self.maxValueBytes) bytes") }
        let now = SQLValue.real(Date().timeIntervalSince1970)
        return try database.write { c in
            switch (expected, text) {
            case (nil, nil):
                return try c.queryFirst("SELECT 1 FROM plugin_kv WHERE plugin = ? AND key = ?", [.text(plugin), .text(key)]) { _ in true } == nil
            case (nil, let text?):
                let count = try c.queryFirst("SELECT COUNT(*) FROM plugin_kv WHERE plugin = ?", [.text(plugin)]) { $0.int(0) } ?? 0
                if count >= Self.maxKeysPerPlugin { throw PluginError.limitExceeded(.output, "the plugin already stores \(Self.maxKeysPerPlugin) keys") }
                return try c.run("INSERT INTO plugin_kv (plugin, key, value, updated_at) VALUES (?,?,?,?) ON CONFLICT (plugin, key) DO NOTHING",
                                 [.text(plugin), .text(key), .text(text), now]) > 0
            case (let old?, nil):
                return try c.run("DELETE FROM plugin_kv WHERE plugin = ? AND key = ? AND value = ?", [.text(plugin), .text(key), .text(old)]) > 0
            case (let old?, let text?):
                return try c.run("UPDATE plugin_kv SET value = ?, updated_at = ? WHERE plugin = ? AND key = ? AND value = ?",
                                 [.text(text), now, .text(plugin), .text(key), .text(old)]) > 0
            }
        }
    }

    @discardableResult
    public func delete(plugin: String, key: String) throws -> Bool {
        try database.write { c in try c.run("DELETE FROM plugin_kv WHERE plugin = ? AND key = ?", [.text(plugin), .text(key)]) > 0 }
    }

    /// The data protection request that withholds the value at `key` (UU 27/2022 restriction: the value
    /// was moved to `pdp_restricted_kv`, so every read above finds no key), nil when none does. Asked only
    /// after a read found nothing, so reads of present keys pay nothing. A database without the data
    /// protection tables (a plugin test harness) withholds nothing.
    public func withheld(plugin: String, key: String) -> Int64? {
        try? database.read { c in
            try c.queryFirst("SELECT request_id FROM pdp_restricted_kv WHERE plugin = ? AND key = ?", [.text(plugin), .text(key)]) { $0.int64(0) }
        } ?? nil
    }

    /// Keys starting with `prefix`, sorted, at most `limit`.
    public func keys(plugin: String, prefix: String, limit: Int) throws -> [String] {
        try database.read { c in
            try c.query("SELECT key FROM plugin_kv WHERE plugin = ? AND substr(key, 1, length(?)) = ? ORDER BY key LIMIT ?",
                        [.text(plugin), .text(prefix), .text(prefix), .integer(Int64(limit))]) { $0.text(0) }
        }
    }
}
