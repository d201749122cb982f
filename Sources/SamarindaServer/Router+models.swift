import Foundation
import Hummingbird
import SamarindaCore

/// `GET /v1/models`: the model aliases the caller may use, in OpenAI's list shape.
struct ModelList: ResponseEncodable {
    struct Model: Encodable {
        let id: String
        let object = "model"
        let created: Int
        let owned_by = "samarinda"
        let providers: [String]
    }
    let object = "list"
    let data: [Model]
}

extension SamarindaService {
    func addModelRoutes(to router: Router<ServerContext>) {
        let config = platform.config
        let platform = self.platform
        let started = Int(Date().timeIntervalSince1970)
        router.get("/v1/models") { _, context in
            try await context.authorize(.listModels, platform)
            return ModelList(data: config.models.map { ModelList.Model(id: $0.name, created: started, providers: $0.providers) })
        }
    }
}
