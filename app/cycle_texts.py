"""Texts of the assign form (/giaoviec), the new task's card ("Nhận việc", "Xin gia hạn", "Trao đổi") and the
extension requests (/giahan, "Đồng ý" / "Không đồng ý"): what `app.assign` and `app.extensions` say.

Natural Vietnamese; ``{…}`` fields are filled with escaped values (HTML), except the toasts (plain text of at
most 200 characters, Telegram's limit for a callback answer).
"""

# --- /giaoviec ------------------------------------------------------------------------------------------

LEADERS_ONLY = (
    "Chỉ lãnh đạo (giao cho cán bộ thuộc đơn vị mình) và quản trị viên mới giao việc qua trợ lý. "
    "Bạn vẫn có thể xem và cập nhật việc của mình bằng /viec."
)
ASSIGN_IN_GROUP = (
    "Để bảo mật, việc giao nhiệm vụ chỉ làm trong chat riêng với tôi. Vui lòng nhắn riêng cho tôi "
    "(@{username}) lệnh {command}."
)
ONE_LINE_USAGE = (
    "Dạng một dòng cần 4 hoặc 5 phần, ngăn cách bằng dấu |:\n"
    "<code>/giaoviec MÃ_CÁN_BỘ | nội dung | thời hạn | sản phẩm | văn bản giao</code>\n"
    "Ví dụ: <i>/giaoviec CB007 | Báo cáo tình hình triển khai KL 221 | 15/12 | Báo cáo bằng văn bản | "
    "KL 221</i>\n(Bạn đã ghi {count} phần.) Gõ /giaoviec không kèm gì để được hỏi từng bước."
)
FORM_TITLE = "<b>📝 Giao việc</b> — bước {n}/6"
ASK_ASSIGNEE = (
    "Giao cho ai? Gõ họ tên hoặc mã cán bộ, ví dụ <i>Tâm</i>, <i>Đặng Hữu Tâm</i> hoặc <i>CB007</i>."
)
ASK_ASSIGNEE_PICK = "Có {count} người phù hợp với “{query}”. Bạn chọn một người:"
ASK_ASSIGNEE_PICK_FREE = "Bạn muốn giao cho ai? Chọn một người:"
NO_SUCH_PERSON = "Không tìm thấy cán bộ “{query}” trong {scope}. Gõ lại họ tên (hoặc tên gọi, mã cán bộ)."
TOO_MANY_PEOPLE = "Có {count} người phù hợp với “{query}”; hãy gõ cụ thể hơn (họ tên đầy đủ hoặc mã cán bộ)."
SCOPE_ALL = "danh sách cán bộ"
SCOPE_SUBTREE = "{unit} và các đơn vị trực thuộc"
OUT_OF_SCOPE = "{people} không thuộc {unit} hoặc các đơn vị trực thuộc: lãnh đạo chỉ giao việc cho cán bộ trong đơn vị mình."
ASK_CONTENT = "Nội dung công việc cần giao là gì?"
ASK_DEADLINE = "Thời hạn hoàn thành? Ví dụ: {examples}."
ASK_PRODUCT = "Sản phẩm cần nộp (rõ sản phẩm)? Ví dụ: <i>Báo cáo bằng văn bản</i>, <i>Dự thảo kế hoạch</i>."
DEFAULT_PRODUCT = "Báo cáo bằng văn bản"
ASK_DOCUMENT = (
    "Văn bản giao việc (nếu có): gõ số hiệu, ví dụ <i>KL 221</i>, <i>Kế hoạch 263/KH-UBND</i>; "
    "không có thì bấm «Bỏ qua»."
)
ASK_DOCUMENT_PICK = "Trong kho văn bản có {count} văn bản khớp với “{typed}”. Bạn chọn văn bản giao:"
ASK_UNIT = "Đơn vị chủ trì: bấm «{unit}» (đơn vị của người được giao) hoặc gõ tên đơn vị khác."
ASK_AGAIN = "{problem}"
EMPTY_ANSWER = "Bạn vui lòng gõ {what} bằng chữ (hoặc bấm «✖️ Huỷ» để thôi)."
WHAT_CONTENT = "nội dung công việc"
WHAT_PRODUCT = "sản phẩm cần nộp"
CONTENT_TOO_LONG = "Nội dung dài {length} ký tự; vui lòng tóm tắt dưới {limit} ký tự."
DOCUMENT_FOUND = "📄 Đã chọn <b>{document}</b> trong kho văn bản."
DOCUMENT_UNKNOWN = (
    "⚠️ Kho văn bản chưa có văn bản “{document}”: tôi vẫn ghi nguyên văn như bạn gõ làm văn bản giao."
)
CONFIRM_TITLE = "<b>📝 Phiếu giao việc</b> — kiểm tra lại rồi bấm «✅ Giao việc»:"
EDIT_TITLE = "<b>✏️ Sửa phiếu giao việc</b> — chọn mục cần sửa:"
CONFIRM_LINES = (
    "👤 <b>Người thực hiện:</b> {assignee}\n"
    "📝 <b>Việc:</b> {content}\n"
    "📅 <b>Hạn:</b> {deadline}\n"
    "📦 <b>Sản phẩm:</b> {product}\n"
    "📄 <b>Văn bản giao:</b> {document}\n"
    "🏢 <b>Chủ trì:</b> {unit}\n"
    "✍️ <b>Người giao:</b> {assigner}"
)
NO_DOCUMENT = "<i>(không có)</i>"
MISSING = "<i>(chưa có)</i>"
FORM_CANCELLED = "Đã huỷ phiếu giao việc; chưa có nhiệm vụ nào được tạo."
FORM_EXPIRED = "Phiếu giao việc này đã hết hạn hoặc đã xong. Gõ /giaoviec để bắt đầu lại."
FORM_STILL_OPEN = "Phiếu giao việc vẫn đang chờ bạn; bấm «✖️ Huỷ» nếu muốn thôi."
ASSIGNED = "✅ Đã giao nhiệm vụ <b>{code}</b> cho {assignee}."
ASSIGNED_TOLD = "{name} đã nhận được thông báo kèm thẻ nhiệm vụ."
ASSIGNED_NOT_LINKED = (
    "⚠️ {name} chưa liên kết Telegram với trợ lý nên chưa nhận được thông báo; bạn vui lòng báo trực tiếp."
)
ASSIGNED_TOAST = "Đã giao việc."
NEW_TASK = "📥 <b>Bạn được giao nhiệm vụ mới</b> — {assigner} giao lúc {at}."
NEW_TASK_HINT = (
    "<i>Bấm «✅ Nhận việc» để xác nhận, «⏳ Xin gia hạn» nếu cần thêm thời gian, «💬 Trao đổi» để liên hệ "
    "người giao.</i>"
)
BUTTON_ASSIGN = "✅ Giao việc"
BUTTON_EDIT = "✏️ Sửa"
BUTTON_CANCEL = "✖️ Huỷ"
BUTTON_SKIP = "⏭ Bỏ qua"
BUTTON_KEEP_TYPED = "Giữ như đã gõ"
FIELD_BUTTONS = (
    "👤 Người thực hiện",
    "📝 Nội dung",
    "📅 Thời hạn",
    "📦 Sản phẩm",
    "📄 Văn bản giao",
    "🏢 Chủ trì",
)
CANCEL_WORDS = ("huy", "thoi", "cancel", "khong giao nua")
SKIP_WORDS = ("bo qua", "khong", "khong co", "skip")

# --- a new task's card ------------------------------------------------------------------------------------

BUTTON_ACKNOWLEDGE = "✅ Nhận việc"
BUTTON_EXTEND = "⏳ Xin gia hạn"
BUTTON_CONTACT = "💬 Trao đổi"
BUTTON_VIEW = "📋 Xem nhiệm vụ"
ACKNOWLEDGED_NOTE = "✅ <i>{who} đã nhận việc lúc {at}.</i>"
ACKNOWLEDGED_TOAST = "Đã nhận việc. Chúc bạn hoàn thành tốt!"
ACKNOWLEDGED_NOTICE = "✅ {who} đã nhận việc <b>{code}</b>: {content}"
CONTACT_TITLE = "💬 <b>Trao đổi về nhiệm vụ {code}</b>"
CONTACT_ASSIGNER = "Người giao: <b>{name}</b>{position} — {unit}"
CONTACT_APPROVERS = "Người giao: {assigned_by}. Lãnh đạo đơn vị chủ trì: {leaders}."
CONTACT_PHONE = "📞 {phone}"
CONTACT_TELEGRAM = "Telegram: {username}"
CONTACT_HINT = (
    "Cần thêm thời gian? Bấm «⏳ Xin gia hạn» hoặc gõ <code>/giahan {code} dd/mm/yyyy lý do</code>."
)
BUTTON_MESSAGE = "✉️ Nhắn cho {name}"

# --- more time (/giahan) ----------------------------------------------------------------------------------

EXTEND_USAGE = (
    "Cách xin gia hạn: <code>/giahan MÃ_NHIỆM_VỤ dd/mm/yyyy lý do</code>, ví dụ "
    "<i>/giahan NV-2026-0042 30/12/2026 chờ số liệu của các xã</i>; hoặc bấm «⏳ Xin gia hạn» dưới thẻ "
    "nhiệm vụ (/viec)."
)
EXTEND_ASK_DATE = (
    "<b>⏳ Xin gia hạn nhiệm vụ {code}</b>\n<i>{content}</i>\nHạn hiện tại: <b>{deadline}</b>.\n\n"
    "Bạn xin gia hạn đến ngày nào? Ví dụ <i>30/12</i>, <i>cuối tháng sau</i>, <i>trong 10 ngày</i> "
    "(có thể ghi luôn lý do sau ngày)."
)
EXTEND_ASK_REASON = "Gia hạn đến <b>{deadline}</b>. Lý do xin gia hạn là gì?"
EXTEND_SENT = (
    "📨 Đã gửi đề nghị gia hạn nhiệm vụ <b>{code}</b> đến <b>{deadline}</b> tới {deciders}. "
    "Bạn sẽ nhận được thông báo khi có quyết định."
)
EXTEND_NOT_TOLD = (
    "⚠️ {names} chưa liên kết Telegram với trợ lý nên chưa nhận được đề nghị; bạn vui lòng báo trực tiếp."
)
EXTEND_STOPPED = "Đã thôi, chưa gửi đề nghị gia hạn nhiệm vụ {code}."
EXTEND_EXPIRED = "Yêu cầu xin gia hạn này đã hết hạn. Bấm «⏳ Xin gia hạn» hoặc gõ /giahan để làm lại."
EXTEND_ASK_TOAST = "Bạn gõ ngày xin gia hạn (và lý do) trong tin nhắn tiếp theo."
EXTEND_REQUEST = (
    "⏳ <b>Đề nghị gia hạn nhiệm vụ {code}</b>\n"
    "Người xin: <b>{who}</b>\n"
    "Hạn hiện tại: {old} → đề nghị: <b>{new}</b> (thêm {days} ngày)\n"
    "Lý do: <i>{reason}</i>"
)
BUTTON_APPROVE = "✅ Đồng ý"
BUTTON_REJECT = "❌ Không đồng ý"
BUTTON_NO_NOTE = "Không cần ghi chú"
BUTTON_STOP = "✖️ Thôi"
DECIDED_APPROVED = (
    "✅ Bạn đã <b>đồng ý</b> gia hạn nhiệm vụ <b>{code}</b> đến <b>{new}</b> (gia hạn từ {old})."
)
DECIDED_REJECTED = (
    "❌ Bạn đã <b>không đồng ý</b> gia hạn nhiệm vụ <b>{code}</b>; thời hạn vẫn là <b>{old}</b>."
)
DECIDED_NOTE_HINT = (
    "Nếu muốn gửi ghi chú cho {name}, bạn gõ trong tin nhắn tiếp theo ({minutes} phút), hoặc bấm "
    "«Không cần ghi chú»."
)
DECIDED_TOAST_APPROVED = "Đã đồng ý gia hạn."
DECIDED_TOAST_REJECTED = "Đã ghi nhận: không đồng ý gia hạn."
TOLD_APPROVED = (
    "✅ <b>{who}</b> đã đồng ý gia hạn nhiệm vụ <b>{code}</b>: thời hạn mới <b>{new}</b> (gia hạn từ {old})."
)
TOLD_REJECTED = "❌ <b>{who}</b> không đồng ý gia hạn nhiệm vụ <b>{code}</b> đến {requested}; thời hạn vẫn là <b>{old}</b>."
NOTE_SENT = "💬 Đã gửi ghi chú cho {name}."
NOTE_TOLD = "💬 Ghi chú của <b>{who}</b> về đề nghị gia hạn nhiệm vụ <b>{code}</b>: <i>{note}</i>"
NOTE_SKIPPED = "Đã xong, không kèm ghi chú."
