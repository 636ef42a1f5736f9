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
    "/trogiup — hướng dẫn này (/help)\n"
    "/start — giới thiệu và cách liên kết tài khoản\n"
    "\n"
    "Trong chat riêng, mọi tin nhắn chữ đều được coi là câu hỏi. "
    "Trong nhóm, tôi chỉ trả lời khi được nhắc tên @{username}, được trả lời (reply) hoặc gọi bằng /hoi.\n"
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

PASSAGE_HEADER = "<b>Nguyên văn</b> — {label}"


@dataclass(frozen=True)
class BotCommandText:
    command: str
    description: str


# What `setMyCommands` publishes: Vietnamese for everyone, English names for English-language clients.
COMMANDS_VI: tuple[BotCommandText, ...] = (
    BotCommandText("hoi", "Hỏi về văn bản, nghị quyết (kèm nguồn)"),
    BotCommandText("trogiup", "Hướng dẫn sử dụng và danh sách lệnh"),
    BotCommandText("start", "Giới thiệu trợ lý và cách liên kết tài khoản"),
)
COMMANDS_EN: tuple[BotCommandText, ...] = (
    BotCommandText("ask", "Ask about documents and resolutions (with sources)"),
    BotCommandText("help", "How to use the assistant"),
    BotCommandText("start", "About the assistant and account linking"),
)
