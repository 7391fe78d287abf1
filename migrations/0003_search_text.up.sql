-- array_to_string() is only STABLE (for some element types its output
-- depends on settings), and PostgreSQL refuses a STABLE function in an
-- index expression. For text[] nothing but the input decides the output, so
-- this wrapper can say IMMUTABLE: the entity engine uses it for array fields
-- in search documents (core/entity.c), which makes those documents indexable.
CREATE OR REPLACE FUNCTION slate_array_text(text[]) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT array_to_string($1, ' ') $$;
