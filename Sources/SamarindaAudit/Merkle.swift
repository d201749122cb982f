import Crypto

// {====== RFC 6962 Merkle tree hashing ======}
//
// Written here rather than taken from a package: no maintained Swift package
// implements RFC 6962 trees with inclusion and consistency proofs, and the
// whole of it is the ~150 lines below, checked against the Certificate
// Transparency test vectors in MerkleTests.swift.

/// A SHA-256 hash: 32 bytes.
public typealias Hash = [UInt8]

@inline(__always)
func sha256(_ parts: [UInt8]...) -> Hash {
    var hasher = SHA256()
    for part in parts { hasher.update(data: part) }
    return hasher.finalize().withUnsafeBytes { Array($0) }
}

/// The hashing and proofs of RFC 6962 §2.1 (RFC 9162 §2.1): a leaf is
/// `SHA-256(0x00 ‖ data)`, an interior node `SHA-256(0x01 ‖ left ‖ right)`, and the
/// tree over n leaves splits at the largest power of two smaller than n.
public enum Merkle {
    /// The root of the empty tree: SHA-256 of the empty string.
    public static let emptyRoot: Hash = sha256([])

    // Hashing goes through `update(bufferPointer:)` with the prefix byte on the stack: the generic
    // `update(data:)` and a fresh `[0x00]` array per call were a fifth of verification time.
    public static func leafHash(_ data: [UInt8]) -> Hash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }
        data.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }

    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x01)) { hasher.update(bufferPointer: $0) }
        left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }

    /// MTH(D[n]) over leaf hashes (recursive definition; for proofs and tests, O(n)).
    public static func root(_ leaves: ArraySlice<Hash>) -> Hash {
        switch leaves.count {
        case 0: return emptyRoot
        case 1: return leaves[leaves.startIndex]
        default:
            let k = splitPoint(leaves.count)
            let mid = leaves.startIndex + k
            return nodeHash(root(leaves[leaves.startIndex..<mid]), root(leaves[mid...]))
        }
    }

    /// The largest power of two strictly smaller than n (n ≥ 2).
    static func splitPoint(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// PATH(m, D[n]): the inclusion proof of leaf `index` in the tree over `leaves`.
    public static func inclusionProof(index: Int, leaves: ArraySlice<Hash>) -> [Hash] {
        guard leaves.count > 1, index >= 0, index < leaves.count else { return [] }
        let k = splitPoint(leaves.count)
        let mid = leaves.startIndex + k
        if index < k {
            return inclusionProof(index: index, leaves: leaves[leaves.startIndex..<mid]) + [root(leaves[mid...])]
        }
        return inclusionProof(index: index - k, leaves: leaves[mid...]) + [root(leaves[leaves.startIndex..<mid])]
    }

    /// The leaf ranges whose roots, in order, are `inclusionProof(index:…)` over `size` leaves (the
    /// sibling subtree at each split, from the leaf up), so a proof can be computed in one streamed
    /// pass over the leaves with a frontier per range instead of holding every leaf hash.
    public static func inclusionProofRanges(index: Int, size: Int) -> [Range<Int>] {
        func ranges(_ index: Int, _ lo: Int, _ hi: Int) -> [Range<Int>] {
            guard hi - lo > 1 else { return [] }
            let k = splitPoint(hi - lo)
            if index < k { return ranges(index, lo, lo + k) + [(lo + k)..<hi] }
            return ranges(index - k, lo + k, hi) + [lo..<(lo + k)]
        }
        guard index >= 0, index < size else { return [] }
        return ranges(index, 0, size)
    }

    /// PROOF(m, D[n]): the consistency proof between the first `oldSize` leaves and all of `leaves`.
    public static func consistencyProof(oldSize: Int, leaves: ArraySlice<Hash>) -> [Hash] {
        guard oldSize > 0, oldSize <= leaves.count else { return [] }
        return subproof(oldSize, leaves, complete: true)
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<Hash>, complete: Bool) -> [Hash] {
        let n = leaves.count
        if m == n { return complete ? [] : [root(leaves)] }
        let k = splitPoint(n)
        let mid = leaves.startIndex + k
        if m <= k {
            return subproof(m, leaves[leaves.startIndex..<mid], complete: complete) + [root(leaves[mid...])]
        }
        return subproof(m - k, leaves[mid...], complete: false) + [root(leaves[leaves.startIndex..<mid])]
    }

    /// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(leafHash: Hash, index: Int, size: Int, proof: [Hash], root: Hash) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leafHash
        for p in proof {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Verifies a consistency proof between two tree heads (RFC 9162 §2.1.4.2).
    public static func verifyConsistency(oldSize: Int, newSize: Int, oldRoot: Hash, newRoot: Hash, proof: [Hash]) -> Bool {
        guard oldSize >= 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1, sn = newSize - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path[0], sr = path[0]
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 && fr == oldRoot && sr == newRoot
    }
}

/// The right edge of a growing tree: the roots of its perfect subtrees, largest first
/// (one per set bit of `size`). Enough to append a leaf and to compute the root in
/// O(log n), so neither the writer nor the verifier keeps every leaf.
public struct MerkleFrontier: Sendable, Equatable {
    public private(set) var size: Int = 0
    public private(set) var hashes: [Hash] = []

    public init() {}

    /// A frontier read back from storage; nil when the hash count does not match the size.
    public init?(size: Int, hashes: [Hash]) {
        guard size >= 0, hashes.count == size.nonzeroBitCount, hashes.allSatisfy({ $0.count == 32 }) else { return nil }
        self.size = size
        self.hashes = hashes
    }

    public mutating func append(_ leafHash: Hash) {
        hashes.append(leafHash)
        // Each trailing one bit of the old size is a perfect subtree that the new leaf completes.
        var n = size
        while n & 1 == 1 {
            let right = hashes.removeLast()
            let left = hashes.removeLast()
            hashes.append(Merkle.nodeHash(left, right))
            n >>= 1
        }
        size += 1
    }

    public var root: Hash {
        guard var r = hashes.last else { return Merkle.emptyRoot }
        for h in hashes.dropLast().reversed() { r = Merkle.nodeHash(h, r) }
        return r
    }

    /// The hashes concatenated, for storage.
    var serialized: [UInt8] { hashes.flatMap { $0 } }

    init?(size: Int, serialized bytes: [UInt8]) {
        guard bytes.count % 32 == 0 else { return nil }
        let hashes = stride(from: 0, to: bytes.count, by: 32).map { Array(bytes[$0..<$0 + 32]) }
        self.init(size: size, hashes: hashes)
    }
}
