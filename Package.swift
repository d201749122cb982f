// swift-tools-version: 6.1
// Samarinda.ai — the city of Samarinda's own AI platform.
//
// The architecture is the target list below (described in docs/ARCHITECTURE.md):
//
//   C shims            CLua, CCurl, CSQLite, CEditLine — the Debian C libraries, plus the
//                      C-only concerns (macros as functions, Lua allocator and hooks,
//                      error trampolines, libcurl's variadic setopt).
//   SamarindaCore      configuration, storage, principals/roles/classification,
//                      and the audit *contract* every module writes to.
//   SamarindaAudit     the tamper-evident audit trail (RFC 6962 Merkle tree, hash
//                      chain, Ed25519-signed checkpoints, verify, export, report).
//   SamarindaModels    model providers over libcurl, the router, PII redaction, budgets.
//   SamarindaDocuments ingest, Indonesian analyzer, FTS5 search, access filtering.
//   SamarindaPlugins   manifests, grants, the sandboxed Lua runtime, the host API.
//   SamarindaBackup    online snapshots into encrypted, verifiable archives; restore; schedule.
//   SamarindaRuntime   the application layer: composes the modules into one running
//                      platform (open, migrate, wire audit, close) and holds what every
//                      adapter calls: Policy, ChatService, conversations.
//   SamarindaServer    the HTTP service (OpenAI- and MCP-compatible API): an adapter.
//   SamarindaWeb       the staff web pages (sign-in, chat, tools, documents, auditor view), mounted into the service.
//   SamarindaConsole   the operator REPL.
//   samarinda          the executable: argument parsing only.
//
// Audit, Models, Documents and Plugins depend only on the core: where one needs
// another (a plugin searching documents, search asking for embeddings) it
// declares a small protocol and SamarindaRuntime plugs the real service in.
//
// Data flows one way: request → principal & policy → plugin/tool or model →
// storage → audit. A module may only import the modules listed as its dependencies.
import PackageDescription

// Swift 6 language mode (tools 6.1) gives strict concurrency checking everywhere.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "samarinda",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "samarinda", targets: ["samarinda"]),
        .executable(name: "samarinda-bench", targets: ["SamarindaBench"]),
        .executable(name: "samarinda-fuzz", targets: ["SamarindaFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // YAML reader for the OpenAPI test (docs/openapi.yaml is the source of GET /openapi.json).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // JOSE for OpenID Connect sign-in (ID tokens, access tokens, JWKS; RS256/ES256): SamarindaSSO.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
    ],
    targets: [
        // MARK: C shims over Debian's libraries
        .target(name: "CSQLite", linkerSettings: [.linkedLibrary("sqlite3"), .linkedLibrary("m")]),
        .target(name: "CLua", linkerSettings: [.linkedLibrary("lua5.4")]),
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "CEditLine", linkerSettings: [.linkedLibrary("edit")]),

        // MARK: Core
        .target(
            name: "SamarindaCore",
            dependencies: [
                "CSQLite",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"),
                // scrypt for web users' passwords (KDF.Scrypt, BoringSSL's implementation)
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SamarindaAudit",
            dependencies: [
                "SamarindaCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SamarindaModels",
            dependencies: [
                "SamarindaCore", "CCurl",
                .product(name: "Crypto", package: "swift-crypto"),
                // Budget warnings (80 %, 100 %, provider overrun) go to the service log as well as the audit trail.
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SamarindaDocuments",
            dependencies: [
                "SamarindaCore",
                // .docx files are ZIP archives; ZIPFoundation reads them without shelling out to unzip.
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                // SHA-256 of file contents (re-ingest detection) and of queries (audit digests).
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The stemmer's Hunspell root lists (data generated by Scripts/hunspell-roots, LGPL-3 as
            // their headers say), compiled into the binary: no resource bundle needed at run time.
            resources: [.embedInCode("Analyzer/hunspell-affixed.txt"), .embedInCode("Analyzer/hunspell-bare.txt")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SamarindaPlugins",
            dependencies: [
                "SamarindaCore", "CLua",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Backups: online snapshot, encrypted streamed archive, verify, restore, schedule.
        .target(
            name: "SamarindaBackup",
            dependencies: [
                "SamarindaCore", "SamarindaAudit",
                .product(name: "Crypto", package: "swift-crypto"),
                // scrypt for passphrase-encrypted archives
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                // rewriting the restored configuration's data paths
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: swiftSettings
        ),
        // UU PDP (issue 20): record of processing, data subject requests, retention, breach notices.
        .target(
            name: "SamarindaPDP",
            dependencies: [
                "SamarindaCore", "SamarindaAudit", "SamarindaModels", "SamarindaPlugins",
                // The retention schedule logs its dry run and deletions to the service log.
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SamarindaRuntime",
            dependencies: ["SamarindaCore", "SamarindaAudit", "SamarindaModels", "SamarindaDocuments", "SamarindaPlugins", "SamarindaBackup",
                           "SamarindaPDP"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SamarindaServer",
            dependencies: [
                "SamarindaCore", "SamarindaRuntime", "SamarindaAudit", "SamarindaModels", "SamarindaDocuments", "SamarindaPlugins",
                // The DPO API (Router+pdp.swift).
                "SamarindaPDP",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Serving each connection on its own event loop (EventLoopExecutor.swift).
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // GET /openapi.json: docs/openapi.yaml as JSON, compiled into the binary as bytes
            // (`PackageResources.openapi_json`; no resource bundle needed at run time). OpenAPISpecTests
            // regenerates it and fails while it and the YAML disagree.
            resources: [.embedInCode("OpenAPI/openapi.json")],
            swiftSettings: swiftSettings
        ),
        // OpenID Connect sign-in (issue 19): discovery, JWKS, ID/access token validation, claim mapping.
        // Outbound HTTP only to the configured issuer, through SamarindaModels' libcurl client.
        .target(
            name: "SamarindaSSO",
            dependencies: [
                "SamarindaCore", "SamarindaModels",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The staff web pages (sign-in, chat, tools, documents, auditor view), mounted into the service.
        .target(
            name: "SamarindaWeb",
            dependencies: [
                "SamarindaCore", "SamarindaRuntime", "SamarindaServer", "SamarindaSSO", "SamarindaPDP", "SamarindaDocuments",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SamarindaConsole",
            dependencies: ["SamarindaCore", "SamarindaRuntime", "SamarindaAudit", "SamarindaModels", "SamarindaDocuments", "SamarindaPlugins", "CEditLine"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "samarinda",
            dependencies: [
                "SamarindaCore", "SamarindaRuntime", "SamarindaServer", "SamarindaWeb", "SamarindaConsole", "SamarindaAudit", "SamarindaDocuments",
                "SamarindaPlugins", "SamarindaBackup", "SamarindaSSO", "SamarindaPDP", "SamarindaModels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // The child process of the audit crash test: appends until killed with SIGKILL.
        .executableTarget(
            name: "AuditCrashChild",
            dependencies: ["SamarindaCore", "SamarindaAudit"],
            swiftSettings: swiftSettings
        ),

        // MARK: Benchmarks (Scripts/bench)
        .executableTarget(
            name: "SamarindaBench",
            dependencies: ["SamarindaCore", "SamarindaAudit", "SamarindaModels", "SamarindaDocuments", "SamarindaPlugins", "SamarindaRuntime", "SamarindaServer",
                           // PluginFixture: the benchmark plugins, written as the fuzzer's is.
                           "SamarindaTestSupport"],
            swiftSettings: swiftSettings
        ),

        // MARK: Fuzzing (Scripts/fuzz): the untrusted-input parsers as fuzz targets
        .executableTarget(
            name: "SamarindaFuzz",
            // SamarindaRuntime for the access `Policy` the plugin host is built with.
            dependencies: ["SamarindaCore", "SamarindaModels", "SamarindaDocuments", "SamarindaPlugins", "SamarindaRuntime",
                           // PluginFixture: the fuzzed plugin, written as the benchmarks' are.
                           "SamarindaTestSupport"],
            swiftSettings: swiftSettings
        ),

        // MARK: Tests (one target per module; real SQLite files, real Lua states, real loopback HTTP)
        .testTarget(name: "SamarindaCoreTests", dependencies: ["SamarindaCore"], swiftSettings: swiftSettings),
        .testTarget(name: "SamarindaAuditTests", dependencies: ["SamarindaAudit", "SamarindaCore", "AuditCrashChild"], swiftSettings: swiftSettings),
        // Test support shared by the test targets (loopback stand-ins for the outside world) and, for
        // its fixtures (PluginFixture), by the benchmarks and the fuzzer.
        .target(name: "SamarindaTestSupport", path: "Tests/SamarindaTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "SamarindaModelsTests", dependencies: ["SamarindaModels", "SamarindaCore", "SamarindaTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SamarindaDocumentsTests",
            // The runtime for its `Policy`: the store asks it who may read and write each collection.
            dependencies: ["SamarindaDocuments", "SamarindaCore", "SamarindaRuntime", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        // The runtime for its `Policy`: the host asks it who may list and call each tool.
        .testTarget(name: "SamarindaPluginsTests", dependencies: ["SamarindaPlugins", "SamarindaCore", "SamarindaRuntime"], swiftSettings: swiftSettings),
        .testTarget(name: "SamarindaBackupTests", dependencies: ["SamarindaBackup", "SamarindaRuntime", "SamarindaServer", "SamarindaCore", "SamarindaAudit"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "SamarindaPDPTests", dependencies: ["SamarindaPDP", "SamarindaRuntime", "SamarindaCore", "SamarindaAudit", "SamarindaDocuments",
                                                          "SamarindaPlugins", "SamarindaModels"], swiftSettings: swiftSettings),
        .testTarget(name: "SamarindaRuntimeTests", dependencies: ["SamarindaRuntime", "SamarindaCore", "SamarindaDocuments", "SamarindaAudit", "SamarindaPlugins", "SamarindaTestSupport", "SamarindaModels"], swiftSettings: swiftSettings),
        .testTarget(name: "SamarindaServerTests", dependencies: ["SamarindaServer", "SamarindaAudit", "SamarindaTestSupport", "SamarindaPlugins", "SamarindaCore", "SamarindaRuntime",
                                                             "SamarindaDocuments", "SamarindaModels",
                                                             .product(name: "Yams", package: "Yams"),
                                                             .product(name: "Logging", package: "swift-log"),
                                                             .product(name: "NIOCore", package: "swift-nio"),
                                                             // A route of the test's own (EventLoopExecutorTests).
                                                             .product(name: "Hummingbird", package: "hummingbird")], swiftSettings: swiftSettings),
        .testTarget(name: "SamarindaSSOTests", dependencies: ["SamarindaSSO", "SamarindaCore", "SamarindaTestSupport",
                                                          .product(name: "JWTKit", package: "jwt-kit"),
                                                          .product(name: "Crypto", package: "swift-crypto"),
                                                          .product(name: "_CryptoExtras", package: "swift-crypto")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "SamarindaWebTests", dependencies: ["SamarindaWeb", "SamarindaServer", "SamarindaRuntime", "SamarindaAudit", "SamarindaCore", "SamarindaSSO"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SamarindaCLITests",
            dependencies: ["samarinda", "SamarindaCore", "SamarindaTestSupport"],
            swiftSettings: swiftSettings
        ),
        // Faults (issue 10): broken model providers, full disk, read-only database, SIGKILL mid-ingest,
        // a broken plugin replacing a good one. The real service over loopback, the real binary.
        .testTarget(
            name: "SamarindaFaultTests",
            dependencies: ["samarinda", "SamarindaCore", "SamarindaAudit", "SamarindaRuntime", "SamarindaServer", "SamarindaPlugins", "SamarindaFuzz", "SamarindaDocuments",
                           "SamarindaTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
