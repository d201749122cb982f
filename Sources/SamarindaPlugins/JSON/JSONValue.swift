import Foundation
import SamarindaCore

extension JSONValue {
    /// Parses JSON text; the error says where the text is not JSON.
    public static func parse(_ text: String) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch let DecodingError.dataCorrupted(context) {
            throw PluginError.invalidArguments("not valid JSON: \((context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription)")
        } catch {
            throw PluginError.invalidArguments("not valid JSON: \(error)")
        }
    }
}
