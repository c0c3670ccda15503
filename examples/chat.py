"""A chat model over a batch of messages, each with an optional metadata dict.

Run it with ``python examples/chat.py``.
"""

from __future__ import annotations

import json
from typing import Dict, List, Literal, Optional  # noqa: UP035  # the typing spelling on purpose

import pydantic

import typedmodel as tm


class Message(pydantic.BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str
    metadata: Optional[Dict[str, str]] = None  # noqa: UP006, UP045


class Reply(pydantic.BaseModel):
    role: str
    content: str


class EchoChat(tm.PythonModel):
    def predict(self, context, model_input: List[Message]) -> List[Reply]:  # noqa: UP006
        replies = []
        for message in model_input:
            who = (message.metadata or {}).get("user", "you")
            replies.append({"role": "assistant", "content": f"{who} said: {message.content}"})
        return replies  # plain dicts: validated into Reply objects on the way out


def main() -> None:
    signature = tm.signature_of(EchoChat)
    print("Input schema (MLflow form):")
    print(json.dumps(signature.inputs.to_dict(), indent=2))
    [column] = signature.inputs.to_dict()
    assert column["type"] == "object"
    assert column["properties"]["metadata"] == {
        "type": "map",
        "values": {"type": "string"},
        "required": False,
    }

    chat = EchoChat()
    replies = chat.predict(
        [
            {"role": "user", "content": "hello"},
            {"role": "user", "content": "bye", "metadata": {"user": "ana"}},
        ]
    )
    for reply in replies:
        print(f"{reply.role}: {reply.content}")
    assert replies == [
        Reply(role="assistant", content="you said: hello"),
        Reply(role="assistant", content="ana said: bye"),
    ]

    # A role outside the Literal and a non-string metadata value are both reported.
    error = None
    try:
        chat.predict([{"role": "robot", "content": "hi", "metadata": {"user": 1}}])
    except tm.ValidationError as exc:
        error = exc
    assert error is not None, "a bad message was accepted"
    print("Rejected:", error, sep="\n")
    assert sorted(i.loc for i in error.issues) == [("metadata", "user"), ("role",)]


if __name__ == "__main__":
    main()
