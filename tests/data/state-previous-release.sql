-- The state database as the release before numbered migrations (main at ca6a2ee) made it:
-- each store's CREATE statements copied as they were, then a few rows of each kind.
-- tests/test_state.py upgrades a database made from this file and checks every row survives.
-- bot/journal.py
CREATE TABLE IF NOT EXISTS journal (
  id INTEGER PRIMARY KEY, ts TEXT NOT NULL, platform TEXT NOT NULL,
  chat_type TEXT NOT NULL, user_hash TEXT NOT NULL,
  text TEXT NOT NULL, normalized TEXT NOT NULL, query_key TEXT NOT NULL, intent TEXT NOT NULL,
  results TEXT NOT NULL, answered INTEGER NOT NULL,
  latency_ms REAL NOT NULL, feedback TEXT, chat_hash TEXT NOT NULL DEFAULT '',
  confidence TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS journal_ts ON journal(ts);
-- bot/inbox.py
CREATE TABLE IF NOT EXISTS seen_events (key TEXT PRIMARY KEY, at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inbox (
  key TEXT PRIMARY KEY, platform TEXT NOT NULL, payload TEXT NOT NULL, received REAL NOT NULL,
  owner TEXT NOT NULL, lease_until REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
-- intents/context.py
CREATE TABLE IF NOT EXISTS chat_context (
  chat_key TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_context_updated ON chat_context(updated);
-- intents/follows.py
CREATE TABLE IF NOT EXISTS follows (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  feed_id TEXT NOT NULL UNIQUE,
  platform TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  query TEXT NOT NULL,
  topic TEXT NOT NULL,
  created TEXT NOT NULL,
  since TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS follows_chat_query ON follows(platform, chat_id, kind, query);
CREATE TABLE IF NOT EXISTS alert_sent (
  platform TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  dataset TEXT NOT NULL,
  modified TEXT NOT NULL,
  state TEXT NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (platform, chat_id, dataset, modified)
);
CREATE TABLE IF NOT EXISTS push_log (
  platform TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  day TEXT NOT NULL,
  messages INTEGER NOT NULL,
  PRIMARY KEY (platform, chat_id, day)
);
CREATE TABLE IF NOT EXISTS push_month (
  platform TEXT NOT NULL,
  month TEXT NOT NULL,
  messages INTEGER NOT NULL,
  PRIMARY KEY (platform, month)
);
-- index/teachings.py
CREATE TABLE IF NOT EXISTS teach_synonyms (
  id INTEGER PRIMARY KEY, word TEXT NOT NULL, terms TEXT NOT NULL /* JSON [str] */,
  created_at TEXT NOT NULL, created_by TEXT NOT NULL DEFAULT '', undone_at TEXT);
CREATE TABLE IF NOT EXISTS teach_pins (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL, names TEXT NOT NULL /* JSON [str] */,
  example TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, created_by TEXT NOT NULL DEFAULT '',
  undone_at TEXT);
-- bot/preview.py
CREATE TABLE IF NOT EXISTS preview_cache (
  url TEXT PRIMARY KEY,
  etag TEXT NOT NULL DEFAULT '',
  last_modified TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL,
  fetched REAL NOT NULL
);
-- bot/staff_auth.py
CREATE TABLE IF NOT EXISTS staff_revoked (sid TEXT PRIMARY KEY, at REAL NOT NULL);
-- bot/staff_data.py
CREATE INDEX IF NOT EXISTS journal_unanswered ON journal(query_key, ts, platform) WHERE intent = 'search' AND (answered = 0 OR feedback = 'not_useful');
-- rows
INSERT INTO journal (ts, platform, chat_type, user_hash, text, normalized, query_key, intent, results,
  answered, latency_ms, feedback, chat_hash, confidence) VALUES
  ('2026-11-01T03:00:00.000000Z', 'line', 'private', 'u1', 'ราคาทองคำแท่ง', 'ราคาทองคำแท่ง', 'ราคา ทองคำแท่ง',
   'search', '[]', 0, 12.5, NULL, 'c1', 'none'),
  ('2026-11-01T04:00:00.000000Z', 'telegram', 'private', 'u2', 'ทะเบียนวัด', 'ทะเบียนวัด', 'ทะเบียน วัด',
   'search', '[{"name": "temples", "score": 9.0}]', 1, 8.0, 'useful', 'c2', 'high');
INSERT INTO seen_events VALUES ('line:evt-1', 1790000000.0);
INSERT INTO inbox VALUES ('line:evt-1', 'line', '{"chat":"U1","text":"สวัสดี"}', 1790000000.0,
  'gone-host:1:aa', 0.0, 0);
INSERT INTO chat_context VALUES ('ctxkey1', '{"list_id":"L1","kind":"search","query":"วัด","names":["temples"]}',
  1790000000.0);
INSERT INTO follows (feed_id, platform, chat_id, kind, query, topic, created, since) VALUES
  ('feed-1', 'telegram', '42', 'query', 'ฝุ่น', 'ฝุ่น PM2.5', '2026-11-01T00:00:00', '2026-11-01T00:00:00');
INSERT INTO alert_sent VALUES ('telegram', '42', 'pm25', '2026-11-02', 'sent', '2026-11-02T00:00:00');
INSERT INTO push_log VALUES ('telegram', '42', '2026-11-02', 1);
INSERT INTO push_month VALUES ('line', '2026-11', 7);
INSERT INTO teach_synonyms (word, terms, created_at, created_by) VALUES
  ('ซ่าหริ่ม', '["คุณภาพอากาศ"]', '2026-11-01T00:00:00Z', 'staff web');
INSERT INTO teach_pins (key, names, example, created_at, created_by) VALUES
  ('ทะเบียน วัด', '["temples"]', 'ทะเบียนวัด', '2026-11-01T00:00:00Z', 'staff api');
INSERT INTO preview_cache VALUES ('https://example.go.th/a.csv', '"e1"', '',
  '{"columns":["a"],"rows":[["1"]],"total":1,"at_least":false,"resource_name":"a","url":"https://example.go.th/a.csv"}',
  1790000000.0);
INSERT INTO staff_revoked VALUES ('sid-1', 1790000000.0);
