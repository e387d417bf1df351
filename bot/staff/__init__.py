"""The staff pages under /staff: routes and handlers (``pages``), STAFF_TOKEN sessions and the
login lockout (``auth``), the journal queries (``data``), charts and templates (``view``,
``templates/``, ``static/``), their Thai (``texts``) and the ``khomun staff`` commands (``cli``)."""
