import ArgumentParser

/// `rally-loadtest`: a load generator for Rally and for peers such as nginx + Nchan.
/// Every scenario is bounded in count and time, runs on loopback, prints one JSON line per run
/// on stdout and a human summary on stderr, and can write an HTML report.
@main
struct RallyLoadTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rally-loadtest",
        abstract: "Load generator for Rally (Supabase Realtime protocol 1.0.0/2.0.0) and raw WebSocket peers.",
        discussion: """
            Scenarios: storm (connection storm), fanout (one topic, many subscribers), cluster (subscribers over several
            nodes on one Redis; publishing through a node or by Redis PUBLISH), chat (rooms × members; --durable:
            group chat stored in Postgres), capacity (event:<id> counts from RSVPs committed into Postgres), activity
            (friend-activity fanout to feed:<id>), roundtrip (sockets
            each on its own topic, one message in flight each).
            Modes: rally-v1, rally-v2 (Phoenix/Supabase protocol), raw (any WebSocket peer, e.g. nginx + Nchan).
            See loadtest/README.md for the limits and sysctls large runs need.
            """,
        subcommands: [
            StormCommand.self, FanoutCommand.self, ClusterCommand.self, ChatCommand.self, CapacityCommand.self,
            ActivityCommand.self, RevocationCommand.self, RoundTripCommand.self,
            CheckCommand.self,
            SoakCommand.self,
        ]
    )
}
