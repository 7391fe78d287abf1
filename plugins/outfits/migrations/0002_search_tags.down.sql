DROP INDEX IF EXISTS idx_outfits_fts;
CREATE INDEX idx_outfits_fts ON outfits USING gin(to_tsvector('english',
    coalesce(outfit_name,'') || ' ' || coalesce(outfit_type,'') || ' ' ||
    coalesce(top::text,'') || ' ' || coalesce(bottom::text,'') || ' ' ||
    coalesce(dress::text,'') || ' ' || coalesce(pattern_description,'') || ' ' ||
    coalesce(accessories::text,'') || ' ' || coalesce(shoes::text,'') || ' ' ||
    coalesce(purse::text,'') || ' ' || coalesce(category,'') || ' ' ||
    coalesce(season,'') || ' ' || coalesce(occasion,'')));
