import Foundation
import NIOCore
import RallyDirectory
import RallyHub
import RallyPrivacy
import RallyProtocol

/// Client broadcasts on live topics: a chat `message` is checked and stored (fanned out from the change feed),
/// `typing` is ephemeral and rate-limited; nil for everything else (an ordinary broadcast unless reserved).
extension LiveFeeds {
    func chatWrite(_ write: FeedWrite, group: UUID) -> WriteDisposition? {
        switch write.event {
        case LiveEvents.message:
            switch validatedMessage(write, group: group) {
            case .success(let message):
                let limit = WriteLimit(name: "chat", perSecond: settings.chatPerSecond, burst: settings.chatBurst)
                return .store(limit) { [store] loop in
                    loop.futureFromTask {
                        let stored = try await store.storeMessage(message)
                        return .object(["id": .string(String(stored.id)),
                                        "inserted_at": LivePayloads.timestamp(stored.createdAt)])
                    }
                }
            case .failure(let refusal):
                return .refuse(refusal.reason)
            }
        case "typing":
            return .publishLimited(WriteLimit(name: "typing", perSecond: settings.typingPerSecond,
                                              burst: settings.typingBurst))
        default:
            return nil
        }
    }

    struct MessageRefusal: Error { var reason: String }

    /// A chat message must be `{"body": <non-empty string>, "metadata"?: <object>}` within the size limits.
    func validatedMessage(_ write: FeedWrite, group: UUID) -> Result<NewMessage, MessageRefusal> {
        guard case .json(let payload) = write.payload, let object = payload.objectValue,
              let body = object["body"]?.stringValue, !body.isEmpty else {
            return .failure(MessageRefusal(reason:
                "InvalidMessage: payload must be {\"body\": <non-empty string>, \"metadata\": <object, optional>}"))
        }
        guard body.utf8.count <= settings.maxMessageBodyBytes else {
            return .failure(MessageRefusal(reason:
                "MessageTooLarge: body is over \(settings.maxMessageBodyBytes) bytes"))
        }
        var metadata = "{}"
        if let value = object["metadata"], !value.isNull {
            guard case .object = value else {
                return .failure(MessageRefusal(reason: "InvalidMessage: metadata must be an object"))
            }
            guard value.encodedByteCount <= settings.maxMessageMetadataBytes else {
                return .failure(MessageRefusal(reason:
                    "MessageTooLarge: metadata is over \(settings.maxMessageMetadataBytes) bytes"))
            }
            metadata = value.serializedString()
        }
        let author = write.join.identity.subject.flatMap(UUIDText.parse)
        return .success(NewMessage(group: group, user: author, body: body, metadataJSON: metadata))
    }
}
