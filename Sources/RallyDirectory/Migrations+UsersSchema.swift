extension Migrations {
    /// The user database (seed 000's private side): people, friendships, groups, plans, notifications, chat.
    /// Tables follow seed 001's DDL (`uuid_generate_v4()` → the built-in `gen_random_uuid()`, the inline
    /// notifications index → `CREATE INDEX`); plans follow seed 003; group_messages is Rally's.
    /// `IF NOT EXISTS` everywhere, so the migration can run on a product database that already has them.
    static let usersSchema = Migration(version: "001_users_schema", database: .users, statements: [
        """
        CREATE TABLE IF NOT EXISTS users (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            email VARCHAR(255) UNIQUE NOT NULL,
            full_name VARCHAR(255),
            age INTEGER CHECK (age >= 18 AND age <= 50),
            location_neighborhood VARCHAR(100),
            privacy_level VARCHAR(20) DEFAULT 'private' CHECK (privacy_level IN ('private', 'friends_only', 'public')),
            preferences JSONB DEFAULT '{}',
            ml_preference_vector FLOAT[] DEFAULT '{}',
            phone_hash VARCHAR(64),
            profile_image_url TEXT,
            push_token TEXT,
            is_active BOOLEAN DEFAULT true,
            last_login TIMESTAMP,
            created_at TIMESTAMP DEFAULT NOW(),
            updated_at TIMESTAMP DEFAULT NOW()
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS friendships (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            friend_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            status VARCHAR(20) DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'blocked')),
            initiated_by UUID NOT NULL REFERENCES users(id),
            created_at TIMESTAMP DEFAULT NOW(),
            updated_at TIMESTAMP DEFAULT NOW(),
            CHECK (user_id != friend_id),
            UNIQUE (user_id, friend_id)
        )
        """,
        "CREATE INDEX IF NOT EXISTS friendships_friend_id_idx ON friendships (friend_id)",
        """
        CREATE TABLE IF NOT EXISTS groups (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            name VARCHAR(255) NOT NULL,
            description TEXT,
            created_by UUID NOT NULL REFERENCES users(id),
            privacy_level VARCHAR(20) DEFAULT 'private' CHECK (privacy_level IN ('private', 'friends_only', 'public')),
            max_members INTEGER DEFAULT 50,
            group_image_url TEXT,
            is_active BOOLEAN DEFAULT true,
            created_at TIMESTAMP DEFAULT NOW(),
            updated_at TIMESTAMP DEFAULT NOW()
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS group_members (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            group_id UUID NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
            user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role VARCHAR(20) DEFAULT 'member' CHECK (role IN ('admin', 'moderator', 'member')),
            joined_at TIMESTAMP DEFAULT NOW(),
            UNIQUE (group_id, user_id)
        )
        """,
        "CREATE INDEX IF NOT EXISTS group_members_user_id_idx ON group_members (user_id)",
        """
        CREATE TABLE IF NOT EXISTS plans (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            organizer_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            title VARCHAR(255) NOT NULL,
            event_id UUID,
            group_id UUID REFERENCES groups(id) ON DELETE SET NULL,
            start_time TIMESTAMP,
            status VARCHAR(20) NOT NULL DEFAULT 'planning'
                CHECK (status IN ('planning', 'confirmed', 'cancelled', 'completed')),
            created_at TIMESTAMP DEFAULT NOW(),
            updated_at TIMESTAMP DEFAULT NOW()
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS plan_participants (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            plan_id UUID NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
            user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            status VARCHAR(20) NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'accepted', 'declined')),
            created_at TIMESTAMP DEFAULT NOW(),
            UNIQUE (plan_id, user_id)
        )
        """,
        "CREATE INDEX IF NOT EXISTS plan_participants_user_id_idx ON plan_participants (user_id)",
        """
        CREATE TABLE IF NOT EXISTS notifications (
            id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            type VARCHAR(50) NOT NULL,
            title VARCHAR(255) NOT NULL,
            message TEXT NOT NULL,
            data JSONB DEFAULT '{}',
            is_read BOOLEAN DEFAULT false,
            is_sent BOOLEAN DEFAULT false,
            scheduled_for TIMESTAMP DEFAULT NOW(),
            created_at TIMESTAMP DEFAULT NOW()
        )
        """,
        """
        CREATE INDEX IF NOT EXISTS idx_notifications_user_unread ON notifications (user_id, is_read, created_at)
        """,
        """
        CREATE TABLE IF NOT EXISTS group_messages (
            id BIGSERIAL PRIMARY KEY,
            group_id UUID NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
            user_id UUID REFERENCES users(id) ON DELETE SET NULL,
            body TEXT NOT NULL,
            metadata JSONB NOT NULL DEFAULT '{}',
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
        )
        """,
        "CREATE INDEX IF NOT EXISTS group_messages_group_id_id_idx ON group_messages (group_id, id)",
    ])
}
