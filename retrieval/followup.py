"""Follow-up questions: "còn mục tiêu đến 2045 thì sao?", "còn NQ 66?", "cụ thể hơn", "ý thứ 3 là gì?".

The bot (and `troly ask --after`, `troly eval --answers`) passes back, as `context_docs`, what the previous
answer left in `Answer.referenced_docs`: the document numbers it was about and, marked with `PREVIOUS`, the
question it answered. A question that reads as a follow-up is completed with that earlier question before it
is searched; a question that stands on its own is searched as typed (the documents still act as context).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.docrefs import KIND_NAMES, find_refs, kind_of_number, without_refs
from retrieval.evidence import content_terms
from retrieval.metadata_answers import metadata_field
from retrieval.textnorm import fold

PREVIOUS = "câu hỏi trước: "
# a file the previous answer quoted that has no document number (a provincial news report): the context a
# follow-up on that report needs ("Chủ tịch tỉnh yêu cầu Sở phải có tinh thần gì?" after its meeting)
SOURCE = "tệp: "

_STARTS = (
    "con ",
    "the con ",
    "vay con ",
    "vay ",
    "roi ",
    "con ve ",
    "con voi ",
    "trong do",
    "ngoai ra",
    "cu the hon",
    "chi tiet hon",
    "noi ro hon",
    "ro hon",
    "giai thich them",
    "them nua",
    "con nua",
    "the thi",
    "vay thi",
    "nghi quyet do",
    "van ban do",
    "ket luan do",
    "thong bao do",
    "chi thi do",
    "no ",
    "do la",
)
_ORDINAL = re.compile(r"\b(y|muc|diem|giai phap|nhiem vu|quan diem|muc tieu|noi dung)\s+thu\s+(\w+)")
_MORE = re.compile(r"^(cu the hon|chi tiet hon|noi ro hon|ro hon|giai thich them)\b")


def asks_for_more(question: str) -> bool:
    """ "cụ thể hơn", "chi tiết hơn", "nói rõ hơn", "giải thích thêm": the previous answer, at more length."""
    return bool(_MORE.match(fold(question).strip()))


def split_context(context_docs: Sequence[str]) -> tuple[list[str], str | None]:
    """(document numbers, the previous question or None) from what the caller passed back."""
    docs: list[str] = []
    previous = None
    for item in context_docs:
        if item.startswith(PREVIOUS):
            previous = item[len(PREVIOUS) :].strip() or None
        elif not item.startswith(SOURCE):
            docs.append(item)
    return docs, previous


def context_sources(context_docs: Sequence[str]) -> list[str]:
    """The source files (marked with `SOURCE`) the previous answer quoted without a document number."""
    return [item[len(SOURCE) :] for item in context_docs if item.startswith(SOURCE)]


def is_follow_up(question: str) -> bool:
    """True for a question that needs the previous one to make sense."""
    q = fold(question).strip()
    if q.startswith(_STARTS) or _ORDINAL.search(q):
        return True
    if find_refs(question):
        return False
    if _THAT_DOCUMENT.search(q) or _THAT_MEETING.search(q):
        return True  # "cuộc họp đó diễn ra hôm nào?", "hỏi thêm về văn bản này"
    # "vùng DTTS, biên giới thì được bao nhiêu?": a case of the earlier question, asked by its case alone
    if _CASE_OF_PREVIOUS.search(q):
        return True
    # "hạn chót là bao giờ?": one or two topic words once the asking words are set aside
    return len(content_terms(question) - _ASKING_WORDS) <= 2


_CASE_OF_PREVIOUS = re.compile(r"\bthi (duoc |la |phai )?(bao nhieu|may)\W*$")
_ASKING_WORDS = {"gio", "luc", "lau", "han", "chot"}


# "nghị quyết đó", "văn bản này", "kết luận trên", "nó": the document the previous answer was about
_THAT_DOCUMENT = re.compile(
    r"\b(nghi quyet|ket luan|thong bao|chi thi|cong van|quyet dinh|nghi dinh|ke hoach|van ban)\s+"
    r"(do|nay|tren|ay|vua roi|vua noi)\b|^no\b"
)


def standalone(question: str, previous: str | None, docs: Sequence[str] = ()) -> str:
    """The follow-up completed with the earlier question ("cụ thể hơn" → the earlier question itself).

    `docs` are the document numbers the previous answer was about (first = main one). "nghị quyết đó về nội
    dung gì?" names that document in place of "nghị quyết đó" (the earlier question, "… ban hành ngày nào?",
    would otherwise be asked again); "còn NQ 66?" after "KL 221 ai ký?" asks the earlier question of the new
    document only ("NQ 66 (ai ký)"), never of both."""
    if not previous or not is_follow_up(question):
        return question
    q = fold(question).strip()
    if _MORE.match(q):
        return previous
    meeting = _THAT_MEETING.search(fold(question))
    if meeting and docs:
        # "cuộc họp đó" is the meeting the previous document reports: "cuộc họp (Thông báo 659/TB-VPCP)"
        name = f"{KIND_NAMES.get(kind_of_number(docs[0]) or '', 'Văn bản')} {docs[0]}"
        return f"{question[: meeting.end(1)]} ({name}){question[meeting.end() :]}".strip()
    that = _THAT_DOCUMENT.search(fold(question))  # fold keeps positions: the match indexes `question`
    if that and docs:
        number = docs[0]
        name = f"{KIND_NAMES.get(kind_of_number(number) or '', 'Văn bản')} {number}"
        return f"{question[: that.start()]}{name}{question[that.end() :]}".strip()
    if find_refs(question) and find_refs(previous):
        asked = without_refs(previous).rstrip("?").strip()
        return f"{question.rstrip()} ({asked})" if asked else question
    if metadata_field(previous) and not metadata_field(question) and content_terms(question):
        # "Kết luận 221 ban hành ngày nào?" then "còn mục tiêu đến 2045 thì sao?": a new topic about the same
        # document; the date asked before is not asked again
        about = docs[0] if docs else " ".join(r.display() for r in find_refs(previous))
        if about:
            name = f"{KIND_NAMES.get(kind_of_number(about) or '', '')} {about}".strip() if docs else about
            return f"{question.rstrip()} ({name})"
    return f"{question.rstrip()} ({_without_years(previous, question).strip().rstrip('?').strip()})"


_YEAR = re.compile(r"\b((den|toi|vao|trong|cho)\s+)?(nam\s+)?(19|20)\d{2}\b")


def _without_years(previous: str, question: str) -> str:
    """The earlier question without its years when the follow-up names its own: "đến 2035 thì sao?" after
    "… đến 2030 có mấy trường …?" asks of 2035 only, and the earlier year would pull the 2030 sentence back."""
    if not _YEAR.search(fold(without_refs(question))):
        return previous
    folded = fold(previous)  # fold keeps positions, so the matches index `previous`
    kept, at = [], 0
    for m in _YEAR.finditer(folded):
        if previous[m.start() - 1 : m.start()] not in ("/", "-") and previous[m.end() : m.end() + 1] != "/":
            kept.append(previous[at : m.start()])
            at = m.end()
    kept.append(previous[at:])
    return re.sub(r"\s{2,}", " ", "".join(kept))


# "cuộc họp đó", "hội nghị này", "phiên họp ấy": the meeting the previous document (a notice) reports
_THAT_MEETING = re.compile(r"\b(cuoc hop|buoi hop|phien hop|hoi nghi|ky hop)\s+(do|nay|tren|ay|vua roi)\b")
