"""Texts of the task chat (/viec, task buttons, /tiendo, /baocao, /nhacviec, work questions): what the
application layer's screens say. Natural Vietnamese; ``{…}`` fields are filled with escaped values.

Toasts and alerts are plain text of at most 200 characters (Telegram's limit for a callback answer).
"""

from tasks.ui import NOT_LINKED

# The one "not linked" text, whatever was tried (a command, a button, a work question).
NOT_LINKED_ALERT = NOT_LINKED  # ≤ 200 characters: it fits an alert too
LINK_FIRST = NOT_LINKED

# --- Việc của tôi (/viec) ---------------------------------------------------------------------------------

TASKS_IN_GROUP = (
    "Để bảo mật, tôi không hiển thị nhiệm vụ trong nhóm. "
    "Vui lòng nhắn riêng cho tôi (@{username}) và gõ /viec."
)
TASKS_EMPTY = "Bạn (<b>{name}</b>) hiện không có nhiệm vụ nào chưa hoàn thành. 👏"
TASKS_HEADER = "<b>📋 Việc của {name}</b>: {total} việc chưa hoàn thành"
TASKS_HEADER_OVERDUE = ", trong đó <b>{overdue} việc quá hạn</b>"
TASKS_HEADER_PAGE = " Trang {page}/{pages}, sắp xếp theo hạn."
TASKS_HEADER_HINT = "<i>Bấm % để cập nhật tiến độ, «✅ Hoàn thành» khi đã xong.</i>"
TASKS_PAGE_FOOTER = "Trang {page}/{pages} — còn {rest} việc ở các trang khác."
BUTTON_PROGRESS = "{p}%"
BUTTON_PROGRESS_CURRENT = "✓ {p}%"
BUTTON_DONE = "✅ Hoàn thành"
BUTTON_DOCUMENT = "📄 Văn bản giao"
BUTTON_SKIP_RESULT = "⏭ Bỏ qua"
BUTTON_CANCEL = "✖️ Hủy"
BUTTON_PREV_PAGE = "◀️ Trang trước"
BUTTON_NEXT_PAGE = "Trang sau ▶️"
BUTTON_OPEN_PRIVATE = "💬 Nhắn riêng cho trợ lý"

PROGRESS_CHANGED_NOTE = "✏️ <i>{who} đã cập nhật tiến độ {old}% → {new}% lúc {at}.</i>"
COMPLETED_NOTE = "✅ <i>{who} đã báo hoàn thành lúc {at}.</i>"
PROGRESS_TOAST = "Đã cập nhật tiến độ {percent}%."
PROGRESS_SAME = "Tiến độ đang là {percent}%, không có gì thay đổi."

DONE_ASK = (
    "<b>Báo hoàn thành nhiệm vụ {code}</b>\n"
    "<i>{content}</i>\n"
    "Sản phẩm cần có: {product}\n"
    "\n"
    "Vui lòng gửi <b>sản phẩm / kết quả</b> trong một tin nhắn ngắn, ví dụ: "
    "<i>Đã trình Báo cáo số 125/BC-SNV ngày 20/11</i>.\n"
    "Bấm «⏭ Bỏ qua» để báo hoàn thành mà không ghi kết quả, hoặc «✖️ Hủy» nếu chưa xong. "
    "Yêu cầu này hết hạn sau {minutes} phút."
)
DONE_ASK_TOAST = "Vui lòng gửi sản phẩm / kết quả của nhiệm vụ."
DONE_REPLY = "✅ Đã ghi nhận nhiệm vụ <b>{code}</b> hoàn thành ngày {day}.\nNgười cập nhật: {who}, lúc {at}."
DONE_REPLY_RESULT = "Kết quả: {result}"
DONE_REPLY_NO_RESULT = "Không kèm kết quả."
DONE_TOAST = "Đã ghi nhận hoàn thành."
DONE_CANCELLED = "Đã hủy. Nhiệm vụ <b>{code}</b> chưa được đánh dấu hoàn thành."
DONE_PROMPT_CLOSED = "<i>(Yêu cầu ghi kết quả của nhiệm vụ {code} đã đóng.)</i>"
DONE_EXPIRED = "Yêu cầu ghi kết quả đã hết hạn. Bấm «✅ Hoàn thành» trên thẻ nhiệm vụ để làm lại."
RESULT_EMPTY = "Bạn vui lòng gõ kết quả bằng chữ (hoặc bấm «⏭ Bỏ qua» / «✖️ Hủy»)."
RESULT_TOO_LONG = (
    "Kết quả hơi dài ({length} ký tự); vui lòng tóm tắt dưới {limit} ký tự rồi gửi lại "
    "(hoặc bấm «⏭ Bỏ qua» / «✖️ Hủy»)."
)
RESULT_SKIP_WORDS = ("bo qua", "bỏ qua", "skip")
RESULT_CANCEL_WORDS = ("huy", "hủy", "huỷ", "cancel")

DENIED_ALERT = "Bạn không có quyền với nhiệm vụ này. Lần bấm nút đã được ghi lại."
TASK_GONE = "Nhiệm vụ này không còn trong hệ thống."
TASKS_IN_GROUP_ALERT = "Chi tiết nhiệm vụ chỉ xem được trong chat riêng với trợ lý."
DOCUMENT_SEARCHING = "Đang tra cứu văn bản giao…"
DOCUMENT_HEADER = (
    "📄 <b>Văn bản giao của nhiệm vụ {code}:</b> {document}\nCác đoạn liên quan trong kho văn bản:"
)
DOCUMENT_NONE = "Nhiệm vụ <b>{code}</b> không ghi văn bản giao."
DOCUMENT_NOT_IN_CORPUS = (
    "Văn bản giao của nhiệm vụ <b>{code}</b> là <b>{document}</b>, nhưng kho văn bản hiện chưa có văn bản này "
    "nên tôi chưa trích dẫn được."
)
DOCUMENT_UNREADABLE = (
    "Văn bản giao của nhiệm vụ <b>{code}</b> là <b>{document}</b>; tôi không nhận ra số hiệu văn bản "
    "để tra trong kho văn bản."
)


# --- Tiến độ (/tiendo), báo cáo (/baocao), nhắc việc (/nhacviec), câu hỏi về công việc ---------------------

PRIVATE_ONLY_IN_GROUP = (
    "Để bảo mật, {what} chỉ xem trong chat riêng với tôi. "
    "Vui lòng bấm nút bên dưới hoặc nhắn riêng cho tôi (@{username}) lệnh {command}."
)
WHAT_PROGRESS = "tiến độ nhiệm vụ của đơn vị"
WHAT_REPORT = "báo cáo tiến độ nhiệm vụ"
WHAT_SETTINGS = "cài đặt nhắc việc"
WORK_IN_GROUP = (
    "Để bảo mật, tôi không trả lời câu hỏi về nhiệm vụ, tiến độ hay KPI trong nhóm. "
    "Vui lòng nhắn riêng cho tôi (@{username}) và hỏi lại."
)
START_ASK = (
    "Mời bạn gõ câu hỏi. Ví dụ về công việc: <i>việc của tôi tuần này</i>, <i>việc nào sắp đến hạn?</i>, "
    "<i>Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?</i>, <i>KPI của tôi</i>; về văn bản: "
    "<i>Kết luận 221-KL/TW ban hành ngày nào?</i>"
)
CHART_PREPARING = "Đang vẽ biểu đồ…"
REPORT_PREPARING = "Đang lập báo cáo…"
REPORT_CAPTION_XLSX = (
    "📊 <b>Báo cáo tiến độ (Excel)</b> — {unit}, tính đến ngày {day}: số liệu từng đơn vị, "
    "danh sách nhiệm vụ quá hạn, KPI cán bộ."
)
REPORT_CAPTION_DOCX = (
    "📄 <b>Báo cáo tiến độ (Word)</b> — {unit}, ngày {day}, theo thể thức văn bản hành chính "
    "(bổ sung số, ký hiệu và đề xuất trước khi ký ban hành)."
)
REPORT_FAILED = "Xin lỗi, chưa gửi được tệp báo cáo. Bạn vui lòng thử lại sau ít phút."
SETTINGS_SAVED = "✅ Đã lưu cài đặt nhắc việc."
SETTINGS_SAVED_TOAST = "Đã lưu."
