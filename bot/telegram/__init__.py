"""Telegram: the webhook channel (``channel``: secret header, inbox, python-telegram-bot), its
HTTP transport (``request``: aiohttp), the renderer of a neutral Reply into Bot API messages
(``render``) and ``khomun telegram set-webhook`` (``cli``). Nothing is imported here, so the shell
can name ``bot.telegram.channel`` and load python-telegram-bot only when Telegram is configured."""
