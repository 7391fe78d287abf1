-- Guests: the seed's DDL (architecture.md, section 2) verbatim, plus the
-- updated_at trigger the seed asks for on every table with updated_at.

CREATE TABLE guests (
    guest_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    business_name VARCHAR(255),
    business_email VARCHAR(255),
    business_phone VARCHAR(50),
    website VARCHAR(500),
    session_id VARCHAR(255) UNIQUE,
    session_expires_at TIMESTAMPTZ,
    converted_user_id UUID,
    converted_at TIMESTAMPTZ,
    outfit_references JSONB DEFAULT '[]',
    upload_references JSONB DEFAULT '[]',
    notes TEXT,
    consent_given BOOLEAN DEFAULT FALSE,
    consent_timestamp TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    updated_at TIMESTAMPTZ DEFAULT NOW(),
    deleted_at TIMESTAMPTZ
);

CREATE TRIGGER update_guests_updated_at BEFORE UPDATE ON guests
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();
