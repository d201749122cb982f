import Foundation

/// `[retention]`: how long personal data is kept (UU 27/2022: delete or destroy it when its retention
/// ends). Applied by the running service every `every`, and on demand by `samarinda pdp retention`;
/// a dry run lists exactly what an application would delete.
public struct RetentionConfig: Sendable, Equatable {
    /// Seconds between the service's retention runs; 0: the service never applies retention itself.
    public var everySeconds = 86_400
    /// Conversations not updated for this many seconds are deleted; nil: kept until their owner deletes them.
    public var conversationSeconds: Int?
    /// Collection name → seconds a document version is kept after it was ingested.
    public var collectionSeconds: [String: Int] = [:]
    public init() {}

    /// True when nothing has a retention period (a run has nothing to do).
    public var isEmpty: Bool { conversationSeconds == nil && collectionSeconds.isEmpty }
}

extension SamarindaConfig {
    /// Reads `[retention]` (its own block, so that it merges apart from the other sections).
    static func parseRetention(_ s: TOMLSection, into config: inout SamarindaConfig) {
        func period(_ section: TOMLSection, _ key: String) -> Int?? {
            guard let text = section.string(key) else { return nil }
            guard let seconds = BackupConfig.parseDuration(text) else {
                section.fail(key, "'\(text)' is not a duration: write e.g. \"30d\" or \"365d\" (\"\" to keep without limit)")
                return nil
            }
            return .some(seconds == 0 ? nil : seconds)
        }
        if let v = period(s, "every") { config.retention.everySeconds = v ?? 0 }
        if let v = period(s, "conversations") { config.retention.conversationSeconds = v }
        if let c = s.section("collections") {
            for name in c.keys.sorted() {
                if let v = period(c, name), let seconds = v { config.retention.collectionSeconds[name] = seconds }
            }
            c.finish()
        }
        s.finish()
    }
}

/// `[pdp]`: who the controller is and how its data protection officer is reached, as the record of
/// processing and breach notices name them.
public struct PDPConfig: Sendable, Equatable {
    public var controller = "Pemerintah Kota Samarinda"
    /// How data subjects and the authority reach the DPO (e-mail, telephone, address).
    public var dpoContact = "ppid@samarindakota.go.id"
    /// The authority a breach is notified to (UU 27/2022 Pasal 46 and 58).
    public var authority = "Lembaga Pelindungan Data Pribadi (Kementerian Komunikasi dan Digital)"
    public init() {}
}

extension SamarindaConfig {
    static func parsePDP(_ s: TOMLSection, into config: inout SamarindaConfig) {
        for (key, path) in [("controller", \PDPConfig.controller), ("dpo_contact", \PDPConfig.dpoContact), ("authority", \PDPConfig.authority)] {
            guard let v = s.string(key) else { continue }
            if v.trimmingCharacters(in: .whitespaces).isEmpty || v.contains("\n") {
                s.fail(key, "must be one non-empty line")
            } else { config.pdp[keyPath: path] = v }
        }
        s.finish()
    }
}
