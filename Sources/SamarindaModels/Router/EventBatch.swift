/// Collects events and hands them on together at each `flush`: the streamed chat path moves a batch
/// (what one read from the provider produced) per hop and per network write instead of one event each
/// (issue 18). Used by one task at a time (the model router's stream, `ChatService`'s round loop).
public final class EventBatch<Event>: @unchecked Sendable {
    private var pending: [Event] = []
    private let deliver: ([Event]) -> Void

    public init(_ deliver: @escaping ([Event]) -> Void) { self.deliver = deliver }

    public func yield(_ event: Event) { pending.append(event) }

    public func flush() {
        guard !pending.isEmpty else { return }
        let events = pending
        pending = []
        deliver(events)
    }
}
