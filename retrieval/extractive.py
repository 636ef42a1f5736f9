"""Extractive answers: the best whole sentences (or the whole list) of the top passages, each with its citation.

No LLM is involved, so nothing is invented: every word of a quote stands in a cited passage. Whether to
answer at all is decided by a calibrated judge over evidence features (`retrieval.judge`); when it says no,
or the question names a document the corpus does not hold, the answer says so and is marked
`grounded = False` instead of quoting something unrelated.

Quotes are whole sentences or whole list items: never a heading alone, never a fragment of a few words,
never the middle of a sentence. A question asking for a list ("gồm những gì", "có mấy …", "liệt kê") gets
the whole enumeration; a question about a section of a named document ("mục tiêu đến năm 2030",
"quan điểm chỉ đạo") gets the items of that section (`retrieval.sections`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from retrieval.citations import format_citation_label
from retrieval.docrefs import find_refs
from retrieval.evidence import WORD_RE, CorpusStats, is_stopword, topic_words
from retrieval.fact_lead import (
    FACT_LEAD,
    count_lead,
    counts_another_noun,
    person_names,
    short_fact,
)
from retrieval.followup import SOURCE
from retrieval.judge import (
    Judge,
    about_asked_places,
    answer_type_found,
    asked_detail_missing,
    asked_role_missing,
    asked_roles,
    asked_type,
    asked_unit,
    asked_years,
    body_unnamed,
    completed_own_part,
    default_judge,
    features,
    hits_about_asked_places,
    holds_role,
    is_local_news,
    off_the_asked_case,
    quantity_missing,
    under_another_year,
    unit_found,
)
from retrieval.lexicon import default_lexicon
from retrieval.lists import (
    announced_count,
    find_list,
    is_subheading,
    line_mark,
    mark_kind,
    ordinal,
    subheading_content,
)
from retrieval.search import QueryPlan
from retrieval.sections import first_sentences, listed_count, section_answer, titled_items
from retrieval.sentences import candidate_sentences
from retrieval.textnorm import DOC_NUMBER_RE, fold, has_diacritics, nfc
from retrieval.types import Answer, Citation, Passage, SearchHit

NOT_FOUND = (
    "Chưa tìm thấy thông tin này trong kho văn bản. Anh/chị có thể hỏi lại cụ thể hơn "
    "(nêu số hiệu văn bản, ví dụ “Nghị quyết 57-NQ/TW”) hoặc liên hệ bộ phận chuyên môn."
)

UNKNOWN_DOCUMENT = "Kho văn bản hiện chưa có"  # how a refusal naming a document the corpus lacks begins
MAX_QUOTE = 800  # characters; a longer sentence is clipped at a word boundary with "…"
MAX_LIST_ITEMS = 10

LIST_CHARS = 3000  # what the items of one list may take together (a Telegram message holds 4096)


_sentences = candidate_sentences  # the composer's name for the answer candidates


# A matched word counts by its rarity: idf / `RARITY_UNIT` (clipped), so "biệt phái" outweighs "sở", "tỉnh"
RARITY_UNIT = 3.0


def _weight(term: str, stats: CorpusStats | None) -> float:
    if stats is None or any(ch.isdigit() for ch in term):
        return 1.0  # a number names the document or the year as often as the fact
    return min(1.6, max(0.4, stats.idf(term) / RARITY_UNIT))


# In a news report, its province ("Phú Thọ", in every passage header) tells the report apart, not one of its
# sentences from another: a question word of it counts this much in a sentence. (Its headline and an official
# document's title name the subject, which the answering sentences repeat: there every word counts in full.)
PLACE_WEIGHT = 0.3


def _sentence_score(
    q_terms: set[str],
    q_bigrams: set[str],
    sentence: str,
    stats: CorpusStats | None = None,
    place: frozenset[str] = frozenset(),
    focus: frozenset[str] | set[str] = frozenset(),
    background: frozenset[str] = frozenset(),
) -> float:
    words = WORD_RE.findall(fold(sentence))
    if not words:
        return 0.0
    wset = set(words)
    bigrams = {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}

    def weight(term: str) -> float:
        return (
            _weight(term, stats)
            * (PLACE_WEIGHT if term in place else 1.0)
            * (FOCUS_FACTOR if term in focus else 1.0)
            * (BACKGROUND_WEIGHT if term in background else 1.0)
        )

    uni = sum(weight(t) for t in q_terms & wset)
    bi = sum(sum(weight(w) for w in b.split()) / 2 for b in q_bigrams & bigrams)
    score = (uni + 1.5 * bi) * (1.0 if len(words) >= 6 else 0.5)
    tail = sentence.rstrip()[-1:]
    if tail == "?":
        score *= 0.2  # an article's rhetorical question repeats the query but answers nothing
    elif tail == ":":
        score *= 0.5  # a lead-in ("… như sau:") announces the answer without giving it
    return score


_DATE_IN_TEXT = re.compile(
    r"\d{1,2}/\d{1,2}/\d{4}|ngày \d{1,2} tháng \d{1,2}|tháng \d{1,2}(/| năm )\d{4}|năm \d{4}"
)


def _answer_type_factor(kind: str | None, sentence: str) -> float:
    """A "when" question is answered by a sentence with a date, a "how many" one by a sentence with a number."""
    if kind == "date":
        return 1.5 if _DATE_IN_TEXT.search(sentence) else 1.0
    if kind == "number":
        # a year, a document's number ("Mục II Nghị quyết 68-NQ/TW năm 2025"), an item's marker ("(5)") or a
        # name with a digit ("5G") is no amount
        return 1.3 if _AMOUNT_IN_TEXT.search(_YEAR_OR_DOC.sub(" ", sentence)) else 1.0
    if kind == "person":  # "ai đồng chủ trì?": the sentence naming people, not the one opening the meeting
        return 1.5 if person_names(sentence) else 1.0
    if kind == "list":  # "… là những gì?": the lead-in announcing the list ("Các thể loại … gồm:") brings it
        return LIST_LEAD_FACTOR if sentence.rstrip().endswith(":") else 1.0
    return 1.0


_YEAR_OR_DOC = re.compile(rf"{DOC_NUMBER_RE.pattern}|(?<![\d/.,])(?:19|20)\d{{2}}(?!\d|[/.,]\d)")

_AMOUNT_IN_TEXT = re.compile(r"(?<![\w(])\d+(?:[.,]\d+)*(?![\w)])")

LIST_LEAD_FACTOR = 2.4  # undoes the halving of lead-ins in `_sentence_score`, and a little more


# The question's focus: the words right around what it asks ("kết nối tới bao nhiêu xã phường", "ai dự và chỉ
# đạo"), as opposed to the words that only say which meeting or document ("Hội nghị tổng kết … ngày 16/1 …"). A
# sentence holding the focus is the answer; one repeating the setting is the context. Focus words count
# `FOCUS_FACTOR` times (set on the dev answer set).
_ASKING = re.compile(
    r"\b(bao nhieu|may|ai|khi nao|bao gio|ngay nao|nam nao|o dau|nhu the nao|the nao|ra sao|gi|nao)\b"
)
FOCUS_WINDOW = 3  # content words each side of the asking words
_WHEN_WORDS = {"ngay", "thang", "nam", "sang", "chieu", "toi"}  # "ngày 16/1" says which meeting
FOCUS_FACTOR = 2.0
# a follow-up's earlier-question words weigh this much (dev set and two fresh sets; 0.3 and 0.45 lost "còn tầm
# nhìn 2045?", which needs the earlier question's "tuổi thọ")
BACKGROUND_WEIGHT = 0.6


def _focus_terms(question: str) -> set[str]:
    """The content words (folded) within `FOCUS_WINDOW` of the asking words of `question`."""
    spelled = WORD_RE.findall(nfc(question).lower())
    words = [fold(w) for w in spelled]
    accented = has_diacritics(question)
    marks = [i for i, w in enumerate(words) if _ASKING.fullmatch(w)]
    marks += [
        i for i, (a, b) in enumerate(zip(words, words[1:], strict=False)) if _ASKING.fullmatch(f"{a} {b}")
    ]

    def content(i: int) -> bool:  # a date ("ngày 16/1") says which meeting, not what is asked of it
        w = words[i]
        return (
            not is_stopword(spelled[i], accented)
            and not _ASKING.fullmatch(w)
            and not w.isdigit()
            and w not in _WHEN_WORDS
        )

    focus: set[str] = set()
    for i in marks:
        before = [words[j] for j in range(i) if content(j)][-FOCUS_WINDOW:]
        after = [words[j] for j in range(i + 1, len(words)) if content(j)][:FOCUS_WINDOW]
        focus |= set(before) | set(after)
    return focus


def _follow_up_own_terms(question: str) -> set[str]:
    """A follow-up completed with its context ("hạn trình BCH TW là bao giờ (KL 127 giao ai chủ trì …)", see
    retrieval.followup): its own words, which say what is asked now; the context only says what about. Empty
    for a question without that trailing context."""
    own = completed_own_part(question)
    return set(_query_terms(own)[0]) if own is not None else set()


def _query_terms(question: str) -> tuple[set[str], set[str]]:
    """Topic words and bigrams of the question and of its lexicon rewrite (folded)."""
    terms: set[str] = set()
    bigrams: set[str] = set()
    rewritten = default_lexicon().rewrite(question)
    for text in {question, rewritten}:
        # by spelling when accented: "biệt phái", "cán bộ" are not "biết phải", "cần bộ"
        words = topic_words(text)
        terms |= set(words)
        bigrams |= {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    return terms, bigrams


# Meaning in the sentence score: `MEANING_WEIGHT` × how far the sentence's cosine similarity to the question
# exceeds `MEANING_FLOOR` (e5 places unrelated Vietnamese sentences around 0.75–0.8), in units of 0.1. Set on the
# dev answer set (evals/answers_dev.jsonl), never on the test set.
MEANING_WEIGHT = 4.0
MEANING_FLOOR = 0.78


def _meaning(plan: QueryPlan | None, hit: SearchHit, count: int) -> np.ndarray | None:
    """Cosine similarity of each candidate sentence of the hit's passage to the question (None when unknown)."""
    if plan is None or plan.query_vector is None or plan.sentence_vectors is None:
        return None
    vectors = plan.sentence_vectors.get(hit.passage.id)
    if vectors is None or vectors.shape[0] != count or count == 0:
        return None
    q = np.asarray(plan.query_vector, dtype=np.float32)
    return vectors.astype(np.float32) @ q


def _names_year(year: str, sentence: str, passage: Passage) -> bool:
    """Whether the sentence is of the asked year: it names it, or its section does ("Mục tiêu đến năm 2030")."""
    return any(re.search(rf"(?<!\d){year}(?!\d)", text) for text in (sentence, passage.section))


_ADDRESSEES = re.compile(
    r"^\s*(Kính gửi|Nơi nhận)\s*:?\s*$((?:\n\s*(?:[-–•+].*)?$)*)", re.MULTILINE | re.IGNORECASE
)


def addressee_lines(text: str) -> set[str]:
    """The lines of a "Kính gửi:" or "Nơi nhận:" block (who a letter goes to), never an answer: "gồm những
    loại nào" over an official letter is not its list of recipients."""
    lines: set[str] = set()
    for m in _ADDRESSEES.finditer(text):
        lines |= {ln.strip().lstrip("-–•+ ").strip() for ln in m.group(2).splitlines() if ln.strip()}
    return lines


def select_sentences(
    question: str,
    hits: list[SearchHit],
    limit: int = 3,
    max_chars: int = 900,
    *,
    plan: QueryPlan | None = None,
    detail: bool = False,
    stats: CorpusStats | None = None,
):
    """Pick up to `limit` whole sentences from the top passages, best first, as (hit, sentence) pairs.

    A sentence scores by the question's words it holds (and their pairs), each by its rarity in the corpus
    when `stats` is given ("môn bài" outweighs "hộ kinh doanh"), by holding the asked kind of value
    (a date, a number), and by meaning: its stored vector's similarity to the question (`plan`'s vectors,
    see retrieval.sentences), which is what finds the answer to a question in everyday words.
    Further sentences must score close to the best one (and closer still when they come from another
    passage), so the answer stays on the point instead of collecting loosely related lines.
    """
    q_terms, q_bigrams = _query_terms(question)
    # a completed follow-up is focused by its own words, not by the earlier question's asking words; the
    # earlier question's other words say what it is about, and count `BACKGROUND_WEIGHT` as much
    own = _follow_up_own_terms(question)
    focus = own or _focus_terms(question)
    background = frozenset(q_terms - own) if own else frozenset()
    kind = asked_type(question)
    roles = asked_roles(question)  # "Giám đốc Sở Tư pháp là ai?": the sentence naming that office
    years = asked_years(question)  # "tới năm 2027 có mấy bác sĩ?": the sentence of that year, not of 2030
    scored: list[tuple[float, int, int, SearchHit, str]] = []
    # all five passages are read: the sentence naming an asked office, or the target of an asked year, may sit
    # in a passage ranked below the meeting's opening lines or the other years' targets
    for hi, hit in enumerate(hits[:5]):
        sentences = _sentences(hit.passage.text)
        meaning = _meaning(plan, hit, len(sentences))
        addressees = addressee_lines(hit.passage.text)
        doc = hit.passage.doc
        place = frozenset(WORD_RE.findall(fold(doc.place or ""))) if is_local_news(doc) else frozenset()
        for si, sentence in enumerate(sentences):
            if addressees and sentence.strip().lstrip("-–•+ ").strip() in addressees:
                continue
            s = _sentence_score(q_terms, q_bigrams, sentence, stats, place, focus, background)
            if meaning is not None:
                m = MEANING_WEIGHT * max(0.0, float(meaning[si]) - MEANING_FLOOR) * 10
                # a lead-in ("… được nêu tại Mục II như sau:") is close in meaning to any question on what
                # follows it, yet states nothing: halved like its words, except for a list question
                s += m * (0.5 if kind != "list" and sentence.rstrip().endswith(":") else 1.0)
            s *= (1.0 - 0.15 * hi) * _answer_type_factor(kind, sentence)
            if roles and holds_role(roles, sentence):
                s *= 3.0  # the office asked about, with its body: what the question is about
            # a news report is of one year, written once: its sentences are not told apart by naming it
            if (
                years
                and plan is not None
                and not is_local_news(hit.passage.doc)
                and any(_names_year(y, sentence, hit.passage) for y in years)
            ):
                s *= 1.8
            scored.append((s, hi, si, hit, sentence))
    scored.sort(key=lambda x: (-x[0], x[1], x[2]))
    chosen: list[tuple[float, int, int, SearchHit, str]] = []
    total = 0
    for item in scored:
        if len(chosen) >= limit:
            break
        if chosen:
            best = chosen[0]
            # "cụ thể hơn": the official wants more of the same passages, so looser sentences join in
            needed = (0.3 if item[1] == best[1] else 0.5) if detail else (0.6 if item[1] == best[1] else 0.8)
            if item[0] < best[0] * needed:
                break
            if total + len(item[4]) > max_chars:
                continue
        chosen.append(item)
        total += len(item[4])
    if not chosen and hits:
        first = _sentences(hits[0].passage.text)
        if first:
            chosen = [(0.0, 0, 0, hits[0], first[0])]
    chosen.sort(key=lambda x: (x[1], x[2]))
    return [(c[3], c[4]) for c in chosen]


_FULL_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|ngày \d{1,2} tháng \d{1,2}")


def lead_with_fact(question: str, picked: list[tuple[SearchHit, str]]) -> list[tuple[SearchHit, str]]:
    """The chosen (hit, sentence) pairs with the sentence that holds the asked fact first.

    A "how much / when / who" question is answered by the sentence with the amount in the asked unit
    (money, percentage, area, head count), the date or the name — for "who holds this office", the sentence
    naming the office; the official reads it first. Sentences of
    one passage stay together and in document order.
    """
    kind, unit = asked_type(question), asked_unit(question)
    if len(picked) < 2 or not (unit or kind in ("date", "number", "person")):
        return picked

    def holds(sentence: str) -> bool:
        return unit_found(unit, sentence) if unit else answer_type_found(kind, sentence)

    roles = asked_roles(question)
    first = next((h.passage.id for h, s in picked if holds_role(roles, s)), None) if roles else None
    if (
        first is None and kind == "date" and not unit
    ):  # a full date ("22/12/2024") answers "ngày nào" better than a bare year
        first = next((h.passage.id for h, s in picked if _FULL_DATE.search(s)), None)
    first = first or next((h.passage.id for h, s in picked if holds(s)), None)
    if first is None:
        return picked
    return [p for p in picked if p[0].passage.id == first] + [p for p in picked if p[0].passage.id != first]


def enumeration(text: str, sentence: str) -> tuple[str, list[str]] | None:
    """The list a sentence belongs to or announces, as (lead-in, items), or None (see `retrieval.lists`).

    A sentence ending with ":" announces the list items on the following lines; a sub-heading heads the items
    below it; a sentence that is itself a list item brings its sibling items; markers inside a paragraph
    ("(i) …; (ii) …") and clauses after "… gồm:" are lists too.
    """
    found = find_list(text, sentence)
    if found is None or _ADDRESSEES.match(found.lead.strip()):
        return None  # the recipients of a letter are not the list asked about
    return (found.lead, found.items)


def list_quote(lead: str, items: list[str]) -> tuple[str, str]:
    """(count sentence, quote) of a whole list: every item's first sentence(s), at most `MAX_LIST_ITEMS` items,
    within a Telegram message."""
    shown = items[:MAX_LIST_ITEMS]
    budget = max(200, LIST_CHARS // max(len(shown), 1))
    body = "\n".join(
        f"{i}. {_clip(first_sentences(it, budget), budget)}" for i, it in enumerate(shown, start=1)
    )
    if len(items) > len(shown):
        body += f"\n(còn {len(items) - len(shown)} ý nữa — xem nguyên văn)"
    return f"Gồm {len(items)} ý. ", (f"{lead}\n" if lead else "") + body


def _in_document(
    passage: Passage, doc_passages: Callable[[str], Sequence[Passage]]
) -> tuple[list[Passage], int | None]:
    """The passages of `passage`'s document in order, and its own index among them (None when absent)."""
    ordered = list(doc_passages(passage.doc.source))
    return ordered, next((i for i, p in enumerate(ordered) if p.id == passage.id), None)


def _with_next(passage: Passage, doc_passages: Callable[[str], Sequence[Passage]] | None) -> str:
    """The passage's text and, when the next passage of its document continues the same section, that one's
    too: a list cut by the chunker is shown whole. A next passage under a "heading" that is really its own
    first paragraph (a sentence marked as a heading in the source) continues the section as well."""
    if doc_passages is None:
        return passage.text
    ordered, at = _in_document(passage, doc_passages)
    if at is None or at + 1 >= len(ordered):
        return passage.text
    nxt = ordered[at + 1]
    own = nxt.section.split(" › ")[-1].rstrip("…").strip()
    parent = " › ".join(nxt.section.split(" › ")[:-1])
    continues = (
        nxt.section == passage.section
        or nxt.section.startswith(passage.section + " › ")
        or (bool(own) and nxt.text.startswith(own) and passage.section.startswith(parent))
    )
    if not continues:
        return passage.text
    # a long paragraph cut in two by the chunker ("…các chỉ tiêu đề ra;" | "đối với …") is joined back
    # — but not between two items of a list on its own lines ("c) …vườn ươm;" | "d) Đầu tư …"), nor after a
    # marked sub-heading ("2. Đối với dự án …" | "a) Hiện nay …")
    last, first = line_mark(passage.text.rstrip().rsplit("\n", 1)[-1]), line_mark(nxt.text.split("\n", 1)[0])
    cut = (
        passage.text.rstrip()[-1:] not in ".!?:…"
        and (nxt.text[:1].islower() or nxt.text[:1] == "(")
        and not (last and first and (mark_kind(last[0]) == mark_kind(first[0]) or is_subheading(last[1])))
    )
    return f"{passage.text}{' ' if cut else chr(10)}{nxt.text}"


FOLLOWING_PASSAGES = 4  # how far a list announced with its count, or reaching the text's end, is read on


def _ends_with(text: str, item: str) -> bool:
    """Whether `text` ends with `item` (the list's last item reaches the end of what was read)."""
    tail = " ".join(item.split())[-40:]
    return bool(tail) and " ".join(text.split()).endswith(tail)


def _following(passage: Passage, doc_passages: Callable[[str], Sequence[Passage]] | None) -> list[str]:
    """Texts of up to `FOLLOWING_PASSAGES` passages after `passage` in its section or its sub-sections (beyond
    the next one, which `_with_next` already joins)."""
    if doc_passages is None:
        return []
    ordered, at = _in_document(passage, doc_passages)
    if at is None:
        return []
    out: list[str] = []
    for p in ordered[at + 2 : at + 1 + FOLLOWING_PASSAGES]:
        if not (p.section == passage.section or p.section.startswith(passage.section + " › ")):
            break
        out.append(p.text)
    return out


def _with_previous(
    passage: Passage, doc_passages: Callable[[str], Sequence[Passage]] | None, text: str
) -> str:
    """`text` (the passage, maybe with the next one) preceded by the previous passage of the same section when
    the passage opens in the middle of a list ("d) …", "3. …"): the chunker cut the list after its lead-in and
    first items ("Quỹ … thực hiện các chức năng sau đây: a) … b) … c) …" | "d) … đ) …"), and the answer must
    count and show it from its first item."""
    if doc_passages is None:
        return text
    first = next((ln.strip() for ln in passage.text.split("\n") if ln.strip()), "")
    found = line_mark(first)
    if found is None or (ordinal(found[0]) or 1) <= 1:
        return text
    ordered, at = _in_document(passage, doc_passages)
    prev = ordered[at - 1] if at else None
    # the chunker may file the cut-off items under the lead-in as a heading ("… › 2. Quỹ … thực…")
    if prev is None or not (
        prev.section == passage.section or passage.section.startswith(prev.section + " › ")
    ):
        return text
    return f"{prev.text}\n{text}"


def _speaks_of_named(
    passage: Passage, plan: QueryPlan, doc_passages: Callable[[str], Sequence[Passage]] | None
) -> bool:
    """Whether the passage belongs to a document the question names, or to one that names it somewhere."""
    if passage.doc.source in plan.ref_sources:
        return True
    named = {(r.number, r.kind) for r in plan.refs}
    texts = [p.text for p in doc_passages(passage.doc.source)] if doc_passages else [passage.text]
    for text in [passage.doc.title or "", *texts]:
        for ref in find_refs(text):
            if any(ref.number == n and (k is None or ref.kind in (None, k)) for n, k in named):
                return True
    return False


_ITEM_START = re.compile(r"\s*(?:\(\w{1,4}\)|\w{1,2}\)|[-+•*–])\s")


def through_list_end(text: str, sentence: str) -> str:
    """A piece of a list of clauses, as the sentence splitter cut it at ";", given back whole: one that opens
    the list ("… Trong đó, ưu tiên các lĩnh vực: Tài chính - ngân sách;") runs to the end of the list in its
    paragraph ("…; đất đai và quy hoạch; … ."), and one that closes it ("Dân tộc và Tôn giáo đã báo cáo kết
    quả …", after "các ngành: Khoa học và Công nghệ; Tư pháp; …;") or that starts in lower case after a ";"
    ("đến năm 2027 có ít nhất từ 4 - 5 bác sĩ.") starts where its sentence starts, so a quote never starts or
    ends inside a list. Any other sentence is unchanged."""
    opens = sentence.rstrip().endswith(";") and ":" in sentence
    for line in text.split("\n"):
        at = line.find(sentence)
        if at < 0:
            continue
        start = at
        # an item of a marked list ("(4) đôn đốc …;", "b) …") is whole by itself
        if line[:at].rstrip().endswith(";") and not _ITEM_START.match(sentence):
            begin = max(line.rfind(m, 0, at) for m in (". ", "! ", "? "))
            head = line[begin + 2 if begin >= 0 else 0 : at]
            # a lowercase piece continues its sentence too, and so does any piece of a sentence short enough
            # to show whole ("Trong đó, bám sát các nghị quyết …; Nghị quyết Đại hội Đảng bộ tỉnh …")
            if ":" in head or sentence[:1].islower() or len(head) + len(sentence) <= MAX_QUOTE // 2:
                start = at - len(head)
        if not opens and start == at:
            return sentence
        rest = line[at + len(sentence) :]
        end = re.search(r"[.!?…](?=\s|$)", rest) if opens else None
        tail = (rest[: end.end()] if end else rest.rstrip()) if opens else ""
        return re.sub(r"^\s*[-+•*–]\s+", "", line[start:at]) + sentence + tail
    return sentence


def _clip(sentence: str, limit: int = MAX_QUOTE) -> str:
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit]
    return cut[: cut.rfind(" ")] + "…"


def _alnum(number: str) -> str:
    return "".join(ch for ch in fold(number) if ch.isalnum())


_AS_SOURCE_BEFORE = re.compile(r"\b(theo|tai|can cu|quy dinh cua|thuc hien)\b[^.;|]{0,60}$")
_AS_SOURCE_AFTER = re.compile(r"^[^.;|]{0,40}\b(quy dinh|neu ro|xac dinh|noi ro|yeu cau|nhan manh)\b")


def _cites(sentence: str, refs) -> bool:
    """True when the sentence quotes one of `refs` as its source ("Theo … Quy định 66-QĐ/TW thì …",
    "Quy định 66-QĐ/TW quy định …"), not merely mentions it in passing or in a table cell."""
    folded = fold(sentence)
    for ref in refs:
        for m in re.finditer(rf"(?<!\d){re.escape(ref.number)}(?!\d)", folded):
            same = [
                r
                for r in find_refs(sentence)
                if r.number == ref.number
                and (ref.kind is None or r.kind == ref.kind)
                and (not ref.full or _alnum(r.full or "") == _alnum(ref.full))
            ]
            if same and (
                _AS_SOURCE_BEFORE.search(folded[: m.start()]) or _AS_SOURCE_AFTER.search(folded[m.end() :])
            ):
                return True
    return False


def _cited_above(
    hit: SearchHit, sentence: str, refs, doc_passages: Callable[[str], Sequence[Passage]] | None
) -> bool:
    """True when a lead-in the sentence stands under cites one of `refs` as its source: "Theo Điều 4 Quy định
    66-QĐ/TW năm 2017 quy định: … Các thể loại văn bản của Đảng gồm: 1- Cương lĩnh chính trị … là văn bản …".
    Lead-ins are the lines above it ending with ":", in its passage or the one before in the same section."""
    text = hit.passage.text
    at = text.find(sentence)
    if at < 0:
        return False
    earlier = [p.text for p in _before(hit, doc_passages, 1) if p.section == hit.passage.section]
    lines = "\n".join([*earlier, text[:at]]).split("\n")
    return any(line.rstrip().endswith(":") and _cites(line, refs) for line in lines)


def refusal(
    question: str,
    hits: list[SearchHit],
    plan: QueryPlan,
    referenced: tuple[str, ...],
    *,
    unknown: bool = False,
) -> Answer:
    """The "not found" answer (mentioning a named document the corpus does not hold)."""
    text = NOT_FOUND
    if plan.unknown_refs and not plan.ref_sources and (unknown or not plan.mentions):
        names = ", ".join(r.display() for r in plan.unknown_refs)
        # one message, not two: the generic advice ("nêu số hiệu, ví dụ Nghị quyết 57-NQ/TW") would confuse
        # an official who has just named a Nghị định 57
        text = (
            f"{UNKNOWN_DOCUMENT} {names}, nên chưa thể trả lời dựa trên văn bản này. Anh/chị có thể gửi văn "
            "bản cho bộ phận quản trị để bổ sung vào kho, hoặc tra cứu bản gốc."
        )
    return Answer(
        question=question, text=text, citations=[], grounded=False, hits=hits, referenced_docs=referenced
    )


def evidence(
    question: str, hits: list[SearchHit], plan: QueryPlan, stats: CorpusStats, *, detail: bool = False
) -> tuple[list[tuple[SearchHit, str]], dict[str, float]]:
    """The chosen sentences and the judge's features for them (what `compose` decides on). `detail`: the
    official asked for more ("cụ thể hơn"): up to 6 sentences, about 1,800 characters."""
    # the judge was calibrated on the sentences picked by words; meaning only changes which sentences are shown
    by_words = select_sentences(question, hits)
    # a named document the index lacks but the first passage cites ("Mục III Kế hoạch 263/KH-UBND … cụ thể như
    # sau:", inside an article on the NQ 68 also named) is quoted there: no longer a sign of a near miss
    cited_first = bool(hits) and hits[0].passage.id in plan.mentions and bool(plan.ref_sources)
    unknown = () if cited_first else plan.unknown_refs
    feats = features(question, hits, stats, [s for _, s in by_words], plan.ref_sources, unknown)
    if detail:
        return select_sentences(question, hits, 6, 1800, plan=plan, detail=True, stats=stats), feats
    by_meaning = select_sentences(question, hits, plan=plan, stats=stats)
    # meaning may prefer the lead-in ("… cụ thể như sau:") to the line holding the asked date: then the sentences
    # chosen by words, which hold one, are shown (not for amounts: some number is in almost any sentence)
    words = [s for _, s in by_words]
    if (
        asked_type(question) == "date"
        and asked_detail_missing(question, [s for _, s in by_meaning])
        and not asked_detail_missing(question, words)
    ):
        return by_words, feats
    return by_meaning, feats


def _with_office_holder(
    question: str, hits: list[SearchHit], doc_passages: Callable[[str], Sequence[Passage]] | None
) -> list[SearchHit]:
    """For "Giám đốc Sở Tư pháp … tên là gì?": the passage of a found document (the best first) that names the
    office with its holder, in place of the fifth hit, when no hit does (a news report names each speaker once,
    in a paragraph that shares few words with the question)."""
    roles = asked_roles(question)
    if not roles or not hits or doc_passages is None:
        return hits
    seen = {h.passage.id for h in hits}
    if any(holds_role(roles, s) for h in hits for s in _sentences(h.passage.text)):
        return hits
    # only reports about the asked place: Thanh Hóa's Giám đốc Sở Tư pháp is not Phú Thọ's
    sources = [
        s
        for s in dict.fromkeys(h.passage.doc.source for h in hits)
        if about_asked_places(question, doc_passages(s))
    ]
    for passage in (p for source in sources for p in doc_passages(source)):
        if passage.id not in seen and any(holds_role(roles, s) for s in _sentences(passage.text)):
            last = hits[min(len(hits), 5) - 1]
            return [
                *hits[:4],
                SearchHit(passage, score=last.score, rank=5, dense=last.dense, lexical=last.lexical),
            ]
    return hits


def _documents(
    picked: Sequence[tuple[SearchHit, str]], doc_passages: Callable[[str], Sequence[Passage]] | None
) -> list[list[Passage]]:
    """The whole documents the picked sentences come from (each its passages; the passage alone without
    `doc_passages`)."""
    docs: dict[str, list[Passage]] = {}
    for hit, _ in picked:
        source = hit.passage.doc.source
        if source not in docs:
            docs[source] = list(doc_passages(source)) if doc_passages else []
            docs[source] = docs[source] or [hit.passage]
    return list(docs.values())


def _says_count(answer: str, lead: str) -> bool:
    """Whether the answer's first line already states the count with its noun ("Nghị quyết 57 nêu 5 quan điểm
    chỉ đạo (mục I):"): then "Trả lời ngắn: 5 quan điểm chỉ đạo." would only repeat it."""
    head = answer.split("\n", 1)[0]
    count = lead.removeprefix(FACT_LEAD).split()[0]
    return f" nêu {count} " in f" {head} "  # "gồm 8 ý" counts items only: the asked noun says more


def _before(
    hit: SearchHit, doc_passages: Callable[[str], Sequence[Passage]] | None, count: int = 2
) -> list[Passage]:
    """Up to `count` passages before the hit's in its document, in order ([] without `doc_passages`)."""
    if doc_passages is None:
        return []
    doc = list(doc_passages(hit.passage.doc.source))
    at = next((i for i, p in enumerate(doc) if p.id == hit.passage.id), None)
    return doc[max(0, at - count) : at] if at is not None else []


def _referenced(hits: list[SearchHit], plan: QueryPlan) -> tuple[str, ...]:
    """Canonical numbers of the named documents that were found ("NQ 57" → "57-NQ/TW"), for follow-ups."""
    in_refs = set(plan.ref_sources)
    found = [
        h.passage.doc.doc_number for h in hits if h.passage.doc.source in in_refs and h.passage.doc.doc_number
    ]
    return tuple(dict.fromkeys(found)) or tuple(r.full or r.display() for r in plan.refs)


def compose(
    question: str,
    hits: list[SearchHit],
    plan: QueryPlan,
    stats: CorpusStats,
    judge: Judge | None = None,
    *,
    doc_passages: Callable[[str], Sequence[Passage]] | None = None,
    detail: bool = False,
) -> Answer:
    """The extractive answer for `question` over `hits` (best first).

    `judge` decides whether the evidence answers the question (the shipped one by default);
    `doc_passages(source)` gives every passage of a document in order, for questions about a whole section.
    """
    judge = judge or default_judge()
    referenced = _referenced(hits, plan)
    if not hits or (plan.unknown_refs and not plan.ref_sources and not plan.mentions):
        return refusal(question, hits, plan, referenced)

    if doc_passages is not None and plan.ref_sources:
        section = section_answer(question, plan.ref_sources, doc_passages)
        if section is None and asked_type(question) == "list":
            section = titled_items(question, plan.ref_sources, doc_passages)
        if section is not None:
            text, citations = section
            lead = count_lead(question, listed_count(text) or 0)
            if lead and not _says_count(text, lead):
                text = f"{lead}\n\n{text}"
            return Answer(
                question=question,
                text=text,
                citations=citations,
                grounded=True,
                hits=hits,
                referenced_docs=referenced or tuple(c.doc_number for c in citations if c.doc_number),
            )

    hits = hits_about_asked_places(question, _with_office_holder(question, hits, doc_passages), doc_passages)
    if not hits:
        return refusal(question, hits, plan, referenced)
    picked, feats = evidence(question, hits, plan, stats, detail=detail)
    # "đến 2045 bao nhiêu?": amounts written under 2030 are not shown, and may leave nothing to show
    picked = [
        (h, s) for h, s in picked if not under_another_year(question, h.passage, s, _before(h, doc_passages))
    ]
    if plan.unknown_refs and not plan.ref_sources:
        # the named document is not held: only sentences that cite it may answer ("Theo Quy định 66-QĐ/TW …")
        picked = [
            (h, s)
            for h, s in picked
            if _cites(s, plan.unknown_refs) or _cited_above(h, s, plan.unknown_refs, doc_passages)
        ]
        if not picked:
            return refusal(question, hits, plan, referenced, unknown=True)
    if plan.ref_sources and not plan.from_context:
        # the question names a document the corpus holds: quote it, or a document that speaks of it (an article
        # on it, a provincial report on carrying it out) — never an unrelated one that matched the other words
        # ("Thông báo 659 giao Sở Tư pháp tỉnh Thanh Hóa làm gì?" is not answered by Thanh Hóa's news)
        picked = [(h, s) for h, s in picked if _speaks_of_named(h.passage, plan, doc_passages)]
        if not picked:
            return refusal(question, hits, plan, referenced)
    if (
        not picked
        or not judge.accept(feats)
        or asked_detail_missing(question, [s for _, s in picked])
        or quantity_missing(question, [h.passage.text for h in hits[:3]])
        or asked_role_missing(question, [s for _, s in picked])
        or off_the_asked_case(question, list({h.passage.id: h for h, _ in picked}.values()), doc_passages)
        or body_unnamed(question, _documents(picked, doc_passages))
    ):
        return refusal(question, hits, plan, referenced)

    wants_list = asked_type(question) == "list"
    if not wants_list:
        # a lead-in ("… 8 nhiệm vụ, giải pháp bao gồm:") announces a list without giving it: beside a sentence
        # that states something, it is not quoted
        stated = [(h, s) for h, s in picked if not s.rstrip().endswith(":")]
        picked = stated or picked
    by_passage: dict[str, tuple[SearchHit, list[str]]] = {}
    for hit, sentence in lead_with_fact(question, picked):
        by_passage.setdefault(hit.passage.id, (hit, []))[1].append(sentence)
    parts: list[str] = []
    citations: list[Citation] = []
    listed_items = 0
    for n, (hit, sentences) in enumerate(by_passage.values()):
        listed = None
        if wants_list and n == 0:
            text = _with_previous(hit.passage, doc_passages, _with_next(hit.passage, doc_passages))
            # a lead-in ("… ưu tiên các lĩnh vực: A; B; C") says which list is asked before a mere item does
            leads_first = sorted(sentences, key=lambda s: ":" not in s)
            listed = next(filter(None, (enumeration(text, s) for s in leads_first)), None)
            if (
                listed is None
                or (announced_count(listed[0]) or 0) > len(listed[1])
                or _ends_with(text, listed[1][-1])
            ):
                # "… 10 nhiệm vụ trọng tâm. Cụ thể: A; B; C." and seven paragraphs, items (1) … (5) one a
                # passage, or a lead-in ending its passage ("… cụ thể như sau:" | "1. …" | "2. …"), which the
                # chunker spread over the next passages: read on through them
                longer = "\n".join([text, *_following(hit.passage, doc_passages)])
                listed = next(filter(None, (enumeration(longer, s) for s in leads_first)), listed)
        if listed:
            head, quote = list_quote(*listed)
            listed_items = len(listed[1])
        elif wants_list and n > 0 and parts and parts[0].startswith("Gồm "):
            continue  # the whole list answers; sentences of other passages only distract from it
        else:
            # a sub-heading alone ("- Mục tiêu tổng quát đến năm 2030") stands for the paragraph under it, also
            # when the chunker put that paragraph in the next passage
            shown = [
                subheading_content(_with_next(hit.passage, doc_passages), s)
                or through_list_end(hit.passage.text, s)
                for s in sentences
            ]
            # a piece given back whole may now hold another chosen piece of the same sentence (within what is
            # shown of it): quoted once
            shown = list(dict.fromkeys(_clip(s) for s in shown))
            shown = [
                t
                for i, t in enumerate(shown)
                if not any(t in o and t != o for o in shown[:i] + shown[i + 1 :])
            ]
            quote = " ".join(shown)
            head = ""
        cit = Citation.from_passage(hit.passage, quote=quote)
        citations.append(cit)
        sep = "\n" if listed else " "
        parts.append(f"{head}Theo {format_citation_label(cit)}:{sep}{quote}")
    doc_refs = tuple(dict.fromkeys(c.doc_number for c in citations if c.doc_number))
    if not doc_refs and citations:  # a news report has no number: its file is the follow-up's context
        doc_refs = (SOURCE + citations[0].source,)
    if parts and not parts[0].startswith("Gồm "):
        # the asked fact first, copied from the first quote ("Trả lời ngắn: tối thiểu 1,5 cm."), then the quotes
        said = " ".join(next(iter(by_passage.values()))[1])
        fact = short_fact(question, said)
        if fact and counts_another_noun(question, said, fact):
            # "bao nhiêu điều dưỡng?" over "… ít nhất 1.000 bác sĩ …": the document counts something else
            return refusal(question, hits, plan, referenced)
        if fact:
            parts.insert(0, f"{FACT_LEAD} {fact}.")
    elif listed_items:
        lead = count_lead(question, listed_items)  # "có mấy nhiệm vụ?": "Trả lời ngắn: 8 nhiệm vụ."
        if lead:
            parts.insert(0, lead)
    return Answer(
        question=question,
        text="\n\n".join(parts),
        citations=citations,
        grounded=True,
        hits=hits,
        referenced_docs=referenced or doc_refs,
    )
