import Foundation
import RallyPrivacy

/// Demo data that shows the rules (the embedded default directory). Ids are fixed so demo tokens can name them.
///
/// - Alice is `friends_only`; Bob (her accepted friend) sees her activity, Dave (a stranger) does not.
/// - Bob is `public`; anyone signed in sees his public activity. Bob asked Carol; she has not accepted.
/// - Carol is `private`: nobody but Carol sees her profile.
/// - Dave blocked Erin: neither sees anything of the other.
/// - "Rooftop crew" is a private group (Alice, Bob); "Jazz lovers" is public (Bob): anyone signed in reads it.
/// - "Friday dinner" is Alice's plan with Bob (accepted), Carol (invited); Dave declined.
/// - Events: a public catalogue concert, Alice's friends-only birthday drinks, Bob's public open studio and
///   Carol's private book club to which Alice is invited.
public enum DemoData {
    public static let alice = uuid("a11ce000-0000-4000-8000-000000000001")
    public static let bob = uuid("b0b00000-0000-4000-8000-000000000002")
    public static let carol = uuid("ca201000-0000-4000-8000-000000000003")
    public static let dave = uuid("da7e0000-0000-4000-8000-000000000004")
    public static let erin = uuid("e2170000-0000-4000-8000-000000000005")

    public static let rooftopCrew = uuid("60000000-0000-4000-8000-000000000001")
    public static let jazzLovers = uuid("60000000-0000-4000-8000-000000000002")
    public static let fridayDinner = uuid("70000000-0000-4000-8000-000000000001")

    public static let jazzInThePark = uuid("e0000000-0000-4000-8000-000000000001")
    public static let aliceBirthday = uuid("e0000000-0000-4000-8000-000000000002")
    public static let bobOpenStudio = uuid("e0000000-0000-4000-8000-000000000003")
    public static let carolBookClub = uuid("e0000000-0000-4000-8000-000000000004")

    public static let seed = DirectorySeed(
        users: [
            .init(id: alice, name: "Alice", privacy: .friendsOnly),
            .init(id: bob, name: "Bob", privacy: .public),
            .init(id: carol, name: "Carol", privacy: .private),
            .init(id: dave, name: "Dave", privacy: .public),
            .init(id: erin, name: "Erin", privacy: .public),
        ],
        friendships: [
            .init(user: alice, friend: bob, status: .accepted),
            .init(user: bob, friend: carol, status: .pending, initiatedBy: bob),
            .init(user: dave, friend: erin, status: .blocked, initiatedBy: dave),
        ],
        groups: [
            .init(id: rooftopCrew, name: "Rooftop crew", createdBy: alice, privacy: .private, members: [alice, bob]),
            .init(id: jazzLovers, name: "Jazz lovers", createdBy: bob, privacy: .public, members: [bob]),
        ],
        plans: [
            .init(id: fridayDinner, title: "Friday dinner", organizer: alice, participants: [
                .init(user: bob, status: "accepted"), .init(user: carol, status: "invited"),
                .init(user: dave, status: "declined"),
            ]),
        ],
        events: events
    )

    static let events: [DirectorySeed.Event] = [
        .init(id: jazzInThePark, title: "Summer jazz in the park", creator: nil, visibility: .public, capacity: 200,
              attendance: [
                .init(user: alice, status: "going", visibility: .friends),
                .init(user: bob, status: "going", visibility: .public),
                .init(user: dave, status: "going", visibility: .public),
                .init(user: erin, status: "interested", visibility: .private),
              ]),
        .init(id: aliceBirthday, title: "Alice's birthday drinks", creator: alice, visibility: .friends, capacity: 20,
              attendance: [.init(user: bob, status: "going", visibility: .friends)]),
        .init(id: bobOpenStudio, title: "Bob's open studio", creator: bob, visibility: .public),
        .init(id: carolBookClub, title: "Carol's book club", creator: carol, visibility: .private, capacity: 8,
              attendance: [.init(user: alice, status: "interested", visibility: .private)]),
    ]

    /// The literals above are valid (a test checks each one round-trips); the fallback only keeps this total.
    private static func uuid(_ text: String) -> UUID {
        UUIDText.parse(text) ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
    }
}
