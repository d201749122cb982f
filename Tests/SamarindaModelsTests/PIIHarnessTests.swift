import Foundation
import Testing
@testable import SamarindaModels

/// The measured goals of issue 17, asserted in the normal suite: the generated corpus (≥ 10,000
/// cases: valid identifiers and invalid look-alikes in many writing contexts) through the redactor.
@Suite("PII recall and precision harness")
struct PIIHarnessTests {
    @Test func recallAndPrecisionMeetTheirGoals() throws {
        let cases = PIIHarness.corpus()
        #expect(cases.count >= 10_000)
        let report = PIIHarness.measure(cases)
        print(report.summary)
        #expect(report.worstRecall.value >= 0.995, "\(report.summary)")
        #expect(report.falsePositiveRate <= 0.001, "\(report.summary)")
    }
}
