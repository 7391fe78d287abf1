-- The full probe result of the file in each entity field, as the probe
-- processor last read it (a new file in the field replaces the row).
-- Served by GET /api/v1/probe/:entityType/:entityId.
CREATE TABLE media_probes (
    media_probe_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    entity_type VARCHAR(100) NOT NULL,
    entity_id UUID NOT NULL,
    field VARCHAR(255) NOT NULL,
    store VARCHAR(32) NOT NULL,
    object_key VARCHAR(1024) NOT NULL,
    result JSONB NOT NULL,
    probed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (entity_type, entity_id, field)
);
