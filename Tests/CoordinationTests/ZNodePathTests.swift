@testable import Coordination
import Testing

/// Path rules the in-memory store shares with ZooKeeper's `PathUtils`.
@Suite struct ZNodePathTests {
    @Test func acceptsWhatZooKeeperAccepts() {
        for path in ["/", "/a", "/brokers/ids/1", "/a.b", "/a..b", "/topics/orders-0"] {
            #expect(ZNodePath.isValid(path), "\(path)")
        }
        #expect(ZNodePath.isValid("/queue/", sequential: true), "the suffix is appended before validation")
    }

    @Test func rejectsWhatZooKeeperRejects() {
        for path in ["", "a", "a/b", "/a/", "//a", "/a//b", "/./a", "/a/..", "/a\u{0}b", "/a\u{7F}", "/a\u{FFF5}"] {
            #expect(!ZNodePath.isValid(path), "\(path.debugDescription)")
        }
    }

    @Test func splitsAndJoinsPaths() {
        #expect(ZNodePath.parent(of: "/a/b/c") == "/a/b")
        #expect(ZNodePath.parent(of: "/a") == "/")
        #expect(ZNodePath.parent(of: "/") == "/")
        #expect(ZNodePath.name(of: "/a/b") == "b")
        #expect(ZNodePath.join("/", "a") == "/a")
        #expect(ZNodePath.join("/a", "b") == "/a/b")
        #expect(ZNodePath.ancestorsAndSelf(of: "/a/b/c") == ["/a", "/a/b", "/a/b/c"])
    }

    @Test func sequenceSuffixIsTenDigitsLikeJavasFormat() {
        #expect(ZNodePath.sequenceSuffix(0) == "0000000000")
        #expect(ZNodePath.sequenceSuffix(42) == "0000000042")
        #expect(ZNodePath.sequenceSuffix(Int32.max) == "2147483647")
        #expect(ZNodePath.sequenceSuffix(-5) == "-000000005")
    }
}
