import Foundation

extension SamarindaConfig {
    /// `base_urls = [...]` of a `[[providers]]` entry: several endpoints serving the same model.
    static func parseFleet(_ urls: [String], provider pc: inout ProviderConfig, section p: TOMLSection) {
        if p.has("base_url") { p.fail("base_urls", "give either base_url (one endpoint) or base_urls (a fleet), not both") }
        if urls.isEmpty { p.fail("base_urls", "lists no endpoint; e.g. base_urls = [\"http://llm-1:8081/v1\", \"http://llm-2:8081/v1\"]") }
        for url in urls where URL(string: url)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            p.fail("base_urls", "'\(url)' is not an http:// or https:// URL")
        }
        if Set(urls).count != urls.count { p.fail("base_urls", "lists the same endpoint twice") }
        if pc.kind == .offline { p.fail("base_urls", "the offline provider has no endpoints") }
        pc.baseURLs = urls
        pc.baseURL = urls.first ?? ""
    }
}
