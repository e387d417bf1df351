"""Stand-ins for what the tests cannot reach: the platforms' APIs and a CKAN portal, served on
127.0.0.1 by real uvicorn (``serve``: any ASGI app in a thread), and light stand-in services for
the channels. Every test imports them one way: ``from tests.fakes.line_api import FakeLine``.

- ``serve``: ``serve_app``, ``loopback_server``
- ``line_api``: the LINE Messaging API (reply, push, loading, multicast, quota)
- ``telegram_api``: the Telegram Bot API
- ``ckan``: a CKAN portal's package_search
- ``files``: a portal serving messy data files, for previews
- ``services``: ``StandInServices``, the channels' view of bot.services.Services
"""
