"""Data previews: a dataset's file fetched safely and cached (``fetch``), read into columns and
rows (``tables``, pure) and drawn for LINE and Telegram (``render``, pure)."""
