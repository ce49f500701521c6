extension Migrations {
    /// Live data (docs/live-data.md), user side: the plan statuses of seed 003, chat ids in commit order, and
    /// NOTIFY payloads that carry a small notification or chat row inline.
    static let liveDataUsers = Migration(version: "006_live_data_users", database: .users, statements: [
        widenPlanStatuses,
        groupMessageOrderFunction,
        "DROP TRIGGER IF EXISTS rally_group_messages_order ON group_messages",
        """
        CREATE TRIGGER rally_group_messages_order BEFORE INSERT ON group_messages
        FOR EACH ROW EXECUTE FUNCTION rally_group_messages_order()
        """,
        triggerFunction("rally_notifications_changed", body: inlineOrIDs(kind: "notification", ids: """
            'id', r.id::TEXT, 'user', r.user_id
            """, row: """
            'type', r.type, 'title', r.title, 'message', r.message, 'data', COALESCE(r.data, '{}')::TEXT,
            'is_read', COALESCE(r.is_read, false),
            'created_at', \(epochMicroseconds("COALESCE(r.created_at, 'epoch'::TIMESTAMP)"))
            """)),
        groupMessagesChanged,
    ])

    /// A chat message's author is among the ids, so a deletion names it too (it must not reach anyone blocked with
    /// the author); the function as 006 creates it on a new database.
    static let chatDeleteAuthor = Migration(version: "008_chat_delete_author", database: .users, statements: [
        groupMessagesChanged,
    ])

    static let groupMessagesChanged = triggerFunction("rally_group_messages_changed", body: inlineOrIDs(
        kind: "group_message", ids: """
            'id', r.id::TEXT, 'group', r.group_id, 'user', r.user_id
            """, row: """
            'body', r.body, 'metadata', r.metadata::TEXT, 'created_at', \(epochMicroseconds("r.created_at"))
            """))

    /// Live data, events side: event changes name the creator (an insert with one is that user's activity).
    static let liveDataEvents = Migration(version: "007_live_data_events", database: .events, statements: [
        triggerFunction("rally_events_changed", body: """
            IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN RETURN NULL; END IF;
            PERFORM rally_notify('event', op, jsonb_build_object('event', r.id,
                'visibility', rally_event_visibility(r.visibility, r.created_by_user_id),
                'active', COALESCE(r.is_active, true), 'creator', r.created_by_user_id));
            """),
    ])

    /// Largest payload text sent with the row inline; NOTIFY refuses payloads of 8000 bytes or more.
    static let inlinePayloadLimit = 7000

    /// Seed 003's statuses. The old CHECK has a generated name on a product database, so every CHECK of `plans`
    /// that reads `status` is dropped (found in pg_constraint) and the new one added under a fixed name.
    static let widenPlanStatuses = """
        DO $$
        DECLARE c RECORD;
        BEGIN
            FOR c IN SELECT conname FROM pg_constraint
                     WHERE conrelid = 'plans'::regclass AND contype = 'c'
                       AND pg_get_constraintdef(oid) LIKE '%status%'
            LOOP
                EXECUTE format('ALTER TABLE plans DROP CONSTRAINT %I', c.conname);
            END LOOP;
            ALTER TABLE plans ADD CONSTRAINT plans_status_check
                CHECK (status IN ('proposed', 'planning', 'confirmed', 'booked', 'cancelled', 'completed'));
        END $$
        """

    /// Chat ids in commit order within a group. A column default (`nextval`) is drawn when the row is built,
    /// before BEFORE triggers run and long before commit: two writers could draw 7 and 8 and commit 8 first, and
    /// a reader that saw 8 would skip 7 for good. So inserts into one group are serialised by an advisory lock
    /// held to the end of the transaction, and the id is drawn only after taking it (the default's value is
    /// discarded: a gap, which is harmless). The lock also orders the NOTIFYs, which enter the queue at commit
    /// while the lock is still held. The two-key form keeps Rally's keys apart from single-key advisory locks.
    /// A `created_at` left to its default is taken after the lock too, so it grows with the id.
    static let groupMessageOrderFunction = """
        CREATE OR REPLACE FUNCTION rally_group_messages_order() RETURNS TRIGGER LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(\(groupMessageLockClass), hashtext(NEW.group_id::TEXT));
            NEW.id := nextval(pg_get_serial_sequence('group_messages', 'id'));
            IF NEW.created_at = now() THEN NEW.created_at := clock_timestamp(); END IF;
            RETURN NEW;
        END $$
        """

    /// First key of the per-group chat lock ("RALL").
    static let groupMessageLockClass: Int32 = 0x5241_4C4C

    /// Trigger body: sends `{kind, op, ids…, row…}` when it is under `inlinePayloadLimit` bytes (never for a
    /// delete), otherwise `{kind, op, ids…}` and Rally reads the row by id.
    static func inlineOrIDs(kind: String, ids: String, row: String) -> String {
        """
        DECLARE
            ids JSONB := jsonb_build_object(\(ids));
            whole JSONB;
        BEGIN
            IF op <> 'DELETE' THEN
                whole := ids || jsonb_build_object(\(row));
                IF octet_length((jsonb_build_object('kind', '\(kind)', 'op', lower(op)) || whole)::TEXT)
                   < \(inlinePayloadLimit) THEN
                    PERFORM rally_notify('\(kind)', op, whole);
                    RETURN NULL;
                END IF;
            END IF;
            PERFORM rally_notify('\(kind)', op, ids);
        END;
        """
    }

    /// A timestamp as whole microseconds since the Unix epoch (a TIMESTAMP without zone is read as UTC, as
    /// postgres-nio reads it), so the inline row equals the row read back.
    static func epochMicroseconds(_ expression: String) -> String {
        "(extract(epoch FROM \(expression)) * 1000000)::BIGINT"
    }
}
