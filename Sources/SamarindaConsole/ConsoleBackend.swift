import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SamarindaCore
import SamarindaRuntime

/// What the console works against: the local data folder, or a running service over HTTP.
public enum ConsoleBackend: Sendable {
    case local(Platform)
    case remote(RemoteService)

    var platform: Platform? {
        if case .local(let p) = self { return p }
        return nil
    }
}

/// A running Samarinda.ai service, reached with an API key.
public struct RemoteService: Sendable {
    public let baseURL: String
    let key: String

    public init(baseURL: String, key: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.key = key
    }

    /// Calls the API; an error response becomes a `ConsoleError` with the server's message.
    func call(_ method: String, _ path: String, json: Any? = nil) async throws -> Any {
        guard let url = URL(string: baseURL + path) else { throw ConsoleError("bad --url '\(baseURL)'") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 120
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw ConsoleError("cannot reach \(baseURL): \(error.localizedDescription). Is 'samarinda serve' running there?")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = (try? JSONSerialization.jsonObject(with: data)) ?? String(decoding: data, as: UTF8.self)
        if status >= 400 {
            let message = ((object as? [String: Any])?["error"] as? [String: Any])?["message"] as? String ?? "HTTP \(status)"
            throw ConsoleError("\(message) (HTTP \(status))")
        }
        return object
    }
}
