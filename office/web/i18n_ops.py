"""Console texts of the operations pages (alarm assignment, pickups, live updates), zh-CN and
English; merged into `office.web.i18n.TEXTS` when the routes are mounted (kept apart so other
parts of the console can add texts without touching these)."""

from __future__ import annotations

from office.web.i18n import TEXTS

OPS_TEXTS: dict[str, tuple[str, str]] = {
    "kind.audit_gap": ("审计记录缺失或被改写", "Audit gap"),
    "assign": ("指派", "Assign"),
    "assigned_to": ("处理人", "Assigned to"),
    "nobody": ("未指派", "Nobody"),
    "clear": ("消除", "Clear"),
    "ack_selected": ("确认所选告警", "Acknowledge selected"),
    "select_all": ("全选", "Select all"),
    "pickups": ("取件", "Pickups"),
    "overdue_pickups": ("超期未取", "Overdue pickups"),
    "pickup_days": ("超期天数", "Overdue after (days)"),
    "save": ("保存", "Save"),
    "since": ("投件时间", "Loaded since"),
    "remind": ("发送提醒短信", "Send reminder SMS"),
    "recall": ("通知工作人员取回", "Recall for staff"),
    "reminded": ("已提醒", "Reminded"),
    "recalled": ("已通知取回", "Recall sent"),
    "no_overdue": ("没有超期未取的办件", "No overdue pickups"),
    "pickups_24h": ("近24小时取件", "Pickups in the last 24 hours"),
    "picked_at": ("取件时间", "Collected at"),
    "no_pickups": ("近24小时没有取件", "No pickups in the last 24 hours"),
    "done.period": ("超期天数已保存", "Overdue period saved"),
    "done.remind": ("提醒短信已排入发送队列", "Reminder SMS queued"),
    "done.recall": ("取回任务已签名发送至服务站", "Signed recall task sent to the station"),
    "live": ("实时更新", "Live"),
    "comp.attention": ("需处理", "Attention"),
    "nstate.kind.pickup_reminder": ("取件提醒", "Pickup reminder"),
    "cmd.recall_pickup": ("超期件取回", "Recall overdue pickup"),
    "actions": ("操作", "Actions"),
    "reader": ("读卡器", "ID reader"),
    "camera": ("摄像头", "Camera"),
    "dstat.online": ("正常", "OK"),
    "dstat.offline": ("离线", "Offline"),
    "dstat.busy": ("使用中", "Busy"),
    "dstat.no_device": ("未配置", "Not fitted"),
    "dstat.hardware_error": ("硬件故障", "Hardware error"),
    "dstat.user_error": ("操作异常", "User error"),
    "dstat.fraud_attempt": ("疑似欺诈", "Fraud attempt"),
}

TEXTS.update(OPS_TEXTS)
