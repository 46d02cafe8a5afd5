import Foundation
import Testing
@testable import RemoteAdapter

/// `process_open_fds` and `process_max_fds` as Prometheus' client libraries export them, and the
/// open file limit `serve` raises at start.
@Suite struct ProcessMetricsTests {
    func rendered() -> [String: Double] {
        var w = ExpositionWriter()
        ProcessMetrics.write(to: &w, startTime: Date())
        w.finish()
        var values = [String: Double]()
        for line in String(decoding: w.bytes, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }

    /// Opening files shows in the count (by at least most of them: other tests of this process
    /// open and close files meanwhile), and the maximum is the soft limit.
    @Test func openFilesAreCountedAgainstTheSoftLimit() throws {
        let before = try #require(rendered()["process_open_fds"])
        let opened = try (0..<256).map { _ in try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/null")) }
        let during = try #require(rendered()["process_open_fds"])
        for file in opened { try file.close() }
        #expect(before >= 3)
        #expect(during - before >= 200, "\(before) -> \(during)")
        let limit = try #require(OpenFileLimit.current())
        #expect(rendered()["process_max_fds"] == Double(limit.soft))
    }

    /// `raiseToHard` lifts a soft limit below the hard one up to it (lowered by one first, which
    /// no other test of this process can notice).
    @Test func theSoftLimitIsRaisedToTheHardLimit() throws {
        let (soft, hard) = try #require(OpenFileLimit.current())
        if soft == hard {
            var limit = rlimit(rlim_cur: rlim_t(hard - 1), rlim_max: rlim_t(hard))
            try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        }
        let raised = try #require(OpenFileLimit.raiseToHard())
        #expect(raised.before < hard)
        #expect(raised.after == hard)
        #expect(OpenFileLimit.current()?.soft == hard)
    }
}
