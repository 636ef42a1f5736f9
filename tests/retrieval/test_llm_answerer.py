"""LLMAnswerer behaviour that needs no real engine (fast): deadlines, cool-down, delegation, streaming server.

The real engine and corpus are in tests/retrieval/test_llm_chain.py; here a small stand-in returns fixed passages."""

from __future__ import annotations

import time

from retrieval.llm import LLMAnswerer, make_chat_model
from retrieval.types import Answer, Citation, DocumentMeta, Passage, SearchHit
from tests.fakes.fake_openai import FakeOpenAI, Reply
from tests.polling import wait_until
from troly.config import Settings

NQ57 = DocumentMeta(
    source="nq-57.md",
    title="Về khoa học, công nghệ",
    doc_number="57-NQ/TW",
    doc_type="Nghị quyết",
    date="2024-12-22",
)
P = Passage(
    "p1", "Đến năm 2030, quy mô kinh tế số đạt tối thiểu 30% GDP.", "II. Mục tiêu", NQ57, section_ref="II.1"
)
Q = "Quy mô kinh tế số năm 2030?"


class StubEngine:
    judge = None

    def __init__(self) -> None:
        self.asked: list[tuple[str, tuple[str, ...]]] = []
        self.warmed = 0

    def ask(self, question: str, *, context_docs=(), audience=None) -> Answer:
        self.asked.append((question, tuple(context_docs)))
        return Answer(
            question=question,
            text=f"Theo Nghị quyết 57-NQ/TW: {P.text}",
            citations=[Citation.from_passage(P)],
            grounded=True,
            hits=[SearchHit(P, 1.0, 1, dense=0.9)],
            referenced_docs=("57-NQ/TW",),
        )

    def get_passage(self, passage_id: str, audience=None):
        return P if passage_id == P.id else None

    def warmup(self) -> None:
        self.warmed += 1

    def documents(self) -> list[dict]:
        return [{"source": P.doc.source}]


def make(
    srv: FakeOpenAI, *, timeout: float = 5.0, client_timeout: float | None = None, cooldown: float = 0.0
):
    s = Settings.from_env(
        {"TROLY_LLM": "openai:fake", "OPENAI_BASE_URL": srv.base_url, "TROLY_LLM_MAX_RETRIES": "0"},
        dotenv=False,
    )
    model = make_chat_model(s.llm, s.retrieval.llm, timeout=client_timeout or timeout)
    return LLMAnswerer(StubEngine(), model, timeout=timeout, cooldown=cooldown)


def test_answer_mode_citation_and_delegation(fake):
    a = make(fake)
    answer = a.ask(Q)
    assert answer.mode == "llm" and answer.text == f"{P.text} [1]"
    assert answer.citations == [Citation.from_passage(P, quote=P.text)]
    assert answer.referenced_docs == ("57-NQ/TW",)
    assert a.get_passage("p1") is P and a.documents() == [{"source": "nq-57.md"}]
    a.warmup()
    assert a.engine.warmed == 1


def test_the_deadline_holds_even_when_the_client_would_wait_longer(fake):
    fake.script(Reply("trễ [1]", delay=5))
    a = make(fake, timeout=0.5, client_timeout=30)
    t0 = time.perf_counter()
    answer = a.ask(Q)
    assert time.perf_counter() - t0 < 1.5
    assert answer.mode == "extractive" and answer.text.startswith("Theo Nghị quyết 57-NQ/TW")


def test_after_a_timeout_the_model_rests_for_the_cooldown(fake):
    fake.script(Reply("trễ [1]", delay=3))
    a = make(fake, timeout=0.3, cooldown=0.8)
    assert a.ask(Q).mode == "extractive"
    assert len(fake.chat_requests()) == 1
    t0 = time.perf_counter()
    assert a.ask(Q).mode == "extractive"  # no waiting while the server is known to be slow
    assert time.perf_counter() - t0 < 0.2 and len(fake.chat_requests()) == 1
    assert a.last_stats.reason == "model_unavailable"
    wait_until(a._available, 10, "the end of the cooldown")
    assert a.ask(Q).mode == "llm" and len(fake.chat_requests()) == 2


def test_a_refused_request_does_not_start_the_cooldown(fake):
    fake.script(Reply(status=400, error="context length exceeded"))
    a = make(fake, cooldown=60)
    assert a.ask(Q).mode == "extractive"
    assert a.ask(Q).mode == "llm"


def test_follow_up_rewrite_uses_history_and_context_docs(fake):
    fake.script(Reply("Câu hỏi độc lập: «Nghị quyết 57-NQ/TW: quy mô kinh tế số năm 2030?»"))
    a = make(fake)
    history = [(f"câu {i}", "trả lời " * 200) for i in range(5)]
    answer = a.ask("Còn năm 2030?", context_docs=("57-NQ/TW",), history=history)
    rewrite, _ = fake.chat_requests()
    assert "Văn bản đang được nhắc tới: 57-NQ/TW" in rewrite.user
    assert "câu 1" not in rewrite.user and "câu 2" in rewrite.user and "câu 4" in rewrite.user  # last 3 turns
    assert a.engine.asked == [("Nghị quyết 57-NQ/TW: quy mô kinh tế số năm 2030?", ("57-NQ/TW",))]
    assert answer.question == "Còn năm 2030?" and answer.mode == "llm"


def test_a_rambling_rewrite_is_ignored(fake):
    fake.script(Reply("x " * 500))
    a = make(fake)
    a.ask("Còn năm 2030?", history=[("NQ 57?", "…")])
    assert a.engine.asked == [("Còn năm 2030?", ())]


def test_a_streaming_client_works_with_the_fake_server(fake):
    from langchain_openai import ChatOpenAI

    fake.script(Reply("Xin chào anh chị [1]."))
    model = ChatOpenAI(model="fake", base_url=fake.base_url, api_key="k", streaming=True, timeout=5)
    chunks = [c.content for c in model.stream("xin chào")]
    assert "".join(chunks) == "Xin chào anh chị [1]." and len(chunks) >= 4
    assert len(fake.chat_requests()) == 1
    assert fake.chat_requests()[0].body["stream"] is True
