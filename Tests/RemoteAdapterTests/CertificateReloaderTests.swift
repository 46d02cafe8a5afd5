import Foundation
import NIOSSL
import Testing
@testable import RemoteAdapter

/// The bookkeeping behind certificate renewal (SecureEndToEndTests has it through real
/// handshakes): each version of the files is read once, whatever number of handshakes meets it.
@Suite struct CertificateReloaderTests {
    @Test func eachVersionOfTheFilesIsReadOnce() async throws {
        let old = try await TestCertificates(), new = try await TestCertificates()
        defer { old.remove(); new.remove() }
        let reloader = CertificateReloader(
            certificatePath: old.serverCert, certificateStamp: .init(path: old.serverCert),
            keyPath: old.serverKey, keyStamp: .init(path: old.serverKey),
            pair: .init(chain: try NIOSSLCertificate.fromPEMFile(old.serverCert), key: try NIOSSLPrivateKey(file: old.serverKey, format: .pem)))

        // Unchanged files: nothing read, the context's own pair served.
        let unchanged = reloader.refresh(certificateStamp: .init(path: old.serverCert), keyStamp: .init(path: old.serverKey))
        #expect(unchanged.certificateChain == nil && unchanged.privateKey == nil)
        #expect(reloader.reloads.load(ordering: .relaxed) == 0)

        // A key that does not belong to the certificate: refused once, not retried until the
        // files change again; the old pair is still served.
        let strayFile = old.strayKey
        let stray = CertificateReloader(
            certificatePath: old.serverCert, certificateStamp: .init(path: old.serverCert),
            keyPath: strayFile, keyStamp: nil,
            pair: .init(chain: try NIOSSLCertificate.fromPEMFile(old.serverCert), key: try NIOSSLPrivateKey(file: old.serverKey, format: .pem)))
        for _ in 0..<3 {
            let answer = stray.refresh(certificateStamp: .init(path: old.serverCert), keyStamp: .init(path: strayFile))
            #expect(answer.certificateChain == nil)
        }
        #expect(stray.failures.load(ordering: .relaxed) == 1)
        #expect(stray.reloads.load(ordering: .relaxed) == 0)

        // Renewed files met by three handshakes: read once, served to all.
        let reloading = CertificateReloader(
            certificatePath: new.serverCert, certificateStamp: nil, keyPath: new.serverKey, keyStamp: nil,
            pair: .init(chain: try NIOSSLCertificate.fromPEMFile(old.serverCert), key: try NIOSSLPrivateKey(file: old.serverKey, format: .pem)))
        for _ in 0..<3 {
            let answer = reloading.refresh(certificateStamp: .init(path: new.serverCert), keyStamp: .init(path: new.serverKey))
            #expect(answer.certificateChain?.count == 1)
        }
        #expect(reloading.reloads.load(ordering: .relaxed) == 1)
        #expect(reloading.failures.load(ordering: .relaxed) == 0)
        let renewed = try #require(try NIOSSLCertificate.fromPEMFile(new.serverCert).first)
        #expect(reloading.notAfterSeconds == Int(renewed.notValidAfter))
    }
}
