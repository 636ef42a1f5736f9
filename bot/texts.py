"""Every text the bot shows, in one place (Vietnamese; the Bot API command names are Latin).

Texts that are sent with ``parse_mode=HTML`` are HTML already; whatever is interpolated into them must be
escaped by the caller (see ``bot.render.escape``). Keep the tone short, polite and official.
"""

from __future__ import annotations

from dataclasses import dataclass

# Input limits (characters of the question text).
MAX_QUESTION_CHARS = 2000

WELCOME = (
    "Xin chào {name}! Tôi là <b>Trợ lý công vụ</b>.\n"
    "\n"
    "Tôi giúp cán bộ, công chức tra cứu nhanh nghị quyết, kết luận, thông báo, công văn… "
    "và trả lời kèm <b>nguồn trích dẫn</b>: số hiệu, loại văn bản, ngày ban hành, mục.\n"
    "\n"
    "<b>Cách hỏi</b>\n"
    "• Trong chat riêng với tôi: cứ gõ câu hỏi, có dấu hay không dấu đều được.\n"
    "   Ví dụ: <i>Nghị quyết 57 đặt mục tiêu gì đến năm 2030?</i>\n"
    "• Hỏi tiếp ngay sau đó, ví dụ <i>còn mục tiêu đến 2045 thì sao?</i> — "
    "tôi hiểu là bạn vẫn hỏi về văn bản vừa nhắc tới (trong 30 phút).\n"
    "• Trong nhóm: dùng /hoi kèm câu hỏi, nhắc tên @{username} hoặc trả lời (reply) tin nhắn của tôi.\n"
    "• Dưới mỗi câu trả lời: 👍 / 👎 để góp ý, «Xem nguyên văn» để đọc đoạn văn bản gốc.\n"
    "\n"
    "<b>Liên kết tài khoản</b>\n"
    "Để xem việc được giao và nhận nhắc việc, bạn cần liên kết tài khoản Telegram với hồ sơ cán bộ "
    "bằng lệnh /lienket: chia sẻ số điện thoại đã đăng ký với đơn vị hoặc nhập mã do quản trị viên cấp. "
    "Việc tra cứu văn bản thì không cần liên kết.\n"
    "\n"
    "Gõ /trogiup để xem danh sách lệnh."
)

HELP = (
    "<b>Các lệnh</b>\n"
    "/hoi <i>câu hỏi</i> — hỏi về văn bản (tiếng Anh: /ask)\n"
    "/vanban — các văn bản trong kho; <i>/vanban 57</i> — thông tin một văn bản\n"
    "/viec — việc được giao cho bạn: cập nhật tiến độ, báo hoàn thành (/tasks)\n"
    "/nopsanpham <i>mã nhiệm vụ</i> — nộp sản phẩm (tệp, ảnh, nội dung, đường dẫn) để lãnh đạo duyệt (/submit)\n"
    "/tiendo — lãnh đạo: tiến độ đơn vị và các đơn vị trực thuộc, việc quá hạn, biểu đồ (/progress)\n"
    "/baocao — lãnh đạo: báo cáo tiến độ bằng tệp Excel và Word\n"
    "/giaoviec — lãnh đạo: giao việc cho cán bộ trong đơn vị (hỏi từng bước, hoặc một dòng "
    "<i>/giaoviec CB007 | nội dung | 15/12 | sản phẩm | KL 221</i>) (/assign)\n"
    "/giahan <i>mã nhiệm vụ ngày lý do</i> — xin gia hạn một nhiệm vụ được giao (/extend)\n"
    "/thongke — quản trị viên: câu hỏi được hỏi nhiều nhất và chưa trả lời được (không kèm tên người hỏi)\n"
    "/nhacviec — cài đặt nhắc việc: bật/tắt, giờ nhận, cuối tuần\n"
    "/lienket — liên kết tài khoản Telegram với hồ sơ cán bộ (chia sẻ số điện thoại hoặc nhập mã)\n"
    "/trogiup — hướng dẫn này (/help)\n"
    "/start — giới thiệu và cách liên kết tài khoản\n"
    "\n"
    "Trong chat riêng, mọi tin nhắn chữ đều được coi là câu hỏi: về văn bản, hoặc về công việc, ví dụ "
    "<i>việc của tôi tuần này</i>, <i>Sở Nội vụ còn bao nhiêu nhiệm vụ quá hạn?</i>, <i>KPI của tôi</i>. "
    "Trong nhóm, tôi chỉ trả lời khi được nhắc tên @{username}, được trả lời (reply) hoặc gọi bằng /hoi, "
    "và không bao giờ nêu chi tiết nhiệm vụ.\n"
    "\n"
    "Mẹo: nêu số hiệu văn bản nếu biết (ví dụ <i>Kết luận 221</i>, <i>NQ 57</i>) để câu trả lời chính xác hơn."
)

UNKNOWN_COMMAND = (
    "Tôi chưa có lệnh {command}. Bạn có thể dùng:\n"
    "/hoi <i>câu hỏi</i> — hỏi về văn bản\n"
    "/trogiup — xem hướng dẫn"
)

ASK_EMPTY = (
    "Bạn muốn hỏi gì ạ? Hãy gõ câu hỏi ngay sau lệnh, ví dụ:\n"
    "<i>/hoi Kết luận 221-KL/TW ban hành ngày nào?</i>"
)

ASK_EMPTY_GROUP = (
    "Bạn muốn hỏi gì ạ? Nhắc tên @{username} kèm câu hỏi, hoặc dùng:\n"
    "<i>/hoi Kết luận 221-KL/TW ban hành ngày nào?</i>"
)

TOO_LONG = (
    "Câu hỏi hơi dài ({length} ký tự), tôi chỉ xử lý được câu hỏi dưới {limit} ký tự. "
    "Bạn vui lòng rút gọn, nêu ý chính và số hiệu văn bản (nếu biết) rồi gửi lại nhé."
)

TEXT_ONLY = (
    "Xin lỗi, hiện tôi chỉ đọc được tin nhắn dạng chữ (chưa xử lý được ảnh, nhãn dán, tin nhắn thoại "
    "hay tệp đính kèm). Bạn vui lòng gõ câu hỏi bằng chữ nhé."
)

ERROR = "Xin lỗi, đã có lỗi xảy ra khi xử lý yêu cầu của bạn. Bạn vui lòng thử lại sau ít phút."

NO_ANSWER = (
    "Tôi chưa tìm thấy nội dung phù hợp trong các văn bản hiện có. "
    "Bạn thử hỏi cụ thể hơn hoặc nêu số hiệu văn bản nhé."
)

SOURCES_HEADER = "Nguồn:"

# Inline buttons (keep short: they are rendered side by side).
BUTTON_UP = "👍"
BUTTON_DOWN = "👎"
BUTTON_SOURCE_SINGLE = "📄 Xem nguyên văn"
BUTTON_SOURCE_NUMBERED = "📄 Nguyên văn [{n}]"
BUTTON_UP_CHOSEN = "✅ 👍"
BUTTON_DOWN_CHOSEN = "✅ 👎"

# Callback query answers (plain text, shown as a toast: no HTML).
FEEDBACK_THANKS_UP = "Cảm ơn bạn đã đánh giá!"
FEEDBACK_THANKS_DOWN = "Cảm ơn góp ý của bạn. Chúng tôi sẽ cải thiện câu trả lời."
FEEDBACK_ALREADY = "Bạn đã đánh giá câu trả lời này rồi."
FEEDBACK_FAILED = "Chưa lưu được đánh giá, bạn vui lòng thử lại sau."
ANSWER_EXPIRED = "Câu trả lời này đã cũ, tôi không còn lưu thông tin về nó. Bạn vui lòng hỏi lại nhé."
PASSAGE_NOT_FOUND = "Không tìm thấy nguyên văn đoạn này (kho văn bản có thể vừa được cập nhật)."
CALLBACK_UNKNOWN = "Nút này không còn dùng được."

# After a 👎: what was wrong, and an optional comment (bot.handlers.feedback). HTML where sent as messages.
FEEDBACK_NOT_YOURS = "Chỉ người đã hỏi mới đánh giá được câu trả lời này. Bạn có thể tự đặt câu hỏi để nhận câu trả lời riêng nhé."
FEEDBACK_REASON_PROMPT = "Câu trả lời chưa đạt ở điểm nào? Bạn chọn một ý để chúng tôi cải thiện:"
FEEDBACK_REASON_SAVED = (
    "Đã ghi nhận: <b>{reason}</b>. Nếu muốn, bạn nhắn thêm một nhận xét ngắn (ví dụ câu trả lời đúng là gì, "
    "còn thiếu ý nào) trong {minutes} phút tới, hoặc bấm «Bỏ qua»."
)
FEEDBACK_REASON_DONE = "Đã ghi nhận: <b>{reason}</b>. Cảm ơn góp ý của bạn!"
FEEDBACK_COMMENT_DONE = "Đã ghi nhận: <b>{reason}</b>, kèm nhận xét của bạn."
FEEDBACK_COMMENT_THANKS = "Cảm ơn bạn, nhận xét đã được ghi lại để cải thiện câu trả lời."
FEEDBACK_SKIPPED = "Cảm ơn góp ý của bạn!"
FEEDBACK_NOT_DOWN = "Câu trả lời này không còn được đánh giá 👎."
BUTTON_SKIP_COMMENT = "Bỏ qua"

# /thongke (administrators only).
STATS_ADMIN_ONLY = "Lệnh /thongke chỉ dành cho quản trị viên của hệ thống."
STATS_NOT_LINKED = (  # the admin-only refusal, for an account that is not linked (with the hint)
    "Lệnh /thongke chỉ dành cho quản trị viên. Tài khoản Telegram của bạn chưa liên kết với cán bộ nào "
    "(dùng /lienket để liên kết)."
)
STATS_PRIVATE_ONLY = "Bạn vui lòng dùng /thongke trong cuộc trò chuyện riêng với bot."
STATS_BAD_DAYS = "Số ngày không hợp lệ. Ví dụ: /thongke hoặc /thongke 7 (thống kê 7 ngày qua, tối đa 3650)."
STATS_FAILED = "Chưa lấy được số liệu thống kê, bạn vui lòng thử lại sau."

PASSAGE_HEADER = "<b>Nguyên văn</b> — {label}"

# --- Liên kết tài khoản (/lienket, /start <mã>) ------------------------------------------------------------

LINK_PROMPT = (
    "<b>Liên kết tài khoản Telegram với hồ sơ cán bộ</b>\n"
    "\n"
    "<b>Cách 1.</b> Bấm nút «📱 Chia sẻ số điện thoại» ở dưới khung soạn tin. Tôi đối chiếu số điện thoại "
    "Telegram của bạn với danh sách cán bộ đơn vị đã đăng ký.\n"
    "<b>Cách 2.</b> Nhập mã liên kết do quản trị viên cấp: <code>/lienket MÃ</code> "
    "(hoặc bấm đường dẫn liên kết quản trị viên gửi cho bạn).\n"
    "\n"
    "Số điện thoại chỉ dùng để đối chiếu với danh sách cán bộ."
)
LINK_CURRENT = (
    "Tài khoản này đang liên kết với <b>{name}</b> ({code}, {unit}). "
    "Nếu cần liên kết với hồ sơ khác, làm theo hướng dẫn dưới đây.\n\n"
)
BUTTON_SHARE_PHONE = "📱 Chia sẻ số điện thoại"
SHARE_PHONE_PLACEHOLDER = "Bấm nút để chia sẻ số điện thoại"
LINK_CONTACT_NOT_OWN = (
    "Tôi chỉ nhận số điện thoại của <b>chính bạn</b>, gửi bằng nút «📱 Chia sẻ số điện thoại» "
    "(không nhận danh bạ của người khác). Gõ /lienket để thử lại."
)
LINK_NEXT_STEPS = "\n\nGõ /viec để xem các việc được giao cho bạn, /trogiup để xem các lệnh."
LINK_RETRY = "\n\nGõ /lienket để thử lại, hoặc liên hệ quản trị viên của đơn vị."
LINK_IN_GROUP = (
    "Để bảo mật, việc liên kết tài khoản chỉ làm trong chat riêng với tôi. "
    "Vui lòng bấm nút bên dưới hoặc nhắn riêng cho @{username} lệnh /lienket."
)
LINK_CODE_IN_GROUP = (
    "Mã liên kết chỉ dùng trong chat riêng với tôi. Mã vừa gửi đã bị huỷ vì đã lộ trong nhóm: hãy đề nghị "
    "quản trị viên cấp mã mới rồi nhắn riêng cho @{username}."
)

from app.texts import *  # noqa: E402,F403  (the task chat's texts: one definition, in the application layer)


@dataclass(frozen=True)
class BotCommandText:
    command: str
    description: str


# What `setMyCommands` publishes: Vietnamese for everyone, English names for English-language clients.
COMMANDS_VI: tuple[BotCommandText, ...] = (
    BotCommandText("hoi", "Hỏi về văn bản, nghị quyết (kèm nguồn)"),
    BotCommandText("vanban", "Các văn bản trong kho; /vanban 57: một văn bản"),
    BotCommandText("viec", "Việc được giao cho tôi: tiến độ, báo hoàn thành"),
    BotCommandText("nopsanpham", "Nộp sản phẩm của nhiệm vụ để lãnh đạo duyệt"),
    BotCommandText("tiendo", "Lãnh đạo: tiến độ đơn vị, việc quá hạn, biểu đồ"),
    BotCommandText("baocao", "Lãnh đạo: báo cáo tiến độ (Excel, Word)"),
    BotCommandText("giaoviec", "Lãnh đạo: giao việc cho cán bộ"),
    BotCommandText("giahan", "Xin gia hạn một nhiệm vụ"),
    BotCommandText("nhacviec", "Cài đặt nhắc việc: bật/tắt, giờ nhận"),
    BotCommandText("lienket", "Liên kết tài khoản Telegram với hồ sơ cán bộ"),
    BotCommandText("trogiup", "Hướng dẫn sử dụng và danh sách lệnh"),
    BotCommandText("start", "Giới thiệu trợ lý và cách liên kết tài khoản"),
)
COMMANDS_EN: tuple[BotCommandText, ...] = (
    BotCommandText("ask", "Ask about documents and resolutions (with sources)"),
    BotCommandText("vanban", "Documents in the library; /vanban 57: one document"),
    BotCommandText("tasks", "My assigned tasks: report progress, mark done"),
    BotCommandText("submit", "Hand in a task's product for review"),
    BotCommandText("progress", "Leaders: progress of units, overdue tasks, chart"),
    BotCommandText("baocao", "Leaders: progress report files (Excel, Word)"),
    BotCommandText("assign", "Leaders: assign a task to an official"),
    BotCommandText("extend", "Ask for more time on a task"),
    BotCommandText("nhacviec", "Reminder settings: on/off, hour"),
    BotCommandText("lienket", "Link this Telegram account to an official"),
    BotCommandText("help", "How to use the assistant"),
    BotCommandText("start", "About the assistant and account linking"),
)

# /tiendo: reassign and cancel a task (leaders)
REASSIGN_DONE_TOAST = "Đã giao lại nhiệm vụ."
CANCEL_REASON_TOAST = "Hãy gửi lý do hủy trong một tin nhắn."
CANCEL_DONE_TOAST = "Đã hủy nhiệm vụ."
CANCEL_EXPIRED = "Yêu cầu hủy đã hết hạn hoặc chưa có lý do. Hãy bấm “🗑 Hủy nhiệm vụ” lại."
CANCEL_DROPPED = "Đã thôi, nhiệm vụ {code} không bị hủy."

# /vanban: what the corpus holds
DOCUMENTS_HEADER = "<b>Kho văn bản: {count} văn bản</b> ({passages} đoạn)"
DOCUMENTS_ARTICLES = "<b>Bài viết, tài liệu tham khảo: {count}</b>"
DOCUMENTS_FOOTER = (
    "Xem một văn bản: <i>/vanban 57</i>, <i>/vanban KL 221</i>. Hỏi: <i>/hoi Kết luận 221 do ai ký?</i>"
)
DOCUMENTS_ABOUT = "Kho văn bản chưa có toàn văn “{reference}”, chỉ có các bài viết về văn bản này:"
DOCUMENTS_EMPTY = "Kho văn bản chưa có văn bản nào. Quản trị viên cần chạy <code>troly ingest</code>."
DOCUMENT_NOT_FOUND = (
    "Kho văn bản chưa có văn bản “{reference}”. Gõ /vanban để xem danh sách, hoặc nêu số hiệu, ví dụ "
    "<i>/vanban 57</i>, <i>/vanban 221-KL/TW</i>."
)
DOCUMENT_MISSING_FIELD = "chưa có trong bản lưu"
