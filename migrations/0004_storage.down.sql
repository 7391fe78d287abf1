DROP TABLE uploads;
DELETE FROM auth_secrets WHERE name = 'upload_url_hs256';
