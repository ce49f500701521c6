extension Migrations {
    /// NOTIFY on every change in the user database that matters for revocation or live data.
    static let usersTriggers = Migration(version: "004_users_triggers", database: .users, statements: [
        notifyFunction,
        triggerFunction("rally_friendships_changed", key: "$user_id, $friend_id", body: """
            \(skipUnchanged(["status", "initiated_by"]))
            PERFORM rally_notify('friendship', op, jsonb_build_object('a', r.user_id, 'b', r.friend_id, 'status', r.status));
            """),
        triggerFunction("rally_users_changed", body: """
            \(skipUnchanged(["privacy_level"]))
            PERFORM rally_notify('user', op, jsonb_build_object('user', r.id, 'privacy_level', r.privacy_level));
            """),
        triggerFunction("rally_groups_changed", body: """
            \(skipUnchanged(["privacy_level"]))
            PERFORM rally_notify('group', op, jsonb_build_object('group', r.id, 'privacy_level', r.privacy_level));
            """),
        triggerFunction("rally_group_members_changed", key: "$group_id, $user_id", body: """
            IF op = 'UPDATE' THEN RETURN NULL; END IF;
            PERFORM rally_notify('group_member', op, jsonb_build_object('group', r.group_id, 'user', r.user_id));
            """),
        triggerFunction("rally_plans_changed", body: """
            \(skipUnchanged(["status", "organizer_id"]))
            PERFORM rally_notify('plan', op, jsonb_build_object('plan', r.id, 'status', r.status));
            """),
        triggerFunction("rally_plan_participants_changed", key: "$plan_id, $user_id", body: """
            \(skipUnchanged(["status"]))
            PERFORM rally_notify('plan_participant', op,
                jsonb_build_object('plan', r.plan_id, 'user', r.user_id, 'status', r.status));
            """),
        triggerFunction("rally_notifications_changed", body: """
            PERFORM rally_notify('notification', op, jsonb_build_object('id', r.id::TEXT, 'user', r.user_id));
            """),
        triggerFunction("rally_group_messages_changed", body: """
            PERFORM rally_notify('group_message', op, jsonb_build_object('id', r.id::TEXT, 'group', r.group_id));
            """),
    ]
        + trigger("rally_friendships_changed", on: "friendships", events: "INSERT OR UPDATE OR DELETE")
        + trigger("rally_users_changed", on: "users", events: "UPDATE OF privacy_level OR DELETE")
        + trigger("rally_groups_changed", on: "groups", events: "UPDATE OF privacy_level OR DELETE")
        + trigger("rally_group_members_changed", on: "group_members", events: "INSERT OR UPDATE OR DELETE")
        + trigger("rally_plans_changed", on: "plans", events: "INSERT OR UPDATE OR DELETE")
        + trigger("rally_plan_participants_changed", on: "plan_participants", events: "INSERT OR UPDATE OR DELETE")
        + trigger("rally_notifications_changed", on: "notifications", events: "INSERT OR UPDATE OF is_read OR DELETE")
        + trigger("rally_group_messages_changed", on: "group_messages", events: "INSERT OR UPDATE OF body OR DELETE")
    )

    /// NOTIFY on every change in the events database: event changes (capacity, visibility, cancellation) and
    /// attendance (capacity counts and the attendee's activity).
    static let eventsTriggers = Migration(version: "005_events_triggers", database: .events, statements: [
        notifyFunction,
        """
        CREATE OR REPLACE FUNCTION rally_event_visibility(visibility TEXT, creator UUID) RETURNS TEXT
        LANGUAGE sql IMMUTABLE AS $$
            SELECT COALESCE(visibility, CASE WHEN creator IS NULL THEN 'public' ELSE 'private' END)
        $$
        """,
        triggerFunction("rally_events_changed", body: """
            IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN RETURN NULL; END IF;
            PERFORM rally_notify('event', op, jsonb_build_object('event', r.id,
                'visibility', rally_event_visibility(r.visibility, r.created_by_user_id),
                'active', COALESCE(r.is_active, true)));
            """),
        triggerFunction("rally_event_attendance_changed", key: "$event_id, $user_id", body: """
            \(skipUnchanged(["status", "visibility"]))
            PERFORM rally_notify('attendance', op, jsonb_build_object('event', r.event_id, 'user', r.user_id,
                'status', r.status, 'visibility', r.visibility));
            """),
    ]
        + trigger("rally_events_changed", on: "events", events: "INSERT OR UPDATE OR DELETE")
        + trigger("rally_event_attendance_changed", on: "event_attendance", events: "INSERT OR UPDATE OR DELETE")
    )
}
