"""LINE: the webhook channel (``channel``: signature, inbox, reply or push) and the renderer of a
neutral Reply into LINE messages and Flex (``render``). Nothing is imported here, so the shell
can name ``bot.line.channel`` and load the LINE SDK only when LINE is configured."""
