"""Texts of handing in a product and reviewing it ("Hoàn thành", /nopsanpham, «Đạt» / «Chưa đạt»).

Kept apart from `app.texts` (the task chat's other texts) so this flow reads in one place. Natural Vietnamese;
``{…}`` fields are filled with escaped values. Toasts and alerts stay under 200 characters.
"""

PRODUCT_ASK = (
    "<b>Báo hoàn thành nhiệm vụ {code}</b>\n"
    "<i>{content}</i>\n"
    "Sản phẩm cần có: {product}\n"
    "\n"
    "Vui lòng gửi <b>sản phẩm / kết quả</b> ngay trong tin nhắn tiếp theo: một tệp (PDF, Word, Excel, "
    "PowerPoint, ảnh, tệp nén; tối đa 20 MB), một ảnh chụp, hoặc một tin nhắn ngắn (nội dung, đường dẫn), "
    "ví dụ: <i>Đã trình Báo cáo số 125/BC-SNV ngày 20/11</i>.\n"
    "Sản phẩm được chuyển đến {approvers} để duyệt; trong lúc đó nhiệm vụ ở trạng thái «chờ duyệt».\n"
    "Bấm «✖️ Hủy» nếu chưa xong. Yêu cầu này hết hạn sau {minutes} phút."
)
PRODUCT_USAGE = (
    "Cách nộp sản phẩm: <code>/nopsanpham MÃ_NHIỆM_VỤ</code> rồi gửi tệp, ảnh hoặc nội dung; hoặc gõ luôn "
    "<code>/nopsanpham MÃ_NHIỆM_VỤ nội dung hoặc đường dẫn</code>; hoặc gửi tệp kèm chú thích "
    "<code>/nopsanpham MÃ_NHIỆM_VỤ</code>; hoặc trả lời (reply) thẻ nhiệm vụ bằng tệp. "
    "Ví dụ: <code>/nopsanpham NV-2026-0042 https://drive.example.gov.vn/bao-cao.pdf</code>"
)
SUBMITTED = (
    "📤 Đã nộp sản phẩm nhiệm vụ <b>{code}</b>: {items}.\n"
    "Nhiệm vụ chuyển sang <b>chờ duyệt</b>; đã gửi {approvers} duyệt."
)
SUBMITTED_NOTE = "📤 <i>{who} đã nộp sản phẩm lúc {at}; đang chờ duyệt.</i>"
SUBMITTED_UNREACHED = "\n<i>(Chưa gửi được cho {names}: chưa liên kết Telegram; hãy báo trực tiếp.)</i>"
DOWNLOADING = "Đang nhận tệp…"
DOWNLOAD_FAILED = "Xin lỗi, chưa tải được tệp từ Telegram. Bạn vui lòng gửi lại sau ít phút."
TOO_BIG = "Tệp “{name}” nặng {size} MB; tối đa {limit} MB (giới hạn tải tệp của Telegram). Hãy nén hoặc chia nhỏ rồi gửi lại."
NO_TASK_FOR_FILE = (
    "Tệp này nộp cho nhiệm vụ nào? Hãy trả lời (reply) đúng thẻ nhiệm vụ bằng tệp, hoặc ghi chú thích "
    "<code>/nopsanpham MÃ_NHIỆM_VỤ</code>."
)

REVIEW_CARD = (
    "📥 <b>Sản phẩm chờ duyệt: nhiệm vụ {code}</b>\n"
    "{who} nộp lúc {at}:\n"
    "{items}\n"
    "\n"
    "{card}\n"
    "\n"
    "<i>Bấm «✅ Đạt» để xác nhận hoàn thành (ngày hoàn thành là ngày nộp), «↩️ Chưa đạt» để trả lại kèm "
    "nhận xét.</i>"
)
REVIEW_FILE_CAPTION = "📎 Sản phẩm nhiệm vụ <b>{code}</b> — {who}"
BUTTON_ACCEPT = "✅ Đạt"
BUTTON_SEND_BACK = "↩️ Chưa đạt"
BUTTON_SEND_BACK_NO_COMMENT = "↩️ Trả lại, không nhận xét"
BUTTON_KEEP = "✖️ Thôi"
COMMENT_ASK = (
    "↩️ <b>Trả lại sản phẩm nhiệm vụ {code}</b>\n"
    "Vui lòng gõ <b>nhận xét</b> cho {assignee} trong tin nhắn tiếp theo (cần sửa gì, bổ sung gì). "
    "Hoặc bấm «↩️ Trả lại, không nhận xét», hoặc «✖️ Thôi» để chưa quyết định. "
    "Yêu cầu này hết hạn sau {minutes} phút."
)
COMMENT_TOAST = "Vui lòng gõ nhận xét cho cán bộ."
COMMENT_EXPIRED = "Yêu cầu nhận xét đã hết hạn. Bấm «↩️ Chưa đạt» trên sản phẩm để làm lại."
COMMENT_KEPT = "Đã giữ nguyên: sản phẩm nhiệm vụ <b>{code}</b> vẫn chờ duyệt."
REVIEWED_ACCEPTED = (
    "✅ Đã duyệt sản phẩm nhiệm vụ <b>{code}</b>: <b>đạt</b>. Nhiệm vụ hoàn thành ngày {day} (ngày nộp).\n"
    "Người duyệt: {who}, lúc {at}."
)
REVIEWED_SENT_BACK = (
    "↩️ Đã trả lại sản phẩm nhiệm vụ <b>{code}</b> (chưa đạt); nhiệm vụ trở lại «đang thực hiện».\n"
    "Người duyệt: {who}, lúc {at}."
)
REVIEW_COMMENT_LINE = "\nNhận xét: {comment}"
ACCEPTED_NOTICE = (
    "✅ Sản phẩm nhiệm vụ <b>{code}</b> đã được {who} duyệt: <b>đạt</b>. Nhiệm vụ hoàn thành ngày {day}."
)
SENT_BACK_NOTICE = (
    "↩️ Sản phẩm nhiệm vụ <b>{code}</b> <b>chưa đạt</b> ({who}).{comment}\n"
    "Nhiệm vụ trở lại «đang thực hiện»: sửa rồi bấm «✅ Hoàn thành» để nộp lại."
)
ACCEPT_TOAST = "Đã duyệt: đạt."
SEND_BACK_TOAST = "Đã trả lại sản phẩm."

WAITING_HEADER = "📥 <b>Sản phẩm chờ bạn duyệt quá {days} ngày làm việc: {count}</b>"
WAITING_LINE = "• {code} — {assignee}, nộp {day} (đã {waited} ngày làm việc)"
WAITING_DIGEST = "📥 Sản phẩm chờ anh/chị duyệt quá {days} ngày làm việc: <b>{count}</b> ({codes})"
