import Foundation
import RallyProtocol

/// The client events of location sharing and the server's, their payloads and the answers to bad ones
/// (docs/live-data.md, "Location sharing"). Pure.
enum LocationPayloads {
    /// What a sharer sends.
    static let shareStart = "share_start"
    static let position = "position"
    static let shareStop = "share_stop"

    /// Why a share ended, as `location_stopped` says it.
    enum StopReason: String {
        /// The sharer sent `share_stop`.
        case stopped
        /// The share's `duration_s` ran out.
        case expired
        /// The sharer's channel closed: they left, disconnected, or lost the right to the topic.
        case left
    }

    struct Position: Equatable {
        var lat: Double
        var lon: Double
        var accuracy: Double?
    }

    struct Refusal: Error, Equatable {
        var reason: String
    }

    static let invalidPosition = Refusal(reason: "InvalidPosition: payload must be {\"lat\": <number -90…90>, "
        + "\"lon\": <number -180…180>, \"accuracy\": <metres 0…100000, optional>}")
    static let invalidShare = Refusal(reason:
        "InvalidShare: payload must be {\"duration_s\": <whole seconds ≥ 1, optional>}")
    static let notSharing = Refusal(reason: "LocationNotShared: send share_start before any position")
    static let expired = Refusal(reason: "LocationShareExpired: the share has ended, send share_start again")
    static let needsUser = Refusal(reason:
        "LocationNeedsUser: only a signed-in user (a uuid sub) shares a position")
    static let needsChannel = Refusal(reason:
        "LocationNeedsChannel: positions are shared from a joined channel, not through the REST API")
    static let unknownEvent = Refusal(reason:
        "UnknownEvent: a location topic takes only share_start, position and share_stop")

    static func tooLarge(_ settings: LocationSettings) -> Refusal {
        Refusal(reason: "PayloadTooLarge: a location payload is at most \(settings.maxPayloadBytes) bytes")
    }

    static func rateLimited(_ settings: LocationSettings) -> Refusal {
        Refusal(reason: "RateLimited: at most \(formatted(settings.positionsPerSecond)) location messages per second "
            + "per user (burst \(settings.burst))")
    }

    /// The JSON object of a location payload within the size limit.
    static func object(_ payload: BroadcastPayload, _ settings: LocationSettings,
                       invalid: Refusal) -> Result<JSONObject, Refusal> {
        guard case .json(let json) = payload, let object = json.objectValue else { return .failure(invalid) }
        guard json.encodedByteCount <= settings.maxPayloadBytes else { return .failure(tooLarge(settings)) }
        return .success(object)
    }

    /// `position`: finite numbers in range; other keys are ignored (never forwarded).
    static func position(_ payload: BroadcastPayload, _ settings: LocationSettings) -> Result<Position, Refusal> {
        object(payload, settings, invalid: invalidPosition).flatMap { object in
            guard let lat = object["lat"]?.doubleValue, lat.isFinite, (-90...90).contains(lat),
                  let lon = object["lon"]?.doubleValue, lon.isFinite, (-180...180).contains(lon) else {
                return .failure(invalidPosition)
            }
            var accuracy: Double?
            if let value = object["accuracy"], !value.isNull {
                guard let metres = value.doubleValue, metres.isFinite, (0...100_000).contains(metres) else {
                    return .failure(invalidPosition)
                }
                accuracy = metres
            }
            return .success(Position(lat: lat, lon: lon, accuracy: accuracy))
        }
    }

    /// `share_start`: the asked duration, nil for the default.
    static func duration(_ payload: BroadcastPayload, _ settings: LocationSettings) -> Result<Int?, Refusal> {
        object(payload, settings, invalid: invalidShare).flatMap { object in
            guard let value = object["duration_s"], !value.isNull else { return .success(nil) }
            guard let seconds = value.intValue, seconds >= 1 else { return .failure(invalidShare) }
            return .success(seconds)
        }
    }

    /// Latitude and longitude to `precisionDigits` decimal places; the accuracy never finer than that rounding
    /// (whole metres), so the receivers are not told more than they get.
    static func rounded(_ position: Position, _ settings: LocationSettings) -> Position {
        let scale = pow(10, Double(settings.precisionDigits))
        func round(_ value: Double) -> Double { ((value * scale).rounded() / scale) + 0 }
        let floor = settings.resolutionMeters
        return Position(lat: round(position.lat), lon: round(position.lon),
                        accuracy: max(position.accuracy ?? floor, floor).rounded(.up))
    }

    /// The server's `location` event: who, where (rounded), when, and until when the share lasts.
    static func location(user: UUID, _ position: Position, at: Date, expiresAt: Date,
                         _ settings: LocationSettings) -> JSON {
        .object(["user_id": .string(user.uuidString.lowercased()),
                 "lat": number(position.lat, digits: settings.precisionDigits),
                 "lon": number(position.lon, digits: settings.precisionDigits),
                 "accuracy": number(position.accuracy ?? settings.resolutionMeters, digits: 0),
                 "at": LivePayloads.timestamp(at),
                 "expires_at": LivePayloads.timestamp(expiresAt)])
    }

    /// The server's `location_stopped` event.
    static func stopped(user: UUID, reason: StopReason) -> JSON {
        .object(["user_id": .string(user.uuidString.lowercased()), "reason": .string(reason.rawValue)])
    }

    /// A number with exactly `digits` decimal places (no exponent, no negative zero).
    static func number(_ value: Double, digits: Int) -> JSON {
        let text = String(format: "%.\(digits)f", value)
        return .number(Double(text) == 0 ? (digits == 0 ? "0" : "0." + String(repeating: "0", count: digits)) : text)
    }

    private static func formatted(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
