import DaftarTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `serve --tls-cert --tls-key` (issue: secrets and exposure): HTTPS on loopback with a
/// certificate this test makes, trusted by the client through `$DAFTAR_TLS_CA`.
@Suite("Serving over TLS")
struct TLSTests {
    /// A self-signed certificate for 127.0.0.1 and localhost, and its key (owner-only), made by
    /// `openssl` (which `.ci/run` installs).
    static func certificate(in box: CLISandbox) throws -> (certificate: String, key: String) {
        let certificate = box.path("cert.pem"), key = box.path("key.pem")
        let openssl = try Spawned(
            executable: "/usr/bin/env",
            arguments: [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", certificate,
            ],
            directory: box.directory, environment: ProcessInfo.processInfo.environment)
        guard openssl.waitUntilExit() == (0, false) else { throw CLIError("openssl could not make a test certificate") }
        chmod(key, 0o600)
        return (certificate, key)
    }

    @Test("HTTPS with a test-made certificate: clone and sync work when the CA is trusted, and fail clearly when not")
    func httpsOnLoopback() throws {
        let box = try CLISandbox()
        let (certificate, key) = try Self.certificate(in: box)
        let a = box.path("a.sqlite"), b = box.path("b.sqlite"), c = box.path("c.sqlite")
        let token = try box.writeSecret("token", "tls-test-token-\(UUID().uuidString)\n")
        guard let root = DaftarExecutable.packageRoot else { throw CLIError("package root not found") }
        #expect(try box.run(["ingest", root.appendingPathComponent("seeds").path], store: a).succeeded)

        let server = try box.start(["serve", "--listen", "127.0.0.1:0", "--token-file", token, "--tls-cert", certificate, "--tls-key", key], store: a)
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let url = "https://" + (try server.line(startingWith: "listening on https://", timeout: 60)).trimmingCharacters(in: .whitespaces)

        let trusted = try box.run(["clone", url, "--token-file", token], store: b, environment: ["DAFTAR_TLS_CA": certificate])
        #expect(trusted.succeeded, "\(trusted)")
        #expect(trusted.stdout.contains("cloned"), "\(trusted)")
        let digestA = try box.run(["digest"], store: a).stdout, digestB = try box.run(["digest"], store: b).stdout
        #expect(digestA == digestB)

        // Not trusted: refused, said in one line, nothing written.
        let untrusted = try box.run(["clone", url, "--token-file", token], store: c)
        #expect(untrusted.status == 1, "\(untrusted)")
        #expect(untrusted.stderrLines.count == 1 && untrusted.stderr.contains("TLS certificate is not trusted here; if your team signed it, set DAFTAR_TLS_CA"), "\(untrusted)")
        // Plain HTTP to the HTTPS port gets no answer it could take for the sync API.
        let plain = try box.run(["clone", url.replacingOccurrences(of: "https://", with: "http://"), "--token-file", token, "--timeout", "3"], store: c)
        #expect(plain.status == 1, "\(plain)")

        // The server's log never holds the token.
        #expect(kill(server.pid, SIGTERM) == 0)
        let stopped = try server.wait(timeout: 20)
        #expect(!stopped.stderr.contains(try String(contentsOfFile: token, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(stopped.stderr.contains("POST /v1/pull 200"), "\(stopped)")
    }

    @Test("A TLS key readable by others, a missing key, or a file that is no certificate is refused before listening")
    func badTLSFiles() throws {
        let box = try CLISandbox()
        let (certificate, key) = try Self.certificate(in: box)
        let a = box.path("a.sqlite")
        let token = try box.writeSecret("token", "tls-test-token-\(UUID().uuidString)\n")
        let notPEM = try box.writeSecret("not.pem", "not a certificate\n")
        chmod(key, 0o644)
        let cases: [([String], String)] = [
            (["--tls-cert", certificate, "--tls-key", key], "readable by others"),
            (["--tls-cert", certificate], "--tls-cert needs --tls-key"),
            (["--tls-cert", notPEM, "--tls-key", notPEM], "holds no PEM certificate"),
        ]
        for (flags, reason) in cases {
            let run = try box.run(["serve", "--listen", "127.0.0.1:0", "--token-file", token] + flags, store: a, timeout: 30)
            #expect(run.status == 1 && run.stderr.contains(reason), "\(run)")
            #expect(!run.stdout.contains("listening"), "\(run)")
        }
    }
}
