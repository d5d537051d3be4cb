/// Cuts a page out of a log (DESIGN §5): the events a receiver lacks, in the sender's log
/// order (a causal order), ending where every origin's last included event is a seal, and no
/// larger than a byte budget unless a single sealed run is larger.
///
/// Feed candidate events in log order; ``events`` is the page.
public struct PageBuilder: Sendable {
    public let maxBytes: Int
    private var included: [Event] = []
    private var bytes = 0
    /// How many of `included` end where every origin's last event was a seal (a count, not a
    /// copy: copying the array at each such point made a page of N seals cost N²).
    private var sealedCount = 0
    private var pageBytes = 0
    private var unsealed: Set<ReplicaID> = []
    /// True once the budget is spent: feeding more is pointless.
    public private(set) var isFull = false

    public init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// Offers the next event (in log order) with its size; returns false once the page is full.
    @discardableResult
    public mutating func offer(_ event: Event, size: Int) -> Bool {
        guard !isFull else { return false }
        if bytes + size > maxBytes, sealedCount > 0 {
            isFull = true
            return false
        }
        included.append(event)
        bytes += size
        if event.isSeal { unsealed.remove(event.origin) } else { unsealed.insert(event.origin) }
        if unsealed.isEmpty {
            sealedCount = included.count
            pageBytes = bytes
        }
        return true
    }

    /// The page so far, up to the last point where every origin's last event was a seal.
    public var events: [Event] { sealedCount == included.count ? included : Array(included.prefix(sealedCount)) }

    /// The byte size of ``events``.
    public var size: Int { pageBytes }
}
