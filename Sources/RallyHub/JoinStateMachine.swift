import RallyAuth
import RallyProtocol

/// One channel join as a pure state machine: authorize → subscribe → feeds live → (presence read) → acknowledged,
/// with the revocation of access and the end of the channel (leave, re-join, close, socket end) as inputs at any
/// step. It performs nothing: `ClientConnection` feeds it each asynchronous completion and performs the actions it
/// returns, in order. A join that reached `closed` answers every later completion with no action: whatever that
/// completion built (the subscription, the feeds' join) was already undone by the actions `ended` returned.
struct JoinStateMachine {
    enum State {
        /// The token is being verified and the authorizer asked.
        case authorizing
        /// Authorized: the subscription is being put in the topic table.
        case subscribing
        /// Subscribed: the live feeds are making the topic's inputs live. `readsPresence`: presence is sent at ack.
        case awaitingFeeds(readsPresence: Bool)
        /// The feeds are live; presence is being read again (it may depend on what the feeds' join read). Boxed
        /// (`indirect`): the backlog waits here briefly, and every channel's record would otherwise carry its room.
        indirect case awaitingPresence(JoinBacklog)
        /// Acknowledged: the ok reply went out, the held live messages were released.
        case joined
        /// Refused or ended; nothing more happens.
        case closed
    }

    enum Input {
        case authorized(Identity, TopicAccess)
        case refused(reason: String, metric: String)
        /// The subscription is in the topic table; `readsPresence` when the hub answered with a presence state.
        case subscribed(readsPresence: Bool)
        case subscribeFailed
        case feedsReady(JoinBacklog)
        case feedsRefused(reason: String)
        case feedsFailed
        case presenceRead(JSON)
        /// A change of the facts behind the join rules may concern this channel.
        case accessMayHaveChanged
        /// The channel ends without an error of the join (leave, re-join, close, socket end).
        case ended
    }

    enum Action {
        /// Create the subscription with this identity and access and put it in the topic table.
        case subscribe(Identity, TopicAccess)
        case startFeeds
        case readPresence
        /// The ok reply, the backlog, `presence_state` (when given), then the held live messages.
        case acknowledge(JoinBacklog, presenceState: JSON?)
        /// Decide the channel's access again (with the identity it holds).
        case recheckAccess
        /// Undo the subscription (take it out of the topic table).
        case unsubscribe
        /// Tell the feeds the join is gone (every feeds' join gets exactly one leave).
        case leaveFeeds
        /// Forget the channel and send the (delayed) error reply to the join.
        case refuse(reason: String, metric: String)
    }

    static let busUnavailable = "BusUnavailable: the bus between nodes is unreachable, please retry"
    static let feedFailed = "Unknown Error on Channel"

    private(set) var state: State = .authorizing
    /// Access may have changed while authorizing (the decision may predate it): decide again once acknowledged.
    private(set) var recheckPending = false

    /// Authorized (the topic takes messages, revocation acts at once).
    var isAuthorized: Bool {
        if case .authorizing = state { return false }
        if case .closed = state { return false }
        return true
    }

    /// The feeds were told of the join (and must be told of its end).
    var isFeedJoined: Bool {
        switch state {
        case .awaitingFeeds, .awaitingPresence, .joined: return true
        case .authorizing, .subscribing, .closed: return false
        }
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    mutating func receive(_ input: Input) -> [Action] {
        switch (state, input) {
        case (.closed, _):
            return []
        case (_, .ended):
            return close(reason: nil)
        case (.authorizing, .accessMayHaveChanged):
            recheckPending = true
            return []
        case (_, .accessMayHaveChanged):
            return [.recheckAccess]
        case (.authorizing, .authorized(let identity, let access)):
            state = .subscribing
            return [.subscribe(identity, access)]
        case (.authorizing, .refused(let reason, let metric)):
            return close(reason: (reason, metric))
        case (.subscribing, .subscribed(let readsPresence)):
            state = .awaitingFeeds(readsPresence: readsPresence)
            return [.startFeeds]
        case (.subscribing, .subscribeFailed):
            return close(reason: (Self.busUnavailable, "bus_unavailable"))
        case (.awaitingFeeds(true), .feedsReady(let backlog)):
            state = .awaitingPresence(backlog)
            return [.readPresence]
        case (.awaitingFeeds(false), .feedsReady(let backlog)):
            return acknowledge(backlog, presenceState: nil)
        case (.awaitingFeeds, .feedsRefused(let reason)):
            return close(reason: (reason, "feed_refused"))
        case (.awaitingFeeds, .feedsFailed):
            return close(reason: (Self.feedFailed, "feed_failed"))
        case (.awaitingPresence(let backlog), .presenceRead(let presence)):
            return acknowledge(backlog, presenceState: presence)
        default:
            // A completion out of order (it cannot come from the connection, which asks one step at a time).
            return []
        }
    }

    private mutating func acknowledge(_ backlog: JoinBacklog, presenceState: JSON?) -> [Action] {
        state = .joined
        let recheck = recheckPending
        recheckPending = false
        return [.acknowledge(backlog, presenceState: presenceState)] + (recheck ? [.recheckAccess] : [])
    }

    /// Undoes what the join holds, then refuses it when `reason` is given.
    private mutating func close(reason: (String, String)?) -> [Action] {
        var actions: [Action] = []
        if isAuthorized { actions.append(.unsubscribe) }
        if isFeedJoined { actions.append(.leaveFeeds) }
        if let (text, metric) = reason { actions.append(.refuse(reason: text, metric: metric)) }
        state = .closed
        recheckPending = false
        return actions
    }
}
