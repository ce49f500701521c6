#if canImport(Glibc)
import Dispatch
import Foundation
import Glibc
import NIOConcurrencyHelpers
import XCTest

/// Runs one test of this test binary in a child process, for scenarios that must own the whole process (filling
/// its descriptor table), and the synchronous waits such a scenario uses.
enum ChildTest {
    struct Outcome {
        let status: Int32
        let output: String
    }

    /// Runs `test` ("Module.Class/testMethod") in a child process of this binary with `environment` added; the
    /// child is killed if it has not exited after `timeout` seconds.
    static func run(_ test: String, environment: [String: String], timeout: TimeInterval) throws -> Outcome {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("rally-child-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let output = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executablePath())
        process.arguments = [test]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let exited = Self.poll(timeout: timeout) { !process.isRunning }
        if !exited {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try output.close()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return Outcome(status: exited ? process.terminationStatus : -1, output: text)
    }

    /// The environment variable that names the one test a child process is for.
    static let variable = "RALLY_TEST_CHILD"

    /// Runs `test` ("Class/testMethod" of this target) in a child process and asserts that it ran and passed.
    static func assertPasses(_ test: String, timeout: TimeInterval = 60, file: StaticString = #filePath,
                             line: UInt = #line) throws {
        let child = try Self.run("RallyWebSocketTests.\(test)", environment: [Self.variable: test], timeout: timeout)
        XCTAssertEqual(child.status, 0, "the child test failed:\n\(child.output)", file: file, line: line)
        let method = test.split(separator: "/").last.map(String.init) ?? test
        XCTAssertTrue(child.output.contains("\(method)' passed"), child.output, file: file, line: line)
    }

    /// Skips the calling test unless this process is the child started for `test`.
    static func skipUnlessChild(_ test: String) throws {
        guard ProcessInfo.processInfo.environment[Self.variable] == test else {
            throw XCTSkip("runs only in a child process of its own (ChildTest.assertPasses)")
        }
    }

    /// Whether `condition` held before `timeout` seconds passed, checked every 10 ms on this thread.
    static func poll(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { return false }
            usleep(10_000)
        }
        return true
    }

    /// Runs `body` as a task and blocks this (non-task) thread until it ends.
    static func blocking<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) throws -> Value {
        let outcome = NIOLockedValueBox<Result<Value, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let result: Result<Value, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.withLockedValue { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLockedValue { $0! }.get()
    }

    private static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw POSIXError(.ENOENT) }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
#endif
