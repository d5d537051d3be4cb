import Crypto
import DaftarCore
import Foundation
import Testing

@Suite("Events: hashes, chains and seals")
struct EventTests {
    let alice = Identity.generate()
    let mallory = Identity.generate()

    func drafts(_ n: Int, size: Int = 10) -> [EventDraft] {
        (0..<n).map { EventDraft(type: "test.note", data: ["n": .int(Int64($0)), "text": .string(String(repeating: "ی", count: size))]) }
    }

    func commit(_ n: Int, on vv: VersionVector = VersionVector(), size: Int = 10) -> [Event] {
        EventComposer(identity: alice, author: "Alice").compose(drafts(n, size: size), on: vv, time: 1_700_000_000_000)
    }

    /// Re-signs an envelope after tampering, as a forger holding `identity` would.
    func forge(_ envelope: [String: JSONValue], signer: Identity?) throws -> Event {
        var e = envelope
        e["hash"] = .string(Event.computeHash(of: e))
        if let signer {
            e["key"] = .string(signer.publicKeyText)
            let sig = try signer.privateKey.signature(for: ByteEncoding.bytes(hex: e["hash"]!.stringValue!)!)
            e["sig"] = .string(ByteEncoding.base64url(sig))
        } else {
            e["key"] = nil
            e["sig"] = nil
        }
        return try Event(envelope: e)
    }

    @Test func envelopeHasDesignFields() throws {
        let events = commit(2)
        let first = events[0], second = events[1]
        #expect(first.origin == alice.origin)
        #expect(first.origin.rawValue.count == 32)  // 160 bits of SHA-256(key), base32
        #expect(first.origin == ReplicaID(publicKey: alice.privateKey.publicKey.rawRepresentation))
        #expect(first.seq == 1 && second.seq == 2)
        #expect(first.prev == nil && second.prev == first.hash)
        #expect(second.clock[alice.origin] == 2)
        #expect(first.author == "Alice" && first.type == "test.note" && first.time == 1_700_000_000_000)
        #expect(first.dataHash == ByteEncoding.hex(SHA256.hash(data: first.data!.canonicalBytes)))
        // hash covers everything but data, hash, key and sig
        var hashed = second.envelope
        for field in ["data", "hash", "key", "sig"] { hashed[field] = nil }
        #expect(second.hash == ByteEncoding.hex(SHA256.hash(data: JSONValue.object(hashed).canonicalBytes)))
        #expect(!first.isSeal && second.isSeal)
        for event in events { try event.verify() }
    }

    @Test func verificationWorksOnStoredBytes() throws {
        for event in commit(3) {
            let stored = event.canonicalBytes
            let read = try Event(bytes: stored)
            try read.verify()
            #expect(read.canonicalBytes == stored)
            #expect(read == event)
        }
    }

    @Test func unknownFieldsOfANewerReplicaSurviveAndVerify() throws {
        var envelope = commit(1)[0].envelope
        envelope["futureField"] = ["nested": "value"]
        let newer = try forge(envelope, signer: alice)
        let reread = try Event(bytes: newer.canonicalBytes)
        try reread.verify()
        #expect(reread.envelope["futureField"] == ["nested": "value"])
        // …and it is covered by the hash.
        var altered = reread.envelope
        altered["futureField"] = "other"
        #expect(throws: EventError.self) { try Event(envelope: altered).verify() }
    }

    @Test func tamperedDataIsDetected() throws {
        var envelope = commit(1)[0].envelope
        envelope["data"] = ["n": 0, "text": "changed"]
        let error = #expect(throws: EventError.self) { try Event(envelope: envelope).verify() }
        #expect(error?.code == .dataHashMismatch)
    }

    @Test func tamperedEnvelopeIsDetected() throws {
        var envelope = commit(1)[0].envelope
        envelope["time"] = 1_800_000_000_000
        let error = #expect(throws: EventError.self) { try Event(envelope: envelope).verify() }
        #expect(error?.code == .hashMismatch)
    }

    @Test func tamperedStoredBytesAreDetected() throws {
        let event = commit(1)[0]
        var bytes = event.canonicalBytes
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"author\":\"Alice\"", with: "\"author\":\"Eve\"")
        bytes = Array(text.utf8)
        let error = #expect(throws: EventError.self) { try Event(bytes: bytes).verify() }
        #expect(error?.code == .hashMismatch)
    }

    @Test func redactedDataStillChains() throws {
        let events = commit(2)
        var envelope = events[1].envelope
        envelope["data"] = nil
        let redacted = try Event(envelope: envelope)
        try redacted.verify()
        var verifier = ChainVerifier(heads: VersionVector())
        try verifier.accept(events[0])
        try verifier.accept(redacted)
        try verifier.requireSealedHeads()
    }

    @Test func brokenChainLinkIsDetected() throws {
        let events = commit(3)
        var envelope = events[1].envelope
        envelope["prev"] = .string(String(repeating: "0", count: 64))
        let relinked = try forge(envelope, signer: nil)
        try relinked.verify()  // consistent on its own…
        var verifier = ChainVerifier(heads: VersionVector())
        try verifier.accept(events[0])
        let error = #expect(throws: EventError.self) { try verifier.accept(relinked) }  // …but not linked
        #expect(error?.code == .brokenChain)
    }

    @Test func gapsAndReorderingAreDetected() throws {
        let events = commit(3)
        var verifier = ChainVerifier(heads: VersionVector())
        try verifier.accept(events[0])
        let error = #expect(throws: EventError.self) { try verifier.accept(events[2]) }
        #expect(error?.code == .brokenChain)
    }

    @Test func missingCausalDependencyIsDetected() throws {
        let aliceEvents = commit(2)
        var afterAlice = VersionVector()
        afterAlice[alice.origin] = ChainHead(seq: 2, hash: aliceEvents[1].hash)
        let bob = Identity.generate()
        let bobEvents = EventComposer(identity: bob, author: "Bob").compose(drafts(1), on: afterAlice, time: 1)
        var verifier = ChainVerifier(heads: VersionVector())
        let error = #expect(throws: EventError.self) { try verifier.accept(bobEvents[0]) }
        #expect(error?.code == .brokenChain)
        for e in aliceEvents + bobEvents { try verifier.accept(e) }
    }

    @Test func sealSignedByAnotherKeyIsRefused() throws {
        let seal = commit(1)[0]
        var envelope = seal.envelope
        let sig = try mallory.privateKey.signature(for: ByteEncoding.bytes(hex: seal.hash)!)
        envelope["sig"] = .string(ByteEncoding.base64url(sig))
        let error = #expect(throws: EventError.self) { try Event(envelope: envelope).verify() }
        #expect(error?.code == .badSeal)
    }

    @Test func sealWhoseKeyDoesNotCertifyTheOriginIsRefused() throws {
        // Mallory signs an event claiming Alice's origin with her own (valid) signature.
        let forged = try forge(commit(1)[0].envelope, signer: mallory)
        let error = #expect(throws: EventError.self) { try forged.verify() }
        #expect(error?.code == .badSeal)
    }

    @Test func unsealedTailIsRefused() throws {
        let events = commit(3)
        var verifier = ChainVerifier(heads: VersionVector())
        try verifier.accept(events[0])
        try verifier.accept(events[1])
        let error = #expect(throws: EventError.self) { try verifier.requireSealedHeads() }
        #expect(error?.code == .unsealed)
        try verifier.accept(events[2])
        try verifier.requireSealedHeads()
    }

    @Test func longCommitsAreSealedEvery256Events() {
        let events = commit(600)
        let seals = events.enumerated().filter { $0.element.isSeal }.map { $0.offset + 1 }
        #expect(seals == [256, 512, 600])
    }

    @Test func longCommitsAreSealedEveryMebibyte() {
        let events = commit(8, size: 150_000)  // ~300 KB of UTF-8 each
        let seals = events.enumerated().filter { $0.element.isSeal }.map { $0.offset + 1 }
        #expect(seals == [4, 8])
        var bytesSinceSeal = 0
        for event in events {
            bytesSinceSeal += event.canonicalBytes.count
            if event.isSeal { bytesSinceSeal = 0 }
            #expect(bytesSinceSeal <= EventComposer.sealEveryBytes + 400_000)
        }
    }

    @Test func textIsNormalisedToNFC() throws {
        let decomposed = "e\u{301}"  // é as e + combining acute
        let events = EventComposer(identity: alice, author: "Ale\u{301}x").compose(
            [EventDraft(type: "test.note", data: ["text": .string(decomposed)])], on: VersionVector(), time: 0)
        #expect(events[0].data?["text"]?.stringValue?.unicodeScalars.map(\.value) == [0xE9])
        #expect(events[0].author.unicodeScalars.map(\.value) == Array("Al".unicodeScalars.map(\.value)) + [0xE9, 0x78])
    }

    @Test func keyFileRoundTrip() throws {
        let restored = try #require(Identity(keyFileText: alice.keyFileText))
        #expect(restored.origin == alice.origin)
        #expect(Identity(keyFileText: "garbage") == nil)
        #expect(Identity(keyFileText: "daftar-ed25519-v1 AAAA") == nil)
    }

    @Test func happenedBeforeAndConcurrency() {
        let a = commit(1)[0]
        var afterA = VersionVector()
        afterA[alice.origin] = ChainHead(seq: 1, hash: a.hash)
        let bob = Identity.generate(), carol = Identity.generate()
        let b = EventComposer(identity: bob, author: "Bob").compose(drafts(1), on: afterA, time: 0)[0]
        let c = EventComposer(identity: carol, author: "Carol").compose(drafts(1), on: VersionVector(), time: 0)[0]
        #expect(a.happened(before: b) && !b.happened(before: a))
        #expect(a.isConcurrent(with: c) && b.isConcurrent(with: c))
        #expect(!a.isConcurrent(with: a))
    }

    @Test func versionVectorTextForm() throws {
        var vv = VersionVector()
        vv[alice.origin] = ChainHead(seq: 3, hash: "x")
        vv[mallory.origin] = ChainHead(seq: 1, hash: "y")
        let text = vv.description
        let parsed = try #require(VersionVector.parseSeqs(text))
        #expect(parsed == [alice.origin: 3, mallory.origin: 1])
        #expect(VersionVector.parseSeqs("nope:1") == nil)
    }
}

@Suite("NFC fast path")
struct NFCTests {
    /// Every scalar the fast path treats as stable is unchanged by Foundation's NFC, alone and
    /// after each letter it could follow.
    @Test func stableScalarsAreStable() {
        let ranges: [ClosedRange<UInt32>] = [0x00...0x2FF, 0x0600...0x06FF, 0x2000...0x206F, 0x20AC...0x20AC]
        for range in ranges {
            for v in range {
                guard let s = Unicode.Scalar(v), String.isNFCStableForTesting(s) else { continue }
                let text = String(s)
                #expect(text.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(text.unicodeScalars), "U+\(String(v, radix: 16))")
            }
        }
    }

    @Test func textsWithCombiningMarksAreNormalised() {
        #expect("ا\u{0653}".nfc == "\u{0622}")       // alef + madda → آ
        #expect("ي\u{0654}".nfc == "\u{0626}")       // yeh + hamza above → ئ
        #expect("e\u{0301}".nfc == "\u{E9}")
        #expect("\u{212B}".nfc == "\u{C5}")          // Ångström sign (a singleton)
        let persian = "وزارت دفاع روسیه، ۱۴۰۴ — «بین‌المللی»"
        #expect(persian.nfc == persian)
    }
}
