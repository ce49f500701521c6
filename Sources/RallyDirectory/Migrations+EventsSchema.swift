extension Migrations {
    /// The events database (seed 000's public catalogue): events and attendance. Seed 001's DDL, without the
    /// references to users and groups (those live in the other database; `crossDatabaseKeys` adds them when both
    /// are one). Rally's addition: `events.visibility` for user-created events.
    static let eventsSchema = Migration(version: "002_events_schema", database: .events, statements: [
        """
        CREATE TABLE IF NOT EXISTS events (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            title VARCHAR(255) NOT NULL,
            description TEXT,
            date_time TIMESTAMP NOT NULL,
            end_time TIMESTAMP,
            location_name VARCHAR(255) NOT NULL,
            location_address VARCHAR(500),
            latitude DECIMAL(10,8),
            longitude DECIMAL(11,8),
            neighborhood VARCHAR(100),
            category VARCHAR(50) NOT NULL,
            price_min INTEGER DEFAULT 0,
            price_max INTEGER,
            image_url TEXT,
            source VARCHAR(50) NOT NULL,
            external_id VARCHAR(255),
            external_url TEXT,
            capacity INTEGER,
            current_attendees INTEGER DEFAULT 0,
            is_active BOOLEAN DEFAULT true,
            is_featured BOOLEAN DEFAULT false,
            is_user_generated BOOLEAN DEFAULT false,
            created_by_user_id UUID,
            moderation_status VARCHAR(20) DEFAULT 'approved'
                CHECK (moderation_status IN ('pending', 'approved', 'rejected')),
            accessibility_info JSONB DEFAULT '{}',
            transit_score INTEGER,
            metadata JSONB DEFAULT '{}',
            created_at TIMESTAMP DEFAULT NOW(),
            updated_at TIMESTAMP DEFAULT NOW()
        )
        """,
        """
        ALTER TABLE events ADD COLUMN IF NOT EXISTS visibility VARCHAR(20)
            CHECK (visibility IN ('private', 'friends', 'public'))
        """,
        """
        CREATE TABLE IF NOT EXISTS event_attendance (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            user_id UUID NOT NULL,
            event_id UUID NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            status VARCHAR(20) DEFAULT 'interested' CHECK (status IN ('interested', 'going', 'maybe', 'not_going')),
            visibility VARCHAR(20) DEFAULT 'private' CHECK (visibility IN ('private', 'friends', 'public')),
            group_id UUID,
            notes TEXT,
            created_at TIMESTAMP DEFAULT NOW(),
            updated_at TIMESTAMP DEFAULT NOW(),
            UNIQUE (user_id, event_id)
        )
        """,
        """
        CREATE INDEX IF NOT EXISTS event_attendance_event_id_status_idx ON event_attendance (event_id, status)
        """,
    ])

    /// When users and events share one database: the references seed 001 has between them.
    static let crossDatabaseKeys = Migration(version: "003_cross_database_keys", database: .both, statements: [
        addForeignKey("events", "events_created_by_user_id_fkey",
                      "FOREIGN KEY (created_by_user_id) REFERENCES users(id)"),
        addForeignKey("event_attendance", "event_attendance_user_id_fkey",
                      "FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE"),
        addForeignKey("event_attendance", "event_attendance_group_id_fkey",
                      "FOREIGN KEY (group_id) REFERENCES groups(id)"),
        addForeignKey("plans", "plans_event_id_fkey", "FOREIGN KEY (event_id) REFERENCES events(id) ON DELETE SET NULL"),
    ])

    /// Adds a constraint unless one of that name exists (a product database created from seed 001 has them).
    private static func addForeignKey(_ table: String, _ name: String, _ definition: String) -> String {
        """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '\(name)') THEN
                ALTER TABLE \(table) ADD CONSTRAINT \(name) \(definition);
            END IF;
        END $$
        """
    }
}
