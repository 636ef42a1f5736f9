"""With an LLM configured, a card answer or an exact clause quote is returned as is: the model never rephrases
what the document itself states (and is not even called)."""

from __future__ import annotations

from retrieval.llm import LLMAnswerer, make_chat_model
from retrieval.types import Answer, Citation
from troly.config import Settings

CARD = Answer(
    question="KL 221 do ai ký?",
    text="Kết luận 221-KL/TW do đồng chí Trần Cẩm Tú ký thay mặt Bộ Chính trị, ngày 28/11/2025.",
    citations=[
        Citation("kl-221.md", "Kết luận", "221-KL/TW", "Kết luận", "2025-11-28", "", "T/M BỘ CHÍNH TRỊ", "p9")
    ],
    grounded=True,
    referenced_docs=("221-KL/TW",),
    from_document=True,
)


class CardEngine:
    judge = None

    def __init__(self) -> None:
        self.searched = 0

    def ask(self, question: str, *, context_docs=(), audience=None) -> Answer:
        return CARD

    def search(self, *args, **kwargs):
        self.searched += 1
        return []


def test_document_answers_bypass_the_model(fake):
    s = Settings.from_env(
        {"TROLY_LLM": "openai:fake", "OPENAI_BASE_URL": fake.base_url, "TROLY_LLM_MAX_RETRIES": "0"},
        dotenv=False,
    )
    engine = CardEngine()
    answerer = LLMAnswerer(engine, make_chat_model(s.llm, s.retrieval.llm, timeout=5), timeout=5, cooldown=0)
    a = answerer.ask("KL 221 do ai ký?")
    assert a.text == CARD.text and a.mode == "extractive" and a.citations == CARD.citations
    assert fake.chat_requests() == [] and engine.searched == 0
