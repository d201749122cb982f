import Foundation
import SamarindaCore

/// A request the policy refused. Adapters report it by its kind (HTTP: 403 with `code`); its audit
/// event (`access.deny`) is already written.
public struct PolicyRefusal: KindedError, CustomStringConvertible {
    public let action: AccessAction
    public let decision: AccessDecision

    public var errorKind: ErrorKind { .forbidden }
    public var errorCode: String { decision.code }
    public var errorMessage: String { decision.message }
    public var description: String { decision.message }
}

/// The entry point an adapter names in refusal events (`via`), so the trail tells the paths apart.
public enum Entry: String, Sendable {
    case http, mcp, web, cli, console
}

extension Platform {
    /// Asks the policy whether `principal` may do `action`; a refusal is recorded as an `access.deny`
    /// event (target: the action's name, outcome: the reason's code, `via`: the entry point) and thrown
    /// as `PolicyRefusal`. Every adapter calls this, so the same question gets the same answer and
    /// the same event from HTTP, MCP, the web, the CLI and the console.
    @discardableResult
    public func authorize(_ action: AccessAction, _ principal: Principal, via: Entry, requestID: String? = nil) async throws -> Principal {
        let decision = policy.decide(action, for: principal)
        guard !decision.allowed else { return principal }
        var level = Classification.biasa
        switch action {
        case .chat(let c?), .embed(let c?), .fileDocument(let c?): level = c
        case .callTool(let t): level = t.classification
        default: break
        }
        await recordRefusal(AuditEvent(actor: AuditActor(principal), action: "access.deny", target: action.name, classification: level,
                                       outcome: .denied(code: decision.code), fields: ["via": via.rawValue], requestID: requestID),
                            source: principal.id)
        throw PolicyRefusal(action: action, decision: decision)
    }

    /// Records a refusal event through the flood-bounded ledger. A trail that cannot record it does
    /// not change the answer: the request is refused either way, and nothing was done.
    public func recordRefusal(_ event: AuditEvent, source: String) async {
        try? await refusals.record(event, source: source)
    }

    /// The principal of an API key presented at the command line or console (`--as`, `as smd_…`).
    /// A key that does not verify is an `auth.fail` event, as over HTTP, and the error is rethrown.
    public func verifyKey(_ presented: String, via: Entry) async throws -> Principal {
        do {
            return try keys.verify(presented)
        } catch let error as KeyVerificationError {
            var actor = AuditActor.anonymous
            actor.keyID = KeyStore.keyID(ofPresented: presented)
            await recordRefusal(AuditEvent(actor: actor, action: "auth.fail", target: "--as", outcome: .denied(code: error.code),
                                           fields: ["via": via.rawValue]), source: "local")
            throw error
        }
    }
}
