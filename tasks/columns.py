"""The spreadsheet columns of docs/cli.md §4, in order. Import and export share them so a round trip is exact."""

from __future__ import annotations

# Officials roster
MA_CAN_BO = "Mã cán bộ"
HO_TEN = "Họ và tên"
CHUC_VU = "Chức vụ"
DON_VI = "Đơn vị"
DON_VI_CAP_TREN = "Đơn vị cấp trên"
SO_DIEN_THOAI = "Số điện thoại"
TELEGRAM = "Telegram"
VAI_TRO = "Vai trò"

OFFICIAL_HEADERS = (MA_CAN_BO, HO_TEN, CHUC_VU, DON_VI, DON_VI_CAP_TREN, SO_DIEN_THOAI, TELEGRAM, VAI_TRO)
OFFICIAL_REQUIRED = (MA_CAN_BO, HO_TEN, DON_VI)

# Tasks: the "6 rõ" then bookkeeping
MA_NHIEM_VU = "Mã nhiệm vụ"
NOI_DUNG = "Nội dung"
NGUOI_THUC_HIEN = "Người thực hiện"
DON_VI_CHU_TRI = "Đơn vị chủ trì"
THOI_HAN = "Thời hạn"
SAN_PHAM = "Sản phẩm"
NGUOI_GIAO = "Người giao"
VAN_BAN_GIAO = "Văn bản giao"
TRANG_THAI = "Trạng thái"
TIEN_DO = "Tiến độ (%)"
NGAY_HOAN_THANH = "Ngày hoàn thành"

TASK_HEADERS = (
    MA_NHIEM_VU,
    NOI_DUNG,
    NGUOI_THUC_HIEN,
    DON_VI_CHU_TRI,
    THOI_HAN,
    SAN_PHAM,
    NGUOI_GIAO,
    VAN_BAN_GIAO,
    TRANG_THAI,
    TIEN_DO,
    NGAY_HOAN_THANH,
)
TASK_REQUIRED = TASK_HEADERS[:7]

CODE_MAX_LENGTH = 64
