DROP FUNCTION IF EXISTS slate_array_text(text[]);
