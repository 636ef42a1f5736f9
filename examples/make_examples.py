"""Generate the sample roster and task list: `python examples/make_examples.py` → examples/*.xlsx.

A small, fictional province after the 2-level reform: UBND tỉnh, its Văn phòng and a few Sở, and several
xã/phường directly below the province. Tasks are drawn from the documents shipped in corpus/ (Kết luận
221-KL/TW, Nghị quyết 57, 66, 68-NQ/TW, Công văn 6225/BVHTTDL-VP, Công văn 22498/UBND-THĐT...). People's
names are invented. Everything is seeded and dated relative to REFERENCE_TODAY, so the files are identical
on every run and tests can reason about them (deadlines 01/09/2026–31/03/2027: some overdue, some done on
time, some done late).
"""

from __future__ import annotations

import io
import random
import re
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from tasks import columns as C  # noqa: E402

REFERENCE_TODAY = date(2026, 11, 22)
FIRST_DEADLINE = date(2026, 9, 1)
LAST_DEADLINE = date(2027, 3, 31)
SEED = 20261122
N_TASKS = 150

TINH = "UBND tỉnh"
VP = "Văn phòng UBND tỉnh"
NOI_VU = "Sở Nội vụ"
TAI_CHINH = "Sở Tài chính"
KHCN = "Sở Khoa học và Công nghệ"
VHTTDL = "Sở Văn hóa, Thể thao và Du lịch"
GDDT = "Sở Giáo dục và Đào tạo"
TU_PHAP = "Sở Tư pháp"
P_CCVC = "Phòng Công chức, viên chức - Sở Nội vụ"
P_CDS = "Phòng Chuyển đổi số - Sở Khoa học và Công nghệ"
XA = ["UBND xã Hợp Tiến", "UBND xã Xuân Du", "UBND phường Hạc Thành", "UBND xã Bá Thước"]
SO = [NOI_VU, TAI_CHINH, KHCN, VHTTDL, GDDT, TU_PHAP]

# unit → parent (None: top), in the order units should appear
UNITS: dict[str, str | None] = {
    TINH: None,
    VP: TINH,
    **dict.fromkeys(SO, TINH),
    P_CCVC: NOI_VU,
    P_CDS: KHCN,
    **dict.fromkeys(XA, TINH),
}

LEADER_TITLE = {
    TINH: "Chủ tịch UBND tỉnh",
    VP: "Chánh Văn phòng",
    P_CCVC: "Trưởng phòng",
    P_CDS: "Trưởng phòng",
}


@dataclass
class Person:
    code: str
    name: str
    position: str
    unit: str
    phone: str
    telegram: str | None
    role: str


HO = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trịnh"]
DEM = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Quang", "Ngọc", "Thu", "Hồng", "Xuân", "Bảo"]
TEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Khánh", "Lan",
       "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tú",
       "Tuấn", "Vân", "Việt", "Yến"]  # fmt: skip


def _leader_title(unit: str) -> str:
    if unit in LEADER_TITLE:
        return LEADER_TITLE[unit]
    if unit.startswith("Sở"):
        return "Giám đốc Sở"
    return "Chủ tịch UBND " + ("phường" if "phường" in unit else "xã")


def _phone(rng: random.Random, style: int) -> str:
    digits = "09" + "".join(str(rng.randrange(10)) for _ in range(8))
    if style == 0:
        return digits
    if style == 1:
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if style == 2:
        return f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}"
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def build_officials(rng: random.Random) -> list[Person]:
    """About 30 officials: a leader in every unit, staff below, one quản trị at the Văn phòng."""
    people: list[Person] = []
    used_names: set[str] = set()

    def add(unit: str, position: str, role: str) -> None:
        while True:
            name = f"{rng.choice(HO)} {rng.choice(DEM)} {rng.choice(TEN)}"
            if name not in used_names:
                used_names.add(name)
                break
        n = len(people) + 1
        ascii_name = re.sub(r"[^a-z]", "", name.split()[-1].lower().translate(_ASCII))
        telegram = f"@{ascii_name}_cb{n:03d}" if n % 3 == 1 else None
        people.append(Person(f"CB{n:03d}", name, position, unit, _phone(rng, n % 4), telegram, role))

    for unit in UNITS:
        add(unit, _leader_title(unit), "lãnh đạo")
        if unit == TINH:
            add(unit, "Phó Chủ tịch UBND tỉnh", "lãnh đạo")
        elif unit == VP:
            add(unit, "Chuyên viên Phòng Hành chính - Tổ chức, quản trị hệ thống", "quản trị")
            add(unit, "Chuyên viên Phòng Tổng hợp", "cán bộ")
        elif unit in (P_CCVC, P_CDS):
            add(unit, "Chuyên viên", "cán bộ")
        else:
            add(unit, "Chuyên viên", "cán bộ")
            if unit in (NOI_VU, KHCN, XA[0], XA[2]):
                add(unit, "Phó " + _leader_title(unit), "cán bộ")
    return people


_ASCII = str.maketrans(
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ",
    "aaaaaaaaaaaaaaaaadeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyy",
)


@dataclass(frozen=True)
class Template:
    content: str
    product: str
    source: str | None
    units: tuple[str, ...]
    assigned_by: str = "Chủ tịch UBND tỉnh"


KL221, NQ57, NQ66, NQ68 = (
    "Kết luận 221-KL/TW",
    "Nghị quyết 57-NQ/TW",
    "Nghị quyết 66-NQ/TW",
    "Nghị quyết 68-NQ/TW",
)
CV6225, CV22498, NQ71 = "Công văn 6225/BVHTTDL-VP", "Công văn 22498/UBND-THĐT", "Nghị quyết 71-NQ/TW"
PCT = "Phó Chủ tịch Thường trực UBND tỉnh"

TEMPLATES = [
    Template("Rà soát toàn bộ văn bản quy phạm pháp luật của tỉnh thuộc lĩnh vực phụ trách, kiến nghị sửa đổi, "
             "bổ sung những nội dung chồng chéo, chưa phù hợp với mô hình chính quyền địa phương 2 cấp",
             "Báo cáo rà soát kèm danh mục văn bản đề nghị sửa đổi, bổ sung", KL221, tuple(SO), PCT),
    Template("Đẩy mạnh rà soát, sắp xếp tổ chức bộ máy bên trong các cơ quan, đơn vị thuộc khối chính quyền của tỉnh",
             "Tờ trình và dự thảo Quyết định sắp xếp tổ chức bộ máy", KL221, (NOI_VU, P_CCVC), PCT),
    Template("Hoàn thành sắp xếp các đơn vị sự nghiệp công lập thuộc phạm vi quản lý theo yêu cầu, tiến độ của Trung ương",
             "Đề án sắp xếp đơn vị sự nghiệp công lập được phê duyệt", CV22498, (*SO, *XA)),
    Template("Sắp xếp các cơ sở giáo dục công lập cấp xã (mầm non, tiểu học, trung học cơ sở, trường liên cấp)",
             "Quyết định sắp xếp cơ sở giáo dục công lập cấp xã", KL221, (GDDT, *XA)),
    Template("Sắp xếp, kiện toàn trạm y tế cấp xã sau sắp xếp đơn vị hành chính",
             "Quyết định kiện toàn trạm y tế xã", KL221, tuple(XA)),
    Template("Xử lý dứt điểm trụ sở, tài sản công dôi dư sau sắp xếp đơn vị hành chính",
             "Phương án xử lý trụ sở, tài sản công dôi dư được phê duyệt", KL221, (TAI_CHINH, *XA), PCT),
    Template("Báo cáo tình hình, kết quả hoạt động của chính quyền địa phương 2 cấp trên địa bàn",
             "Báo cáo định kỳ gửi Văn phòng UBND tỉnh", KL221, (*XA, VP)),
    Template("Bồi dưỡng nâng cao năng lực đội ngũ cán bộ, công chức cấp xã đáp ứng yêu cầu nhiệm vụ mới",
             "Kế hoạch bồi dưỡng và danh sách học viên hoàn thành", KL221, (NOI_VU, P_CCVC, *XA)),
    Template("Xây dựng Kế hoạch thực hiện Nghị quyết 57-NQ/TW về đột phá phát triển khoa học, công nghệ, đổi mới sáng "
             "tạo và chuyển đổi số năm 2027", "Kế hoạch của UBND tỉnh được ban hành", NQ57, (KHCN, P_CDS)),
    Template("Cập nhật tiến độ, kết quả thực hiện nhiệm vụ trên Hệ thống giám sát, đánh giá thực hiện Nghị quyết "
             "57-NQ/TW (nq57.vn)", "Số liệu cập nhật đầy đủ trên hệ thống", NQ57, (VP, KHCN, P_CDS)),
    Template("Xử lý hồ sơ công việc trên môi trường số; 100% văn bản đi được ký số",
             "Báo cáo tỷ lệ hồ sơ, văn bản điện tử có ký số", NQ57, (VP, *SO, *XA)),
    Template("Tuyên truyền, phổ biến Nghị quyết 57-NQ/TW đến cán bộ, công chức và Nhân dân",
             "Chuyên mục tuyên truyền và báo cáo kết quả", NQ57, (VHTTDL, *XA)),
    Template("Triển khai phong trào “Bình dân học vụ số” cho người dân trên địa bàn",
             "Báo cáo số người dân được hướng dẫn kỹ năng số", NQ57, tuple(XA)),
    Template("Đánh giá an toàn thông tin định kỳ các hệ thống, cơ sở dữ liệu thuộc phạm vi quản lý; khắc phục lỗ hổng",
             "Báo cáo đánh giá an toàn thông tin", NQ57, (KHCN, P_CDS)),
    Template("Bố trí kinh phí cho khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số trong dự toán ngân sách 2027",
             "Dự toán ngân sách trình HĐND tỉnh", NQ57, (TAI_CHINH,), PCT),
    Template("Rà soát, đề xuất xây dựng nghị quyết của HĐND tỉnh thuộc lĩnh vực quản lý theo tinh thần Nghị quyết 66-NQ/TW",
             "Danh mục đề nghị xây dựng nghị quyết", NQ66, (TU_PHAP, NOI_VU, TAI_CHINH)),
    Template("Tổ chức phổ biến, giáo dục pháp luật trên nền tảng số",
             "Trang phổ biến pháp luật trực tuyến và báo cáo kết quả", NQ66, (TU_PHAP, *XA)),
    Template("Kiểm tra, rà soát văn bản quy phạm pháp luật do HĐND, UBND xã ban hành",
             "Báo cáo kết quả kiểm tra văn bản", NQ66, (TU_PHAP, *XA)),
    Template("Rà soát, cắt giảm thủ tục hành chính, điều kiện kinh doanh không cần thiết liên quan đến doanh nghiệp, "
             "hộ kinh doanh", "Phương án cắt giảm, đơn giản hóa thủ tục hành chính", NQ68, (*SO, *XA)),
    Template("Tổ chức đối thoại với doanh nghiệp, hộ kinh doanh để tháo gỡ khó khăn, vướng mắc",
             "Biên bản đối thoại và danh mục kiến nghị đã xử lý", NQ68, (TAI_CHINH, *XA)),
    Template("Hỗ trợ hộ kinh doanh trên địa bàn chuyển đổi lên doanh nghiệp",
             "Danh sách hộ kinh doanh được hỗ trợ", NQ68, tuple(XA)),
    Template("Xây dựng bộ quy tắc ứng xử văn hóa trên môi trường số áp dụng tại địa phương",
             "Bộ quy tắc được UBND tỉnh ban hành", CV6225, (VHTTDL,)),
    Template("Xây dựng và triển khai mô hình du lịch thông minh ứng dụng các tiện ích của Đề án 06",
             "Mô hình du lịch thông minh đưa vào vận hành", CV6225, (VHTTDL,)),
    Template("Số hóa, làm sạch và kết nối cơ sở dữ liệu di sản văn hóa của tỉnh",
             "Cơ sở dữ liệu di sản văn hóa được kết nối, khai thác", CV6225, (VHTTDL,)),
    Template("Rà soát, tái cấu trúc quy trình thủ tục hành chính lĩnh vực văn hóa, thể thao và du lịch; cung cấp "
             "dịch vụ công trực tuyến toàn trình", "Danh mục dịch vụ công trực tuyến toàn trình", CV6225, (VHTTDL,)),
    Template("Đưa kết quả thực hiện nhiệm vụ chuyển đổi số, cải cách hành chính, Đề án 06 vào tiêu chí thi đua, "
             "khen thưởng", "Hướng dẫn thi đua, khen thưởng được ban hành", CV6225, (NOI_VU,)),
    Template("Rà soát, bổ sung đội ngũ giáo viên còn thiếu tại các trường mầm non, phổ thông",
             "Kế hoạch tuyển dụng giáo viên", NQ71, (GDDT,)),
    Template("Triển khai học bạ số và chuyển đổi số trong quản lý giáo dục", "Học bạ số triển khai tại các trường",
             NQ71, (GDDT,)),
    Template("Tổng hợp, báo cáo tình hình thực hiện nhiệm vụ Chủ tịch UBND tỉnh giao hằng tháng",
             "Báo cáo tổng hợp trình Chủ tịch UBND tỉnh", None, (VP,)),
    Template("Vận hành Hệ thống thông tin báo cáo của tỉnh, kết nối với Hệ thống thông tin báo cáo Chính phủ",
             "Hệ thống kết nối, số liệu báo cáo liên thông", None, (VP,)),
]  # fmt: skip


@dataclass
class TaskRow:
    code: str
    content: str
    assignee: str
    unit: str
    deadline: date
    product: str
    assigned_by: str
    source: str | None
    status: str
    progress: int | None
    completed_on: date | None


def _state(rng: random.Random, deadline: date) -> tuple[str, int | None, date | None]:
    """Status, progress and completion date as of REFERENCE_TODAY, with a realistic mix."""
    roll = rng.random()
    latest = REFERENCE_TODAY - timedelta(days=1)
    if deadline < REFERENCE_TODAY:
        if roll < 0.5:  # done on time
            return "hoàn thành", 100, deadline - timedelta(days=rng.randrange(0, 15))
        if roll < 0.7:  # done late
            late = min(deadline + timedelta(days=rng.randrange(1, 30)), latest)
            return ("hoàn thành", 100, late) if late > deadline else ("hoàn thành", 100, deadline)
        return (
            rng.choice(["đang thực hiện", "đang thực hiện", "chưa bắt đầu"]),
            rng.choice([0, 20, 40, 60, 80]),
            None,
        )
    if roll < 0.12:  # done early
        return "hoàn thành", 100, latest - timedelta(days=rng.randrange(0, 20))
    if roll < 0.65:
        return "đang thực hiện", rng.choice([10, 20, 30, 50, 70, 90]), None
    if roll < 0.9:
        return "chưa bắt đầu", 0, None
    return "tạm dừng", rng.choice([10, 30]), None


def build_tasks(rng: random.Random, people: list[Person]) -> list[TaskRow]:
    """N_TASKS tasks: every (template, unit) pair, then quarterly follow-ups until there are enough."""
    staff: dict[str, list[Person]] = {}
    for p in people:
        staff.setdefault(p.unit, []).append(p)
    pairs = [(t, u) for t in TEMPLATES for u in t.units]
    rounds = ["", " (đợt 2)", " (đợt 3)"]
    chosen: list[tuple[Template, str, str]] = []
    for suffix in rounds:
        for t, u in pairs:
            chosen.append((t, u, suffix))
    chosen = chosen[:N_TASKS]
    span = (LAST_DEADLINE - FIRST_DEADLINE).days
    rows = []
    for n, (template, unit, suffix) in enumerate(chosen, start=1):
        deadline = FIRST_DEADLINE + timedelta(days=rng.randrange(span + 1))
        status, progress, completed = _state(rng, deadline)
        assignee = rng.choice(staff[unit])
        rows.append(
            TaskRow(f"NV-{n:03d}", template.content + suffix, assignee.code, unit, deadline, template.product,
                    template.assigned_by, template.source, status, progress, completed)
        )  # fmt: skip
    return rows


def _write(
    path: Path, headers: tuple[str, ...], rows: list[list[object]], date_columns: tuple[int, ...]
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for col in date_columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "dd/mm/yyyy"
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJK", (12, 40, 14, 30, 12, 36, 28, 26, 16, 10, 14), strict=False):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_freeze(buffer.getvalue()))


def _freeze(xlsx: bytes) -> bytes:
    """Fixed zip timestamps and document dates, so regenerating gives byte-identical files."""
    stamp = f"{REFERENCE_TODAY.isoformat()}T08:00:00Z"
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode()
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*", rf"\g<1>{stamp}", text)
                data = text.encode()
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED
            )
    return out.getvalue()


def main(out_dir: Path = HERE) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    people = build_officials(rng)
    tasks = build_tasks(rng, people)
    _write(
        out_dir / "officials.xlsx",
        C.OFFICIAL_HEADERS,
        [
            [p.code, p.name, p.position, p.unit, UNITS[p.unit] or "", p.phone, p.telegram, p.role]
            for p in people
        ],
        (),
    )
    _write(
        out_dir / "tasks.xlsx",
        C.TASK_HEADERS,
        [
            [
                t.code,
                t.content,
                t.assignee,
                t.unit,
                t.deadline,
                t.product,
                t.assigned_by,
                t.source,
                t.status,
                t.progress,
                t.completed_on,
            ]
            for t in tasks
        ],
        (5, 11),
    )
    print(f"Đã tạo {len(people)} cán bộ, {len(UNITS)} đơn vị, {len(tasks)} nhiệm vụ trong {out_dir}.")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
