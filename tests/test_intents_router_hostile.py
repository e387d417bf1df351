"""Whatever a user sends, route answers with a polite reply and never raises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intents import Conversation, Message

WEIRD = st.one_of(
    st.text(max_size=400),
    st.sampled_from(
        ["", " ", "\u200b", "🙏🙏", '"*"', "NEAR(", "OR OR", "-x", "1=1; --", "ก" * 10_000, "\x7f\x1b[2J"]
    ),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=WEIRD)
def test_route_never_raises(conversation: Conversation, text: str) -> None:
    turn = conversation.route(Message(platform="web", chat_id="prop", user_id="u", text=text))
    assert turn.reply.text.strip()
    assert turn.outcome.intent != "error"
