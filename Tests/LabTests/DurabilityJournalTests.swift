import Foundation
import Testing
@testable import Lab

@Suite struct DurabilityJournalTests {
    @Test func anFsyncMakesTheFileDurableUpToItsSizeBeforeTheCall() {
        let journal = DurabilityJournal.replay("""
        V 1 10
        O 0 0 /d/t-0/0.log
        S 100 /d/t-0/0.log

        """)
        #expect(journal.durableLengths == ["/d/t-0/0.log": 100])
        #expect(journal.synced == ["/d/t-0/0.log"])
        let plan = PowerLossPlan(journal: journal, currentLengths: ["/d/t-0/0.log": 180])
        #expect(plan.cuts == [.init(path: "/d/t-0/0.log", length: 180, durableLength: 100)])
        #expect(plan.droppedBytes == 80)
    }

    @Test func aFileNeverSyncedLosesEverythingButAFileThatPredatesTrackingKeepsItsSize() {
        let journal = DurabilityJournal.replay("""
        V 1 10
        O 0 0 /d/new.log
        O 1 4096 /d/old.log

        """)
        let plan = PowerLossPlan(journal: journal, currentLengths: ["/d/new.log": 500, "/d/old.log": 4096, "/d/untracked": 9])
        #expect(plan.cuts == [.init(path: "/d/new.log", length: 500, durableLength: 0)])
        #expect(plan.filesKnown == 2)
    }

    @Test func truncationsAndOverwritesLowerTheDurableLength() {
        let journal = DurabilityJournal.replay("""
        O 0 0 /d/a
        S 1000 /d/a
        T 600 /d/a
        O 0 0 /d/b
        S 300 /d/b
        W 120 /d/b

        """)
        #expect(journal.durableLengths == ["/d/a": 600, "/d/b": 120])
    }

    @Test func theDurableLengthSurvivesARestartThatReopensTheFile() {
        // Killed with 80 unsynced bytes in the page cache, restarted: the reopen sees 180 bytes but
        // only 100 are on disk until the next fsync.
        let journal = DurabilityJournal.replay("""
        V 1 10
        O 0 0 /d/0.log
        S 100 /d/0.log
        V 1 11
        O 1 180 /d/0.log

        """)
        #expect(journal.durableLengths["/d/0.log"] == 100)
        #expect(journal.processes == 2)
    }

    @Test func renamesMoveFilesAndWholeDirectoriesAndUnlinksForgetThem() {
        let journal = DurabilityJournal.replay("""
        O 0 0 /d/hw.tmp
        S 8 /d/hw.tmp
        R 9 /d/hw.tmp /d/hw
        O 0 0 /d/t-0/0.log
        S 50 /d/t-0/0.log
        R 6 /d/t-0 /d/t-0.deleted
        O 0 0 /d/gone
        U /d/gone
        O 0 0 /d/name with spaces
        S 3 /d/name with spaces
        D /d

        """)
        #expect(journal.durableLengths == ["/d/hw": 8, "/d/t-0.deleted/0.log": 50, "/d/name with spaces": 3])
        #expect(journal.directorySyncs == 1)
        #expect(journal.problems.isEmpty)
    }

    @Test func malformedAndIncompleteLinesAreReportedNotApplied() {
        let journal = DurabilityJournal.replay("O 0 0 /d/a\nS x /d/a\nQ 1\nR 99 /d/a /d/b\nS 40 /d/a")
        #expect(journal.durableLengths == ["/d/a": 0], "the last line has no newline: it was never completely written")
        #expect(journal.problems.count == 4)
        #expect(journal.problems.contains { $0.hasPrefix("line 5: incomplete") })
    }
}

/// The LD_PRELOAD library itself, loaded into a small Python program that writes, syncs, renames
/// and unlinks files the way the broker does.
@Suite struct DurabilityShimTests {
    static var library: String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let path = URL(fileURLWithPath: executable).deletingLastPathComponent().path + "/" + DurabilityTracking.libraryName
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    @Test func theLibraryJournalsWhatTheProgramDidUnderItsRootOnly() throws {
        let library = try #require(Self.library, "swift build builds libSamsaDurability.so next to the test binary")
        let directory = NSTemporaryDirectory() + "samsa-durability-" + UUID().uuidString
        let root = directory + "/data"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journalPath = directory + "/journal"
        let script = """
        import os
        os.chdir("\(root)")
        fd = os.open("seg.log", os.O_RDWR | os.O_CREAT, 0o644)
        os.pwrite(fd, b"a" * 100, 0)
        os.fsync(fd)
        os.pwrite(fd, b"b" * 60, 100)
        os.close(fd)
        t = os.open("\(root)/./cp.tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(t, b"42\\n")
        os.fdatasync(t)
        os.close(t)
        os.rename("cp.tmp", "cp")
        d = os.open("\(root)", os.O_RDONLY | os.O_DIRECTORY)
        os.fsync(d)
        os.close(d)
        g = os.open("doomed", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(g, b"x")
        os.close(g)
        os.unlink("doomed")
        o = os.open("\(directory)/outside", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(o, b"not tracked")
        os.fsync(o)
        os.close(o)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        process.environment = ProcessInfo.processInfo.environment.merging(
            DurabilityTracking.environment(library: library, dataDirectory: root, journal: journalPath, inherited: [:])) { $1 }
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)

        let text = try String(contentsOfFile: journalPath, encoding: .utf8)
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("V ") }.map(String.init)
        #expect(lines == [
            "O 0 0 \(root)/seg.log",
            "S 100 \(root)/seg.log",
            "O 0 0 \(root)/cp.tmp",
            "S 3 \(root)/cp.tmp",
            "R \((root + "/cp.tmp").utf8.count) \(root)/cp.tmp \(root)/cp",
            "D \(root)",
            "O 0 0 \(root)/doomed",
            "U \(root)/doomed",
        ])
        let rollBack = try DurabilityTracking.rollBack(broker: 1, journalPath: journalPath)
        #expect(rollBack.plan.cuts == [.init(path: root + "/seg.log", length: 160, durableLength: 100)])
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/seg.log")
        #expect((attributes[.size] as? NSNumber)?.intValue == 100)
        #expect(try String(contentsOfFile: root + "/cp", encoding: .utf8) == "42\n")
        #expect(try String(contentsOfFile: journalPath, encoding: .utf8).hasSuffix("L 1 60\n"))
    }

    @Test func rollBackRefusesAJournalTheLibraryNeverWrote() throws {
        let path = NSTemporaryDirectory() + "samsa-durability-empty-" + UUID().uuidString
        try "".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: DurabilityTracking.Failure.self) { try DurabilityTracking.rollBack(broker: 1, journalPath: path) }
        #expect(throws: DurabilityTracking.Failure.self) { try DurabilityTracking.rollBack(broker: 1, journalPath: path + ".missing") }
    }
}
