import Foundation
import SamarindaCore
import SamarindaRuntime

/// The platform's plugin host as a `ToolProvider`. (Interim until the plugin host lands on main.)
struct PlatformTools: ToolProvider {
    let platform: Platform
    func tools(for principal: Principal) async -> [ToolDescriptor] { [] }
    func call(plugin: String, tool: String, arguments: Data, as principal: Principal, requestID: String) async -> ToolOutcome {
        .failure(status: 404, code: "not_found", message: "no plugin '\(plugin)' is loaded; see GET /v1/tools")
    }
}
