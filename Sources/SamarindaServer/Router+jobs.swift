import Foundation
import HTTPTypes
import Hummingbird
import SamarindaCore
import SamarindaDocuments
import SamarindaRuntime

extension SamarindaService {
    /// Background ingestion jobs (issue 26): `GET /v1/jobs/{id}` shows a job's progress to the one who
    /// submitted it. Auditors read the trail, not jobs; anyone else is answered as if the job did not exist.
    func addJobRoutes(to router: Router<ServerContext>) {
        let jobs = platform.jobs
        router.get("/v1/jobs/{id}") { _, context in
            // Jobs are documents being filed: the policy's question for reading documents (auditors refused).
            let principal = try await context.authorize(.readDocuments, platform)
            let id = try context.parameters.require("id")
            do {
                return try jsonResponse(try jobs.job(id: id, for: principal).json)
            } catch let e as DocumentsError { throw APIError(module: e) }
        }
    }

    /// Whether an upload is answered with a job (202) rather than read in the request: it needs OCR, is larger
    /// than `IngestJobs.backgroundBytes`, or the client asked with `Prefer: respond-async` (RFC 7240).
    static func runsInBackground(_ request: Request, data: Data, filename: String) -> Bool {
        if request.headers[values: HTTPField.Name("Prefer")!].contains(where: { $0.lowercased().contains("respond-async") }) { return true }
        if data.count > IngestJobs.backgroundBytes { return true }
        guard let format = DocumentFormat(fileName: filename) else { return false }
        return DocumentExtractor.needsOCR(data: data, format: format)
    }

    /// Keeps the upload as a job, starts the runner and answers 202 with the job and where to follow it.
    func acceptJob(data: Data, filename: String, collection: String, classification: Classification, department: String?, title: String?,
                   by principal: Principal) throws -> Response {
        let job: IngestJob
        do {
            job = try platform.jobs.submit(data: data, sourceName: filename, collection: collection, classification: classification,
                                           department: department, title: title, by: principal)
        } catch let e as DocumentsError { throw APIError(module: e) }
        platform.jobs.kick()
        var response = try jsonResponse(job.json.merging(["url": "/v1/jobs/\(job.id)"]) { a, _ in a }, status: .accepted)
        response.headers[.location] = "/v1/jobs/\(job.id)"
        return response
    }
}
