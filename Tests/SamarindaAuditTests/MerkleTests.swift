import Testing
@testable import SamarindaAudit

/// RFC 6962 hashing against the Certificate Transparency test vectors
/// (certificate-transparency merkle_tree_test.cc, as kept in transparency-dev/merkle).
@Suite struct MerkleTests {
    static let leafInputs: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map { unhex($0)! }
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    // (leaf index, tree size, path) — the "testPaths" of the CT reference tests.
    static let inclusion: [(Int, Int, [String])] = [
        (0, 1, []),
        (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
        (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]
    // (old size, new size, proof) — the "testProofs" of the CT reference tests.
    static let consistency: [(Int, Int, [String])] = [
        (1, 1, []),
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]

    var leaves: [Hash] { Self.leafInputs.map(Merkle.leafHash) }

    @Test func emptyTreeRootIsSHA256OfNothing() {
        #expect(hex(Merkle.emptyRoot) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(MerkleFrontier().root == Merkle.emptyRoot)
    }

    @Test func rootsOfTheEightLeafTreeMatchTheVectors() {
        var frontier = MerkleFrontier()
        for (i, leaf) in leaves.enumerated() {
            frontier.append(leaf)
            #expect(hex(frontier.root) == Self.roots[i], "size \(i + 1), incremental")
            #expect(hex(Merkle.root(leaves[0...i])) == Self.roots[i], "size \(i + 1), recursive")
        }
    }

    @Test func inclusionProofsMatchAndVerify() {
        for (index, size, expected) in Self.inclusion {
            let proof = Merkle.inclusionProof(index: index, leaves: leaves[0..<size])
            #expect(proof.map(hex) == expected, "leaf \(index) in size \(size)")
            let root = unhex(Self.roots[size - 1])!
            #expect(Merkle.verifyInclusion(leafHash: leaves[index], index: index, size: size, proof: proof, root: root))
            // Hostile: another leaf, another root, or an index outside the tree fails.
            if size > 1 {
                #expect(!Merkle.verifyInclusion(leafHash: leaves[(index + 1) % size], index: index, size: size, proof: proof, root: root))
            }
            #expect(!Merkle.verifyInclusion(leafHash: leaves[index], index: index, size: size, proof: proof, root: Merkle.emptyRoot))
            #expect(!Merkle.verifyInclusion(leafHash: leaves[index], index: size, size: size, proof: proof, root: root))
        }
    }

    @Test func consistencyProofsMatchAndVerify() {
        for (old, new, expected) in Self.consistency {
            let proof = Merkle.consistencyProof(oldSize: old, leaves: leaves[0..<new])
            #expect(proof.map(hex) == expected, "\(old) → \(new)")
            let oldRoot = unhex(Self.roots[old - 1])!, newRoot = unhex(Self.roots[new - 1])!
            #expect(Merkle.verifyConsistency(oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: proof))
            if old != new {
                // Hostile: a root that was not the real one at the old size is refused.
                #expect(!Merkle.verifyConsistency(oldSize: old, newSize: new, oldRoot: Merkle.emptyRoot, newRoot: newRoot, proof: proof))
            }
        }
    }

    @Test func consistencyHoldsForEverySizePairOfARandomTree() {
        let many = (0..<37).map { Merkle.leafHash([UInt8($0), 0x5a]) }
        for new in 1...many.count {
            for old in 1...new {
                let proof = Merkle.consistencyProof(oldSize: old, leaves: many[0..<new])
                #expect(Merkle.verifyConsistency(oldSize: old, newSize: new, oldRoot: Merkle.root(many[0..<old]), newRoot: Merkle.root(many[0..<new]), proof: proof))
            }
        }
    }
}
