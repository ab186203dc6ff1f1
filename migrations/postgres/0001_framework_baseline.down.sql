DROP TABLE keel_meta;
