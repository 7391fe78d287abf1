-- Tags join the search document now that the core's IMMUTABLE
-- slate_array_text() lets an index hold it. The expression is the one the
-- engine builds from the SLATE_F_SEARCH fields of outfits.c, in order.
DROP INDEX IF EXISTS idx_outfits_fts;
CREATE INDEX idx_outfits_fts ON outfits USING gin(to_tsvector('english',
    coalesce(outfit_name,'') || ' ' || coalesce(outfit_type,'') || ' ' ||
    coalesce(top::text,'') || ' ' || coalesce(bottom::text,'') || ' ' ||
    coalesce(dress::text,'') || ' ' || coalesce(pattern_description,'') || ' ' ||
    coalesce(accessories::text,'') || ' ' || coalesce(shoes::text,'') || ' ' ||
    coalesce(purse::text,'') || ' ' || coalesce(slate_array_text(tags),'') || ' ' ||
    coalesce(category,'') || ' ' || coalesce(season,'') || ' ' ||
    coalesce(occasion,'')));
