DROP TABLE api_keys;
DROP TABLE audit_log;
