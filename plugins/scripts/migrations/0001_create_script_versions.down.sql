-- Drops the table with its trigger and index, then the trigger's function.
DROP TABLE IF EXISTS script_versions;
DROP FUNCTION IF EXISTS ensure_single_active_script_version();
