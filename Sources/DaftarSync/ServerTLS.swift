import DaftarCore
import Foundation
import NIOSSL

/// A server's certificate and key (`--tls-cert`, `--tls-key`), PEM files; the key must be
/// readable by its owner only.
public struct ServerTLS: Sendable {
    public let certificateFile: String
    public let keyFile: String

    public init(certificateFile: String, keyFile: String) {
        (self.certificateFile, self.keyFile) = (certificateFile, keyFile)
    }

    /// The TLS configuration the server runs with; every problem with the files is named.
    public func configuration() throws -> TLSConfiguration {
        for file in [certificateFile, keyFile] where !FileManager.default.isReadableFile(atPath: file) {
            throw DaftarError(.badInput, "cannot read \(file)")
        }
        if let mode = (try? FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw DaftarError(.badInput, "TLS key \(keyFile) is readable by others; make it owner-only (chmod 600)")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw DaftarError(.badInput, "\(certificateFile) holds no PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw DaftarError(.badInput, "\(certificateFile) holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw DaftarError(.badInput, "\(keyFile) holds no PEM private key (\(error))")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }

    /// `--tls-cert` and `--tls-key` as given: both, or neither.
    public static func given(certificate: String?, key: String?) throws -> ServerTLS? {
        switch (certificate, key) {
        case (nil, nil): return nil
        case let (certificate?, key?): return ServerTLS(certificateFile: certificate, keyFile: key)
        case (nil, _?): throw DaftarError(.badInput, "--tls-key needs --tls-cert (the certificate it goes with)")
        case (_?, nil): throw DaftarError(.badInput, "--tls-cert needs --tls-key (the certificate's private key)")
        }
    }
}
