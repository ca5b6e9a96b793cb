"""Console texts in Simplified Chinese (default) and English; `t(lang, key)` never fails."""

from __future__ import annotations

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "title": ("政务自助服务站 · 后台", "Self-service stations · Back office"),
    "login": ("登录", "Sign in"),
    "logout": ("退出", "Sign out"),
    "user": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "bad_credentials": ("用户名或密码错误", "Wrong user name or password"),
    "locked": ("连续输错密码次数过多，账号已暂时锁定，请稍后再试或联系管理员",
               "Too many wrong passwords: the account is locked for a while; try later or ask an administrator"),
    "stations": ("自助服务站", "Stations"),
    "alarms": ("告警", "Alarms"),
    "cases": ("办件", "Cases"),
    "commands": ("远程指令", "Commands"),
    "station": ("服务站", "Station"),
    "online": ("在线", "Online"),
    "offline": ("离线", "Offline"),
    "maintenance": ("维护中", "Maintenance"),
    "unknown": ("未知", "Unknown"),
    "state": ("状态", "State"),
    "last_seen": ("最近上报", "Last seen"),
    "software": ("软件版本", "Software"),
    "paper": ("打印纸", "Paper"),
    "boards": ("锁控板", "Lock boards"),
    "open_alarms": ("未处理告警", "Open alarms"),
    "kind": ("类型", "Kind"),
    "compartment": ("格口", "Compartment"),
    "raised_at": ("发生时间", "Raised at"),
    "detail": ("详情", "Detail"),
    "ack": ("确认", "Acknowledge"),
    "acked": ("已确认", "Acknowledged"),
    "no_alarms": ("没有未处理的告警", "No open alarms"),
    "case_no": ("办件编号", "Case number"),
    "matter": ("事项", "Service item"),
    "applicant": ("申请人", "Applicant"),
    "submitted_at": ("提交时间", "Submitted"),
    "promised": ("承诺办结", "Promised by"),
    "approve": ("审核通过", "Approve"),
    "reject": ("不予受理", "Reject"),
    "reason": ("理由", "Reason"),
    "no_cases": ("没有待审核的办件", "No cases waiting for review"),
    "timeline": ("办理过程", "Timeline"),
    "files": ("提交材料", "Submitted materials"),
    "done": ("已完成", "Done"),
    "csrf": ("页面已过期，请刷新后重试", "The page has expired: reload it and try again"),
    "db_down": ("数据库暂不可用，操作未执行，请稍后重试", "The database is unavailable: nothing was done; try again shortly"),
    "forbidden": ("您的角色无权执行此操作", "Your role may not do this"),
    "language": ("English", "中文"),
    "kind.forced_door": ("柜门被强行打开", "Door forced open"),
    "kind.door_left_open": ("柜门未关", "Door left open"),
    "kind.not_opened": ("柜门未能打开", "Door did not open"),
    "kind.board_unreachable": ("锁控板无响应", "Lock board unreachable"),
    "kind.paper_out": ("打印纸用完", "Paper out"),
    "kind.station_offline": ("服务站离线", "Station offline"),
    "kind.events_lost": ("事件丢失", "Events lost"),
    "status.submitted": ("待审核", "Submitted"),
    "status.accepted": ("已受理", "Accepted"),
    "status.approved": ("审核通过", "Approved"),
    "status.rejected": ("不予受理", "Rejected"),
    "status.result_ready": ("待投柜", "Result ready"),
    "status.deposited": ("已投柜", "Deposited"),
    "status.collected": ("已取件", "Collected"),
    "status.expired": ("已逾期", "Expired"),
    "status.withdrawn": ("已撤回", "Withdrawn"),
    "filter_all": ("全部", "All"),
}


def t(lang: str, key: str) -> str:
    pair = TEXTS.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]
